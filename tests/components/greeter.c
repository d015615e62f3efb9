#include <stdint.h>
#include <stdlib.h>
#include <string.h>
__attribute__((import_module("my:lib/host@0.1.0"), import_name("log"))) void host_log(const char *p, size_t n);
__attribute__((import_module("my:lib/host@0.1.0"), import_name("add"))) int32_t host_add(int32_t a, int32_t b);
__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) { return realloc(old, new_size); }
static uint8_t ret_area[8] __attribute__((aligned(4)));
__attribute__((export_name("greet"))) uint8_t *greet(const char *name, size_t len) {
  host_log(name, len);
  char *out = malloc(len + 7);
  memcpy(out, "hello, ", 7); memcpy(out + 7, name, len);
  ((uint32_t *)ret_area)[0] = (uint32_t)out; ((uint32_t *)ret_area)[1] = len + 7;
  return ret_area;
}
__attribute__((export_name("cabi_post_greet"))) void post_greet(uint8_t *ret) { free((void *)((uint32_t *)ret)[0]); }
__attribute__((export_name("sum"))) int64_t sum(int32_t *xs, size_t n) { int64_t s = 0; for (size_t i = 0; i < n; i++) s += xs[i]; free(xs); return s; }
__attribute__((export_name("twice"))) uint32_t twice(uint32_t n) { return (uint32_t)host_add(n, n); }
