// --gc-sections (the default): unreferenced functions and data are dropped, referenced
// ones (directly, through data, from a constructor, or exported) are kept;
// --print-gc-sections reports what was removed (compared between the linkers).
// flags: -ffunction-sections -fdata-sections
// link: -Wl,--gc-sections -Wl,--print-gc-sections -Wl,--export=kept_by_export
// compare: link-stderr
// expect-names: used_directly used_through_table kept_by_ctor kept_by_export
// expect-no-names: never_used also_never_used
// expect-exit: 0
#include <stdio.h>

__attribute__((noinline)) int used_directly(int x) { return x + 1; }
__attribute__((noinline)) int used_through_table(int x) { return x * 2; }
__attribute__((noinline)) int never_used(int x) { return x - 1; }
__attribute__((noinline)) int also_never_used(int x) { return never_used(x) * 3; }
__attribute__((noinline)) int kept_by_export(int x) { return x ^ 5; }

int (*const table[])(int) = {used_directly, used_through_table};
const char unused_blob[4096] = "this data is never referenced";
static volatile int ctor_value;    /* volatile: the constructor is not evaluated away */
__attribute__((noinline)) void kept_by_ctor(void) { ctor_value = 17; }
__attribute__((constructor)) static void init(void) { kept_by_ctor(); }

int main(void) {
    printf("%d %d %d\n", used_directly(1), table[1](21), ctor_value);
    return 0;
}
