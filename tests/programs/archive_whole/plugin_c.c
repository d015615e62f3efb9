void register_plugin(const char *, int (*)(int));
static int run_c(int x) { return x + 'c'; }
__attribute__((constructor)) static void init_c(void) { register_plugin("plugin_c", run_c); }
