// --no-gc-sections keeps every function and data segment of the objects given, referenced
// or not (archive members are still loaded lazily).
// flags: -ffunction-sections -fdata-sections
// link: -Wl,--no-gc-sections
// expect-names: used_here never_called also_never_called
// expect-exit: 0
#include <stdio.h>

__attribute__((noinline)) int used_here(int x) { return x * 7; }
__attribute__((noinline)) int never_called(int x) { return x - 7; }
__attribute__((noinline, visibility("hidden"))) int also_never_called(int x) { return x / 7; }
const char never_read[] = "kept anyway";

int main(void) {
    printf("used_here(6) = %d\n", used_here(6));
    return 0;
}
