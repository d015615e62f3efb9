// --initial-memory and --max-memory on an exported memory: malloc grows memory until the
// maximum and then returns NULL instead of trapping.
// link: -Wl,--initial-memory=196608 -Wl,--max-memory=1048576
// expect-exit: 0
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    printf("initial pages: %zu\n", __builtin_wasm_memory_size(0));
    int blocks = 0;
    char *volatile block;
    while (blocks < 100 && (block = malloc(64 * 1024)) != NULL) {
        block[0] = (char)blocks;    /* used, so the allocation cannot be elided */
        blocks++;
    }
    printf("64 KiB blocks before NULL: between 8 and 15: %s\n", blocks >= 8 && blocks <= 15 ? "yes" : "no");
    printf("pages at the end: %zu\n", __builtin_wasm_memory_size(0));
    fprintf(stderr, "blocks %d\n", blocks);
    return 0;
}
