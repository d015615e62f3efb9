#include <stdio.h>
int needed_late(int);
__attribute__((constructor)) static void first_ctor(void) { printf("ctor: first.o loaded\n"); }
int first_part(int x) { return needed_late(x) + 1; }
