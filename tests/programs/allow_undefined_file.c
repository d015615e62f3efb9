// --allow-undefined-file: only the symbols named in the file may stay undefined (becoming
// imports); the import is called from C through a function pointer too.
// link: -Wl,--allow-undefined-file={src}/allow_undefined_file.syms
// expect-imports: env.host_triple
// expect-exit: 0
#include <stdio.h>

int host_triple(int);
int (*triple_ptr)(int) = host_triple;

int main(void) {
    printf("host_triple(14) = %d\n", host_triple(14));
    printf("through a pointer: %d\n", triple_ptr(5));
    return 0;
}
