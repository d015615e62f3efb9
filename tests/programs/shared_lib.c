// -shared with --experimental-pic (-fPIC objects, no libc): a dylink.0 library with data
// relocations applied at load time by __wasm_apply_data_relocs, GOT.mem imports for
// exported data and for data the host provides, GOT.func for an exported function's
// address, a function table, and __memory_base/__table_base. The test's small loader runs it.
// flags: -fPIC -fvisibility=default
// link: -shared -nostdlib -Wl,--experimental-pic -Wl,--no-entry -Wl,--unresolved-symbols=import-dynamic
// run: pic
// call: lib_sum()
// call: lib_call(3)
// call: lib_call(4)
// call: lib_external()
// call: lib_address_checks()
// expect-sections: dylink.0
// expect-imports: env.memory env.__memory_base env.__table_base GOT.mem.host_external_value
// expect-exports: lib_sum lib_call lib_data
int lib_data[4] = {10, 20, 30, 40};
int *lib_data_ptr = &lib_data[1];
extern int host_external_value;
int *external_ptr = &host_external_value;

static int twice(int x) { return 2 * x; }
static int thrice(int x) { return 3 * x; }
int lib_square(int x) { return x * x; }
int (*const ops[])(int) = {twice, thrice, lib_square};
int (*square_ptr)(int) = lib_square;

int lib_sum(void) {
    int s = 0;
    for (int i = 0; i < 4; i++) s += lib_data[i];
    return s + *lib_data_ptr;
}

int lib_call(int x) { return ops[x % 3](x) + square_ptr(x); }

int lib_external(void) { return *external_ptr + host_external_value; }

int lib_address_checks(void) {
    int ok = 0;
    ok |= (lib_data_ptr == &lib_data[1]) << 0;
    ok |= (square_ptr == &lib_square) << 1;
    ok |= (external_ptr == &host_external_value) << 2;
    return ok;
}
