#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#define IMPORT(m, n) __attribute__((import_module(m), import_name(n)))
IMPORT("my:shapes/store@1.0.0", "[constructor]bucket") int32_t bucket_new(const char *p, size_t n);
IMPORT("my:shapes/store@1.0.0", "[method]bucket.put") void bucket_put(int32_t self, uint32_t v);
IMPORT("my:shapes/store@1.0.0", "[method]bucket.total") uint32_t bucket_total(int32_t self);
IMPORT("my:shapes/store@1.0.0", "[resource-drop]bucket") void bucket_drop(int32_t self);
IMPORT("my:shapes/store@1.0.0", "stamp") int64_t stamp(void);

__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, size_t os, size_t al, size_t ns) { return realloc(old, ns); }
static uint32_t ret[4] __attribute__((aligned(8)));
#define G "my:shapes/geometry@1.0.0#"
// variant shape: disc u8 @0, payload @4: circle u32 | rect point(s32,s32); flat: i32 disc, i32, i32
__attribute__((export_name(G "area"))) uint64_t area(int32_t disc, int32_t a, int32_t b) {
  if (disc == 0) return (uint64_t)3 * a * a;
  if (disc == 1) return (uint64_t)((int64_t)a * b < 0 ? -(int64_t)a * b : (int64_t)a * b);
  return 0;
}
// record point -> point: 2 flat results > 1: returned through a pointer
__attribute__((export_name(G "mirror"))) uint32_t *mirror(int32_t x, int32_t y) { ret[0] = (uint32_t)y; ret[1] = (uint32_t)x; return ret; }
static const char *COLORS[] = {"red", "green", "blue"};
__attribute__((export_name(G "describe"))) uint32_t *describe(int32_t color, int32_t style) {
  char *out = malloc(64); int n = 0;
  const char *c = COLORS[color]; size_t cl = strlen(c); memcpy(out, c, cl); n += cl;
  if (style & 1) { memcpy(out + n, " bold", 5); n += 5; }
  if (style & 2) { memcpy(out + n, " italic", 7); n += 7; }
  if (style & 4) { memcpy(out + n, " underline", 10); n += 10; }
  ret[0] = (uint32_t)out; ret[1] = n; return ret;
}
__attribute__((export_name("cabi_post_" G "describe"))) void describe_post(uint32_t *r) { free((void *)r[0]); }
// find(list<string>, string) -> option<u32>: flat params (i32 i32 i32 i32), result via pointer
__attribute__((export_name(G "find"))) uint32_t *find(uint32_t *names, size_t n, const char *w, size_t wl) {
  ret[0] = 0;
  for (size_t i = 0; i < n; i++) {
    if (names[2 * i + 1] == wl && memcmp((void *)names[2 * i], w, wl) == 0) { ret[0] = 1; ret[1] = i; break; }
  }
  for (size_t i = 0; i < n; i++) free((void *)names[2 * i]);
  free(names); free((void *)w);
  return ret;
}
__attribute__((export_name(G "checked-div"))) uint32_t *checked_div(int32_t a, int32_t b) {
  if (b == 0) { ret[0] = 1; ret[1] = (uint32_t)"division by zero"; ret[2] = 16; }
  else { ret[0] = 0; ret[1] = (uint32_t)(a / b); }
  return ret;
}
__attribute__((export_name("count-bucket"))) uint32_t count_bucket(uint32_t n) {
  int32_t b = bucket_new("b", 1);
  for (uint32_t i = 1; i <= n; i++) bucket_put(b, i);
  uint32_t t = bucket_total(b) + (stamp() > 0 ? 1000 : 0);
  bucket_drop(b);
  return t;
}
