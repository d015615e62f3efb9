// A reactor (-mexec-model=reactor): no _start; the host calls _initialize (which runs the
// constructors) and then the exports, in order; state persists between calls, and a
// returned pointer is read back by the host as a C string.
// link: -mexec-model=reactor -Wl,--export=counter_add -Wl,--export=counter_get
// run: reactor
// call: counter_get()
// call: counter_add(5)
// call: counter_add(-2)
// call: counter_get()
// call: mean(2.0, 5.0)
// call: str describe(7)
// call: str describe(-1)
// call: report()
// expect-exports: _initialize counter_add counter_get mean describe report memory
#include <stdio.h>

static int counter;
static char buffer[64];

__attribute__((constructor)) static void init(void) {
    counter = 100;
    printf("reactor initialized\n");
    fflush(stdout);
}

int counter_add(int delta) { return counter += delta; }
int counter_get(void) { return counter; }

__attribute__((export_name("mean"))) double mean(double a, double b) { return (a + b) / 2; }

__attribute__((export_name("describe"))) const char *describe(int n) {
    snprintf(buffer, sizeof buffer, "%d is %s", n, n < 0 ? "negative" : n % 2 ? "odd" : "even");
    return buffer;
}

__attribute__((export_name("report"))) void report(void) {
    printf("report: counter=%d\n", counter);
    fflush(stdout);
}
