// Varargs: printf of floats and doubles in every conversion, a variadic function of our
// own walking a va_list, vsnprintf through a wrapper, and long double printing (which
// needs -lc-printscan-long-double and compiler-rt's 128-bit float builtins).
// link: -lc-printscan-long-double
// expect-exit: 0
#include <stdarg.h>
#include <stdio.h>

static double average(int n, ...) {
    va_list ap;
    va_start(ap, n);
    double sum = 0;
    for (int i = 0; i < n; i++) sum += va_arg(ap, double);
    va_end(ap);
    return n ? sum / n : 0;
}

static int format(char *buf, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int main(void) {
    double values[] = {0.0, 1.0, -2.5, 3.14159265358979, 1e-7, 6.02214076e23, 1.0 / 3};
    for (int i = 0; i < 7; i++)
        printf("%%f %f | %%e %e | %%g %g | %%.3a %.3a\n", values[i], values[i], values[i], values[i]);
    float f = 0.1f;
    printf("float promoted: %.10f, %8.3f|, %-8.2f|, %+g\n", f, f * 3, f, (double)-f);
    printf("average = %.4f\n", average(4, 1.5, 2.5, 3.5, 4.75));
    char buf[64];
    int n = format(buf, sizeof buf, "[%s|%5d|%-5x|%c|%.2f]", "va", 42, 255, 'z', 2.675);
    printf("%s (%d chars)\n", buf, n);
    long double big = 1.0L / 3.0L;
    printf("long double: %.25Lf\n", big);
    printf("mixed: %d %.1f %ld %s %Lg\n", 1, 2.0, 3L, "four", 5.0L);
    return 0;
}
