// --stack-first (the default in LLVM 22, given explicitly): the stack sits below the data,
// so data addresses are above __stack_high and the stack pointer starts at __stack_high.
// The exact layout symbols go to stderr, which the wasmlink half compares.
// link: -Wl,--stack-first -Wl,-z,stack-size=32768
// expect-exit: 0
#include <stdio.h>
#include <stdint.h>

extern char __stack_low, __stack_high, __data_end, __heap_base, __global_base, __dso_handle;
static int initialized = 5;
static int zeroed;

int main(void) {
    int local = 0;
    uintptr_t stack_low = (uintptr_t)&__stack_low, stack_high = (uintptr_t)&__stack_high;
    printf("stack size: %lu\n", (unsigned long)(stack_high - stack_low));
    printf("local on the stack: %s\n",
           (uintptr_t)&local >= stack_low && (uintptr_t)&local < stack_high ? "yes" : "no");
    printf("data above the stack: %s\n", (uintptr_t)&initialized >= stack_high ? "yes" : "no");
    printf("bss above data: %s\n", (uintptr_t)&zeroed > (uintptr_t)&initialized ? "yes" : "no");
    printf("heap base after data end: %s\n", &__heap_base >= &__data_end ? "yes" : "no");
    fprintf(stderr, "global_base %p stack_low %p stack_high %p data_end %p heap_base %p dso %p\n",
            (void *)&__global_base, (void *)&__stack_low, (void *)&__stack_high,
            (void *)&__data_end, (void *)&__heap_base, (void *)&__dso_handle);
    fprintf(stderr, "initialized %p zeroed %p\n", (void *)&initialized, (void *)&zeroed);
    return initialized + zeroed - 5;
}
