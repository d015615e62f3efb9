// --no-stack-first with --global-base: data starts at the global base and the stack comes
// after the data, growing down towards it.
// link: -Wl,--no-stack-first -Wl,--global-base=4096
// expect-exit: 0
#include <stdio.h>
#include <stdint.h>

extern char __stack_low, __stack_high, __data_end, __heap_base, __global_base;
static const char message[] = "data at the global base";
int table[3] = {7, 8, 9};

int main(void) {
    int local = 0;
    printf("global base: %lu\n", (unsigned long)(uintptr_t)&__global_base);
    printf("data at or above 4096: %s\n", (uintptr_t)message >= 4096 && (uintptr_t)table >= 4096 ? "yes" : "no");
    printf("stack above data: %s\n", (uintptr_t)&__stack_low >= (uintptr_t)&__data_end ? "yes" : "no");
    printf("local above data: %s\n", (uintptr_t)&local > (uintptr_t)table ? "yes" : "no");
    printf("stack size: %lu\n", (unsigned long)(&__stack_high - &__stack_low));
    printf("%s, table %d %d %d\n", message, table[0], table[1], table[2]);
    fprintf(stderr, "global_base %p stack_low %p stack_high %p data_end %p heap_base %p\n",
            (void *)&__global_base, (void *)&__stack_low, (void *)&__stack_high,
            (void *)&__data_end, (void *)&__heap_base);
    fprintf(stderr, "message %p table %p\n", (void *)message, (void *)table);
    return 0;
}
