// --strip-all drops the name section and debug info as well (the producers section stays,
// as wasm-ld keeps it).
// flags: -g
// link: -Wl,--strip-all
// expect-no-sections: name .debug_info .debug_line
// expect-exit: 1
#include <stdio.h>

int collatz_steps(unsigned n) {
    int steps = 0;
    while (n != 1) { n = n % 2 ? 3 * n + 1 : n / 2; steps++; }
    return steps;
}

int main(void) {
    for (unsigned n = 1; n <= 10; n++) printf("%u:%d ", n, collatz_steps(n));
    printf("\nlongest below 1000: ");
    int best = 0; unsigned arg = 0;
    for (unsigned n = 1; n < 1000; n++) { int s = collatz_steps(n); if (s > best) best = s, arg = n; }
    printf("%u (%d steps)\n", arg, best);
    return 1;
}
