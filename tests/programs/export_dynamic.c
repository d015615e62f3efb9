// --export-dynamic exports every symbol with default visibility (and only those); the
// host calls them as a reactor.
// flags: -fvisibility=default
// link: -mexec-model=reactor -Wl,--export-dynamic
// run: reactor
// call: visible_sum(3)
// call: visible_sum(4)
// expect-exports: visible_sum visible_total
// expect-no-names: unreferenced_static
#include <stdio.h>

int visible_total;
__attribute__((visibility("hidden"))) int hidden_helper(int x) { return x * x; }
static int unreferenced_static(int x) { return x + 1; }

int visible_sum(int n) {
    for (int i = 1; i <= n; i++) visible_total += hidden_helper(i);
    return visible_total;
}
