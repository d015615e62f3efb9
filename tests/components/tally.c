// An exported resource implemented by hand: the guest keeps each tally in its memory and
// hands the component model a handle made by [resource-new]; the destructor frees it.
#include <stdint.h>
#include <stdlib.h>
#define IFACE "my:tally/tallies@0.1.0"
__attribute__((import_module("[export]" IFACE), import_name("[resource-new]tally")))
int32_t tally_new(int32_t rep);
__attribute__((import_module("[export]" IFACE), import_name("[resource-rep]tally")))
int32_t tally_rep(int32_t handle);

struct tally { uint32_t total; };
uint32_t live_tallies;

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) { return realloc(old, new_size); }

__attribute__((export_name(IFACE "#[constructor]tally"))) int32_t construct(uint32_t start) {
  struct tally *t = malloc(sizeof *t);
  t->total = start;
  live_tallies++;
  return tally_new((int32_t)t);
}
// methods take the borrowed handle's rep directly (a borrow of one's own resource)
__attribute__((export_name(IFACE "#[method]tally.add"))) void add(struct tally *t, uint32_t n) { t->total += n; }
__attribute__((export_name(IFACE "#[method]tally.total"))) uint32_t total(struct tally *t) { return t->total; }
__attribute__((export_name(IFACE "#merge"))) int32_t merge(struct tally *a, struct tally *b) {
  return construct(a->total + b->total);
}
__attribute__((export_name(IFACE "#[dtor]tally"))) void dtor(struct tally *t) { live_tallies--; free(t); }
__attribute__((export_name("live-count"))) uint32_t live_count(void) { return live_tallies; }
