// Thread-local storage with shared memory (--shared-memory), without libc: Debian's wasi-libc is
// single-threaded (its objects forbid shared memory), so the program has no _start and its
// "threads" are TLS blocks that it hands to the linker-made __wasm_init_tls, as a thread
// runtime would. __wasm_init_memory (the start function) copies the passive segments in under
// its atomic flag and points __tls_base at the static block; each new block gets fresh .tdata
// (including a pointer into shared data) and zeroed .tbss, while shared data stays shared.
// (clang-22 reaches TLS through __tls_base + offset for wasm32-wasi, even with -fPIC; the
// GOT@TLS path, __wasm_apply_global_tls_relocs, is covered by lld's tls.s.)
// flags: -pthread -matomics -mbulk-memory
// link: -nostdlib -Wl,--no-entry -Wl,--shared-memory -Wl,--max-memory=1048576
// link: -Wl,--export=__tls_size -Wl,--export=__tls_align
// run: exports
// call: bump(3)
// call: bump(4)
// call: tls_layout()
// call: enter_thread(1)
// call: bump(10)
// call: enter_thread(2)
// call: bump(20)
// call: enter_thread(1)
// call: bump(1)
// call: shared_total()
// expect-exports: bump enter_thread __tls_size __tls_align
#include <stddef.h>
#include <stdint.h>

extern void __wasm_init_tls(void *block);

int shared_values[4] = {100, 200, 300, 400};
int shared_total_count;

_Thread_local int counter = 5;                       // .tdata
_Thread_local int calls;                             // .tbss
_Thread_local int *cursor = &shared_values[1];       // a pointer in TLS data
__attribute__((visibility("hidden"))) _Thread_local long long hidden_sum = 1000;
__attribute__((visibility("hidden"))) _Thread_local char tag[8] = "main";

// room for two more threads' blocks (TLS is small here), aligned for any TLS variable
static _Alignas(16) unsigned char blocks[2][256];

__attribute__((export_name("bump")))
int bump(int n) {
    counter += n;
    calls++;
    hidden_sum += n * 2;
    shared_total_count += n;
    return counter * 1000000 + calls * 10000 + (int)(hidden_sum % 10000) + *cursor + tag[0];
}

// 1 if the TLS block is where __wasm_init_tls put it and holds every variable, 0 otherwise
__attribute__((export_name("tls_layout")))
int tls_layout(void) {
    uintptr_t base = (uintptr_t)__builtin_wasm_tls_base();
    size_t size = __builtin_wasm_tls_size();
    uintptr_t vars[] = {(uintptr_t)&counter, (uintptr_t)&calls, (uintptr_t)&cursor,
                        (uintptr_t)&hidden_sum, (uintptr_t)tag};
    if (size == 0 || size > sizeof blocks[0] || base % __builtin_wasm_tls_align())
        return 0;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (vars[i] < base || vars[i] >= base + size)
            return 0;
    return (int)(size * 100 + __builtin_wasm_tls_align());
}

__attribute__((export_name("enter_thread")))
int enter_thread(int thread) {
    __wasm_init_tls(blocks[thread - 1]);
    cursor += thread;
    tag[0] = (char)('0' + thread);
    return (uintptr_t)__builtin_wasm_tls_base() == (uintptr_t)blocks[thread - 1] ? counter : -1;
}

__attribute__((export_name("shared_total")))
int shared_total(void) {
    return shared_total_count;
}
