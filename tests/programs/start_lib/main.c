// --start-lib/--end-lib: objects on the command line that behave as archive members, so
// only the ones defining a needed symbol are loaded (lld's lazy objects).
// lazy: lazy_used.c lazy_unused.c
// expect-exit: 0
#include <stdio.h>

const char *lazy_used(void);
extern const char *lazy_unused(void) __attribute__((weak));

int main(void) {
    printf("%s\n", lazy_used());
    printf("lazy_unused: %s\n", lazy_unused ? "loaded" : "not loaded");
    return 0;
}
