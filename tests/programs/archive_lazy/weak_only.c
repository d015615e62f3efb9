#include <stdio.h>
__attribute__((constructor)) static void weak_ctor(void) { printf("ctor: weak_only.o loaded (wrong)\n"); }
int weak_only_part(int x) { return x * 100; }
