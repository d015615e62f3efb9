const char *greeting(void) { return "strong greeting from override.c"; }
int threshold = 42;
__attribute__((weak)) int limit = 7;   /* both weak: the first in link order wins */
int strong_count(void) { return 2; }
