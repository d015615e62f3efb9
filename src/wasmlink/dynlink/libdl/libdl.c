// The built-in libdl.so of `wasmlink component link --use-built-in-libdl`: dlopen, dlsym,
// dlclose and dlerror over the lookup table the init module hands to __wasm_set_libraries
// (laid out by ../dlopen.py: libraries sorted by name, each with its symbols sorted by name).
// Freestanding: it links against nothing, not even libc, so any libc can use it.
#include <stddef.h>
#include <stdint.h>

struct symbol { uint32_t name_len; const char *name; void *address; };
struct library { uint32_t name_len; const char *name; uint32_t symbols_len; struct symbol *symbols; };
struct libraries { uint32_t len; struct library *items; };

static struct libraries *table;
static const char *error;

#define RTLD_NEXT ((void *)-1)
#define RTLD_DEFAULT ((void *)0)

__attribute__((visibility("default"))) void __wasm_set_libraries(struct libraries *t) { table = t; }

static size_t length(const char *s) { size_t n = 0; while (s[n]) n++; return n; }

// -1, 0, 1 as the length-prefixed a compares to the NUL-terminated b
static int compare(const char *a, uint32_t a_len, const char *b, size_t b_len) {
  size_t n = a_len < b_len ? a_len : b_len;
  for (size_t i = 0; i < n; i++) {
    if ((unsigned char)a[i] != (unsigned char)b[i]) return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
  }
  return a_len == b_len ? 0 : (a_len < b_len ? -1 : 1);
}

__attribute__((visibility("default"))) void *dlopen(const char *name, int flags) {
  (void)flags;
  if (name == 0) { error = "dlopen of the main program is not supported"; return 0; }
  if (table == 0) { error = "no libraries can be opened"; return 0; }
  size_t len = length(name);
  uint32_t lo = 0, hi = table->len;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int c = compare(table->items[mid].name, table->items[mid].name_len, name, len);
    if (c == 0) return &table->items[mid];
    if (c < 0) lo = mid + 1; else hi = mid;
  }
  error = "library not found";
  return 0;
}

__attribute__((visibility("default"))) void *dlsym(void *handle, const char *name) {
  if (handle == RTLD_NEXT || handle == RTLD_DEFAULT) {
    error = "dlsym with RTLD_NEXT or RTLD_DEFAULT is not supported";
    return 0;
  }
  struct library *lib = handle;
  size_t len = length(name);
  uint32_t lo = 0, hi = lib->symbols_len;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int c = compare(lib->symbols[mid].name, lib->symbols[mid].name_len, name, len);
    if (c == 0) return lib->symbols[mid].address;
    if (c < 0) lo = mid + 1; else hi = mid;
  }
  error = "symbol not found";
  return 0;
}

__attribute__((visibility("default"))) int dlclose(void *handle) { (void)handle; return 0; }

__attribute__((visibility("default"))) char *dlerror(void) {
  const char *e = error;
  error = 0;
  return (char *)e;
}
