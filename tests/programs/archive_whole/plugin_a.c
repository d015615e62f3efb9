void register_plugin(const char *, int (*)(int));
static int run_a(int x) { return x + 'a'; }
__attribute__((constructor)) static void init_a(void) { register_plugin("plugin_a", run_a); }
