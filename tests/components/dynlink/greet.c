#include <stdio.h>
#include <stdlib.h>
int greet_calls;
static int base;
__attribute__((constructor)) static void init(void) { base = 100; }
char *greet(const char *who, int len) {
  char *b = malloc(80);
  greet_calls++;
  snprintf(b, 80, "hello, %.*s! (%d)", len, who, base + greet_calls);
  return b;
}
