#include <stdio.h>
__attribute__((constructor)) static void used_ctor(void) { printf("ctor: lazy_used.o loaded\n"); }
const char *lazy_used(void) { return "lazy_used() called"; }
