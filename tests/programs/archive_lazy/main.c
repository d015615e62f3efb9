// Static archives are lazy: only members that define a needed symbol are loaded (and only
// their constructors run); a weak undefined reference does not load a member; a member
// needed by another member is found even though it comes earlier in the archive.
// archive: libparts.a = needed_late.c unused.c weak_only.c first.c
// expect-exit: 12
#include <stdio.h>

int first_part(int);
extern int weak_only_part(int) __attribute__((weak));

int main(void) {
    printf("first_part(5) = %d\n", first_part(5));
    printf("weak_only_part is %s\n", weak_only_part ? "loaded" : "not loaded");
    return first_part(6);
}
