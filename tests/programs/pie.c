// -pie with --experimental-pic (-fPIC, no libc): a position-independent executable with
// dylink.0, internal data relocations and function pointers in data (applied at start by
// __wasm_apply_data_relocs), static constructors, and hidden symbols needing no GOT. The
// test's small loader places it at a base address and calls its exports (memory imported).
// flags: -fPIC
// link: -nostdlib -Wl,-pie -Wl,--experimental-pic -Wl,--import-memory -Wl,--no-entry
// link: -Wl,--export=pie_main -Wl,--export=pie_string -Wl,--export=__wasm_call_ctors
// run: pic
// call: pie_main(5)
// call: str pie_string(1)
// call: str pie_string(2)
// expect-sections: dylink.0
// expect-imports: env.memory
// expect-exports: pie_main pie_string __wasm_call_ctors
static const char *const words[] = {"zero", "one", "two", "three"};
static volatile int counter;        /* volatile: the constructor stays a constructor */
static int bump(int x) { return x + 1; }
static int drop(int x) { return x - 1; }
static int (*const steps[])(int) = {bump, drop, bump};
static volatile int *counter_ptr = &counter;

__attribute__((constructor)) static void init(void) { *counter_ptr = 1000; }

int pie_main(int n) {
    int x = n;
    for (int i = 0; i < 3; i++) x = steps[(i + n) % 3](x);
    return *counter_ptr + x;
}

const char *pie_string(int i) { return words[i & 3]; }
