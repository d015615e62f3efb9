#include <stdlib.h>
#include <string.h>
#include <stdint.h>
char *greet(const char *who, int len);
static uint32_t ret_area[2];
__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, size_t os, size_t al, size_t ns) { return realloc(old, ns); }
__attribute__((export_name("hello"))) uint32_t *hello(char *name, size_t len) {
  char *s = greet(name, (int)len);
  free(name);
  ret_area[0] = (uint32_t)s; ret_area[1] = strlen(s);
  return ret_area;
}
__attribute__((export_name("cabi_post_hello"))) void post_hello(uint32_t *r) { free((void *)r[0]); }
