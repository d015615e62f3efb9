#include <stdio.h>
__attribute__((constructor)) static void unused_ctor(void) { printf("ctor: lazy_unused.o loaded (wrong)\n"); }
const char *lazy_unused(void) { return "lazy_unused() called"; }
