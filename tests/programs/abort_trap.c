// abort() ends a WASI program with an `unreachable` trap (no exit code); output flushed
// before it is kept.
// expect-trap: unreachable
#include <stdio.h>
#include <stdlib.h>

static void check(int ok, const char *what) {
    printf("check %s: %s\n", what, ok ? "ok" : "failed, aborting");
    fflush(stdout);
    if (!ok) abort();
}

int main(void) {
    check(1 + 1 == 2, "arithmetic");
    check(sizeof(void *) == 4, "wasm32 pointers");
    check(0, "deliberate failure");
    printf("not reached\n");
    return 0;
}
