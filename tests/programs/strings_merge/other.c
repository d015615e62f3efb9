const char *other_hello(void) { return "hello, merged world"; }
const char *other_unique(void) { return "only in other.c"; }
const char *other_world(void) { return "merged world"; }
