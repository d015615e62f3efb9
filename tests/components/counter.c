// A reactor built against wasi-libc (printf goes through wasi_snapshot_preview1, so it needs
// the reactor adapter) that implements tests/components/counter.wit by hand.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void __component_type_object_force_link_counter(void);

static uint32_t total;
static uint32_t ret_area[2];

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
  return realloc(old, new_size);
}

__attribute__((export_name("bump"))) uint32_t bump(uint32_t by) {
  total += by;
  printf("bumped by %u to %u\n", by, total);
  fflush(stdout);
  return total;
}

__attribute__((export_name("report"))) uint32_t *report(char *label, size_t len) {
  char *out = malloc(len + 32);
  int n = snprintf(out, len + 32, "%.*s: %u", (int)len, label, total);
  free(label);
  ret_area[0] = (uint32_t)out;
  ret_area[1] = (uint32_t)n;
  return ret_area;
}

__attribute__((export_name("cabi_post_report"))) void post_report(uint32_t *ret) {
  free((void *)ret[0]);
}

#ifdef FORCE_LINK
__attribute__((used)) static void (*keep)(void) = __component_type_object_force_link_counter;
#endif
