#include <stdio.h>
__attribute__((constructor)) static void late_ctor(void) { printf("ctor: needed_late.o loaded\n"); }
int needed_late(int x) { return 2 * x - 1; }
