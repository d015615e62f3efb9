"""The init ("fixup") module: instantiated after every library, it finishes the link.

Its start function, in this order:
1. stores each dl-openable data symbol's address into the dlopen table;
2. sets each GOT.mem global of main: provider's ``memory_base`` + the address the provider
   exports (libraries in input order; a weak entry nobody defines stays 0);
3. stores the address of each library's ``__wasm_library_tls_info`` into main's ``library_info``
   table (wasip3 TLS, tls.py; wit-component does this last, after the constructors: here a
   constructor that starts a thread finds the table complete);
4. calls every library's ``__wasm_apply_data_relocs``, then every library's
   ``__wasm_call_ctors`` or ``_initialize`` (each preceded by ``__wasm_init_task`` when the
   library has one) and ``__wasm_set_libraries`` (with the dlopen table's root), both passes in
   instantiation order, so that a library's constructors run after those of the libraries it
   needs. (wit-component calls them in input order; dependency order is what ELF loaders do,
   and what lets a constructor use another library's initialized state.)

Two active element segments fill the table: the dlopen function slots, then the trampoline
slots (each GOT.func target or forward-referenced function, from its provider; a stub from
main). Active data segments write the dlopen table and, when a library wants it,
``__wasm_program_tls_info``. It imports ``main``'s memory and table
with minimum 0, and ``main``'s and each library's exports under those instances' names.
"""
from __future__ import annotations

from ..binary.types import FUNCREF, MEMORY, TABLE, Limits, MemoryType, TableType
from .emit import ModuleWriter, call, global_get, global_set, i32_const, u32
from .libraries import LIBRARY_TLS_INFO
from .main_module import Layout, stub_export
from .resolve import STUBS, Resolution

MAIN = "main"


class _Imports:
    """Imports of the init module, each added once, remembered with its Source."""

    def __init__(self, w: ModuleWriter):
        self.w = w
        self.globals: dict[tuple[str, str], int] = {}
        self.funcs: dict[tuple[str, str], int] = {}

    def global_(self, module: str, name: str, mutable: bool = False) -> int:
        key = (module, name)
        if key not in self.globals:
            self.globals[key] = self.w.import_global(module, name, mutable)
        return self.globals[key]

    def func(self, module: str, name: str, params=(), results=()) -> int:
        key = (module, name)
        if key not in self.funcs:
            self.funcs[key] = self.w.import_func(module, name, self.w.type(params, results))
        return self.funcs[key]


def make_init_module(libs, res: Resolution, lay: Layout):
    """The init module's bytes and the (module, name) of each of its imports, in order."""
    by_name = {lib.name: lib for lib in libs}
    w = ModuleWriter()
    w.type((), ())
    w.add_import(MAIN, "memory", MEMORY, MemoryType(Limits(0, 0)))
    w.add_import(MAIN, "__indirect_function_table", TABLE, TableType(FUNCREF, Limits(0, 0)))
    imp = _Imports(w)
    body = bytearray()

    # 1. data addresses in the dlopen table
    for exporter, symbol, where in lay.dl.data_addresses:
        body += i32_const(where)
        body += global_get(imp.global_(MAIN, f"{exporter}:memory_base"))
        body += global_get(imp.global_(exporter, symbol))
        body += b"\x6a" + b"\x36\x02\x00"           # i32.add; i32.store align=2 offset=0
    # 2. GOT.mem entries
    for lib in libs:
        for symbol in lib.got_mem:
            provider = res.addresses[lib.name][symbol]
            if provider is None:
                continue
            body += global_get(imp.global_(MAIN, f"{provider}:memory_base"))
            body += global_get(imp.global_(provider, symbol))
            body += b"\x6a"
            body += global_set(imp.global_(MAIN, f"{lib.name}:{symbol}", True))
    # 3. the TLS info of each library with thread-local storage
    tls = lay.tls
    if tls.needs_program_info:
        for name, slot in tls.slots.items():
            body += i32_const(tls.library_info + 4 * slot)
            body += global_get(imp.global_(name, LIBRARY_TLS_INFO))
            body += global_get(imp.global_(MAIN, f"{name}:memory_base"))
            body += b"\x6a" + b"\x36\x02\x00"       # i32.add; i32.store align=2 offset=0
    # 4. relocations, then constructors, in instantiation order
    for name in res.order:
        if "__wasm_apply_data_relocs" in by_name[name].lifecycle:
            body += call(imp.func(name, "__wasm_apply_data_relocs"))
    for name in res.order:
        lib = by_name[name]
        starts = [f for f in ("__wasm_call_ctors", "_initialize") if f in lib.lifecycle]
        if starts and "__wasm_init_task" in lib.exports:
            body += call(imp.func(name, "__wasm_init_task"))
        for f in starts:
            body += call(imp.func(name, f))
        if "__wasm_set_libraries" in lib.lifecycle:
            body += i32_const(lay.dl.libraries_address)
            body += call(imp.func(name, "__wasm_set_libraries", (0x7F,)))

    dl_funcs = []
    for exporter, symbol in lay.dl.functions:
        ty = by_name[exporter].exports[symbol].type
        dl_funcs.append(imp.func(exporter, symbol, ty.params, ty.results))
    targets = []
    for t in res.trampolines:
        if t.provider == STUBS:
            targets.append(imp.func(MAIN, stub_export(t.name), t.type.params, t.type.results))
        else:
            ty = by_name[t.provider].exports[t.name].type
            targets.append(imp.func(t.provider, t.name, ty.params, ty.results))

    w.start = w.add_function(0, bytes(body))
    w.add_elements(lay.dl.table_base, dl_funcs)
    w.add_elements(lay.trampoline_base, targets)
    w.add_data(lay.dl.memory_base, lay.dl.buffer)
    if tls.buffer:
        w.add_data(tls.program_info, tls.buffer)
    return w.finish(), [(i.module, i.name) for i in w.imports]
