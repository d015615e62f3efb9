// -nostartfiles with --entry: no crt1, so the entry point is ours and it must run the
// constructors itself by calling __wasm_call_ctors; it ends with exit(3).
// link: -nostartfiles -Wl,--entry=my_entry
// run: exports
// call: my_entry()
// expect-exports: my_entry memory
// expect-exit: 3
#include <stdio.h>
#include <stdlib.h>

void __wasm_call_ctors(void);
static volatile int ready;       /* volatile: the constructor is not evaluated at compile time */
__attribute__((constructor)) static void init(void) { ready = 1; }

void my_entry(void) {
    printf("before __wasm_call_ctors: ready=%d\n", ready);
    __wasm_call_ctors();
    printf("after: ready=%d\n", ready);
    exit(3);
}
