void register_plugin(const char *, int (*)(int));
static int run_b(int x) { return x + 'b'; }
__attribute__((constructor)) static void init_b(void) { register_plugin("plugin_b", run_b); }
