// The main library: exports `report: func(x: s32) -> string` telling what the others did.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
extern int order_log[];
extern int order_len;
int through_pointer(int x);
int same_address(void);
int hook_or_default(int x);
const char *name_of_base(void);
__attribute__((constructor)) static void init(void) { void log_ctor(int); log_ctor(3); }
static uint32_t ret_area[2];
__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *o, size_t os, size_t a, size_t n) { return realloc(o, n); }
__attribute__((export_name("report"))) uint32_t *report(int32_t x) {
  char *s = malloc(128);
  char order[32] = "";
  for (int i = 0; i < order_len; i++) snprintf(order + strlen(order), 8, i ? ",%d" : "%d", order_log[i]);
  snprintf(s, 128, "order=%s op=%d same=%d hook=%d name=%s", order, through_pointer(x),
           same_address(), hook_or_default(x), name_of_base());
  ret_area[0] = (uint32_t)s; ret_area[1] = strlen(s);
  return ret_area;
}
__attribute__((export_name("cabi_post_report"))) void post_report(uint32_t *r) { free((void *)r[0]); }
