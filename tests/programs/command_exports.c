// -Wl,--export=... on a command: the host calls the exports of a command module without
// _start; wasm-ld wraps each such export so that the constructors run before it (and
// exporting a symbol that does not exist with --export-if-defined is not an error).
// link: -Wl,--export=square -Wl,--export=get_calls -Wl,--export-if-defined=not_defined_anywhere
// run: exports
// call: square(7)
// call: square(-3)
// call: get_calls()
// expect-exports: _start square get_calls memory
#include <stdio.h>

static int calls;
static volatile int ctor_runs;     /* volatile: not evaluated at compile time */

__attribute__((constructor)) static void init(void) { ctor_runs++; }

int square(int x) {
    calls++;
    printf("square(%d) with ctor_runs=%d\n", x, ctor_runs);
    fflush(stdout);
    return x * x;
}

int get_calls(void) { return calls * 100 + ctor_runs; }

int main(void) { printf("main (not called)\n"); return 0; }
