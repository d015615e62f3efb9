// libm (part of wasi-libc's libc.a) and compiler-rt builtins: transcendental functions,
// rounding modes of conversions, fmod/frexp/ldexp, 64-bit integer division and a
// long double multiply (__multf3) and division (__divtf3).
// expect-exit: 0
#include <math.h>
#include <stdio.h>
#include <stdint.h>

int main(void) {
    double xs[] = {0.5, 1.0, 2.0, 10.0};
    for (int i = 0; i < 4; i++) {
        double x = xs[i];
        printf("x=%-4g sin %.6f cos %.6f exp %.6e log %.6f sqrt %.6f cbrt %.6f atan2 %.6f\n",
               x, sin(x), cos(x), exp(x), log(x), sqrt(x), cbrt(x), atan2(x, 1.5));
    }
    printf("pow(2, 0.5) = %.12f, hypot(3, 4) = %g\n", pow(2, 0.5), hypot(3, 4));
    printf("floor/ceil/round/trunc(-2.5): %g %g %g %g\n", floor(-2.5), ceil(-2.5), round(-2.5), trunc(-2.5));
    int e;
    double m = frexp(48.0, &e);
    printf("frexp(48) = %g * 2^%d, ldexp(0.75, 6) = %g, fmod(10, 3.5) = %g\n", m, e, ldexp(0.75, 6), fmod(10, 3.5));
    printf("isnan(nan) %d isinf(1/0.0) %d\n", isnan(nan("")), isinf(1 / 0.0));
    volatile int64_t big = INT64_C(9000000000123), div = 7;
    printf("int64: %lld / %lld = %lld rem %lld\n", (long long)big, (long long)div, (long long)(big / div), (long long)(big % div));
    volatile long double a = 1.5L, b = 3.0L;
    long double p = a * b, q = a / b;
    printf("long double product is 4.5: %s, quotient is 0.5: %s\n", p == 4.5L ? "yes" : "no", q == 0.5L ? "yes" : "no");
    return 0;
}
