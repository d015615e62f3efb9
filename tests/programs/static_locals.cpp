// Static locals: C-style zero/constant-initialized ones, and C++ ones with dynamic
// initialization on first call (guard variables through libc++abi's __cxa_guard_*), whose
// destructors run at exit in reverse order of construction.
// expect-exit: 6
#include <stdio.h>

struct Tracer {
    const char *name;
    int value;
    Tracer(const char *n, int v) : name(n), value(v) { printf("construct %s\n", name); }
    ~Tracer() { printf("destroy %s\n", name); }
};

static int next_id() {
    static int id = 0;                   // constant-initialized
    return ++id;
}

static Tracer &alpha() {
    static Tracer t("alpha", next_id()); // dynamic initialization, once
    return t;
}

static Tracer &beta() {
    static Tracer t("beta", next_id() * 10);
    return t;
}

static int fib_memo(int n) {
    static int memo[40];                 // zero-initialized, lives in .bss
    if (n < 2) return n;
    if (memo[n]) return memo[n];
    return memo[n] = fib_memo(n - 1) + fib_memo(n - 2);
}

int main() {
    printf("main starts\n");
    printf("beta %d\n", beta().value);
    printf("alpha %d\n", alpha().value);
    printf("alpha again %d\n", alpha().value);
    printf("fib(30) = %d\n", fib_memo(30));
    alpha().value += 3;
    return alpha().value + beta().value - 9;
}
