#include <stdio.h>
__attribute__((constructor)) static void unused_ctor(void) { printf("ctor: unused.o loaded (wrong)\n"); }
int unused_part(int x) { return x; }
