// exit() from deep in the call stack: the exit code reaches the host (proc_exit), atexit
// handlers run in reverse order (one registering another), buffered stdout is flushed.
// expect-exit: 7
#include <stdio.h>
#include <stdlib.h>

static void late(void) { printf("handler registered during exit\n"); }
static void one(void) { printf("atexit one\n"); }
static void two(void) { printf("atexit two\n"); atexit(late); }

static void dive(int depth) {
    if (depth == 0) {
        printf("exiting from depth 0\n");
        exit(7);
    }
    dive(depth - 1);
    printf("not reached\n");
}

int main(void) {
    atexit(one);
    atexit(two);
    printf("buffered before exit\n");
    dive(5);
    return 0;
}
