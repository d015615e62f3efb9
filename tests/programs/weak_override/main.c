// Weak and strong definitions across files: weak defaults here, strong overrides in
// override.c for some of them; a weak undefined function and a weak undefined variable that
// nothing defines (their addresses are null); a weak variable overridden by a strong one.
// expect-exit: 0
#include <stdio.h>

__attribute__((weak)) const char *greeting(void) { return "weak greeting"; }
__attribute__((weak)) const char *farewell(void) { return "weak farewell"; }
__attribute__((weak)) int threshold = 10;
__attribute__((weak)) int limit = 99;

extern void optional_hook(void) __attribute__((weak));
extern int optional_value __attribute__((weak));

int strong_count(void);

int main(void) {
    printf("greeting: %s\n", greeting());
    printf("farewell: %s\n", farewell());
    printf("threshold: %d, limit: %d\n", threshold, limit);
    printf("optional_hook: %s\n", optional_hook ? "defined" : "null");
    printf("optional_value: %s\n", &optional_value ? "defined" : "null");
    if (optional_hook) optional_hook();
    printf("strong_count: %d\n", strong_count());
    return 0;
}
