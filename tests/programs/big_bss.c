// A 64 MiB zero-initialized static array: .bss takes no space in the file but the memory's
// initial size covers it (printed in pages); both ends are writable.
// expect-exit: 0
#include <stdio.h>
#include <stdint.h>

#define BIG (64u << 20)
static unsigned char big[BIG];
static int small_data[4] = {1, 2, 3, 4};

int main(void) {
    size_t pages = __builtin_wasm_memory_size(0);
    big[0] = 1;
    big[BIG - 1] = 2;
    unsigned sum = 0;
    for (size_t i = 0; i < BIG; i += 4096) sum += big[i];
    printf("memory pages >= 1025: %s\n", pages >= 1025 ? "yes" : "no");
    printf("array fits: %s\n", (uintptr_t)&big[BIG - 1] < pages * 65536 ? "yes" : "no");
    printf("ends: %d %d, sampled sum %u, data %d\n", big[0], big[BIG - 1], sum, small_data[3]);
    fprintf(stderr, "pages %zu big %p data %p\n", pages, (void *)big, (void *)small_data);
    return 0;
}
