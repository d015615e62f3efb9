// A library loaded with dlopen at run time (--dl-openable): nothing links against it.
int plugin_value(int x) { return x * 3 + 1; }
int plugin_counter = 41;
