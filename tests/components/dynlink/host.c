// dlopen, dlsym, dlerror and dlclose of a --dl-openable library through the built-in libdl.so.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
void *dlopen(const char *name, int flags);
void *dlsym(void *handle, const char *name);
char *dlerror(void);
int dlclose(void *handle);
static uint32_t ret_area[2];
__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *o, size_t os, size_t a, size_t n) { return realloc(o, n); }
__attribute__((export_name("probe"))) int32_t probe(int32_t x) {
  void *lib = dlopen("libplugin.so", 2);
  if (!lib) return -1;
  int (*value)(int) = (int (*)(int))dlsym(lib, "plugin_value");
  int *counter = (int *)dlsym(lib, "plugin_counter");
  if (!value || !counter) return -2;
  if (dlopen("libmissing.so", 2) != 0 || dlerror() == 0) return -3;
  if (dlsym(lib, "no_such_symbol") != 0 || dlerror() == 0) return -4;
  int result = value(x) + *counter;
  if (dlclose(lib) != 0) return -5;
  return result;
}
