// -shared against another shared library (libdep.so, linked first by wasm-ld-22): the
// library's functions and data become env.* and GOT.* imports and dylink.0 lists it as
// needed. Two modules need a real dynamic loader, so this one is validated, not run.
// flags: -fPIC -fvisibility=default
// shared: libdep.so = dep.c
// link: -shared -nostdlib -Wl,--experimental-pic -Wl,--no-entry
// run: validate
// expect-sections: dylink.0
// expect-imports: env.dep_scale GOT.mem.dep_counter GOT.func.dep_scale env.__stack_pointer
// expect-exports: use_dep scale_ptr
extern int dep_counter;
int dep_scale(int);
int (*scale_ptr)(int) = dep_scale;

int use_dep(int x) {
    volatile int on_stack[8];                /* needs the stack pointer */
    for (int i = 0; i < 8; i++) on_stack[i] = dep_scale(x + i);
    return on_stack[7] + dep_counter + scale_ptr(1);
}
