// -z stack-size: a recursion using ~400 KiB of stack runs with a 1 MiB stack (the default
// 64 KiB would overflow below address 0 and trap).
// link: -Wl,-z,stack-size=1048576
// expect-exit: 0
#include <stdio.h>
#include <string.h>

extern char __stack_low, __stack_high;

static unsigned deep(int depth, unsigned seed) {
    volatile unsigned char frame[1000];
    memset((void *)frame, (int)(seed & 0xff), sizeof frame);
    if (depth == 0) return frame[999];
    return frame[depth % 1000] + deep(depth - 1, seed * 1103515245u + 12345u);
}

int main(void) {
    printf("stack: %lu bytes\n", (unsigned long)(&__stack_high - &__stack_low));
    printf("deep(400) = %u\n", deep(400, 1));
    return 0;
}
