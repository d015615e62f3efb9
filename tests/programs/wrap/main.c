// --wrap=symbol: undefined references to `symbol` go to `__wrap_symbol`, and
// `__real_symbol` reaches the original; here for a function defined in another file and
// for libc's strlen (-fno-builtin keeps the calls real).
// flags: -fno-builtin
// link: -Wl,--wrap=compute -Wl,--wrap=strlen
// expect-names: __wrap_compute __wrap_strlen compute strlen
// expect-exit: 0
#include <stdio.h>
#include <string.h>

int compute(int x);
int __real_compute(int);
int __wrap_compute(int x) { return __real_compute(x) + 1; }

size_t __real_strlen(const char *);
static int strlen_calls;
size_t __wrap_strlen(const char *s) { strlen_calls++; return __real_strlen(s); }

int main(void) {
    printf("compute(4) = %d\n", compute(4));
    size_t n = strlen("wrapped") + strlen("twice");
    printf("strlen total %zu after %d wrapped calls\n", n, strlen_calls);
    return 0;
}
