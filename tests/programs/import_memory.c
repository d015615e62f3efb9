// --import-memory with --initial-memory/--max-memory: the memory comes from the host
// (env.memory with the module's limits) and is re-exported for WASI; memory.grow stops at
// the maximum.
// link: -Wl,--import-memory -Wl,--export-memory -Wl,--initial-memory=262144 -Wl,--max-memory=524288
// expect-imports: env.memory
// expect-exports: memory
// expect-exit: 0
#include <stdio.h>

static char greeting[] = "hello from imported memory";

int main(void) {
    printf("%s\n", greeting);
    printf("pages at start: %zu\n", __builtin_wasm_memory_size(0));
    printf("grow by 2: %ld\n", (long)__builtin_wasm_memory_grow(0, 2) >= 0 ? 0L : -1L);
    printf("grow past max: %ld\n", (long)__builtin_wasm_memory_grow(0, 100));
    printf("pages now: %zu\n", __builtin_wasm_memory_size(0));
    return 0;
}
