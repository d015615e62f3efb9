"""Memory and table layout, and the synthesized main module that owns them.

The layout is wit-component's. Memory: the stack from 0 up to ``stack_size`` (the stack pointer
starts at the top and grows down), then the dlopen lookup table, then wasip3's TLS tables
(tls.py; only when a library uses them), then each library's
``memory_size`` bytes at its ``memory_base`` (input order, each aligned as its ``dylink.0``
asks), then the heap from ``__heap_base`` (16-aligned) to ``__heap_end`` (the next page
boundary; the memory's minimum size). Table: slot 0 is the null function pointer; then the
dlopen function slots, each library's ``table_size`` slots at its ``table_base``, then one slot
per trampoline (GOT.func targets and forward references).

The main module defines the memory, ``__indirect_function_table`` and these i32 globals, each
exported under its name: ``__stack_pointer``, ``__init_stack_pointer``, ``__stack_high``,
``__stack_low`` (plus ``__asyncify_state``/``__asyncify_data`` when a library imports them);
per library ``NAME:memory_base`` and ``NAME:table_base`` (immutable) and ``NAME:symbol`` for each
GOT.mem entry (mutable, 0 until the init module sets it); then ``NAME:symbol`` for each GOT.func
entry (mutable, holding its table slot); ``__heap_base`` and ``__heap_end`` (mutable, as
libc's GOT.mem imports want), and ``__wasm_program_tls_info`` when a library imports it. Its
functions are the trampolines (exported under the symbol's name), the trapping stubs (exported
as ``wit-component:stubs:NAME``) and each library's TLS-base accessors
(``NAME:__wasm_get_tls_base``, ``NAME:__wasm_set_tls_base``); its one possible import is
``$root [context-get-1]``, which those accessors read when threads may exist (``main_imports``
says what it imports).
"""
from __future__ import annotations

from ..binary.types import FUNC, GLOBAL, I32, MEMORY, TABLE
from .dlopen import DlOpenTable
from .emit import ModuleWriter, i32_const, u32
from .libraries import PROGRAM_TLS_INFO, ROOT, TLS_BASE_INTRINSICS
from .resolve import STUBS, Resolution
from .tls import CONTEXT_GET_1, TlsLayout

PAGE_SIZE = 65536
HEAP_ALIGNMENT = 16


def align(value: int, alignment: int) -> int:
    return (value + alignment - 1) & -alignment


def stub_export(name: str) -> str:
    return f"{STUBS}:{name}"


class Layout:
    """Where everything lives; filled by ``lay_out``."""

    def __init__(self):
        self.memory_base: dict[str, int] = {}
        self.table_base: dict[str, int] = {}
        self.got_func_slot: dict[tuple[str, str], int] = {}   # (library, symbol) -> slot or 0
        self.trampoline_base = 0
        self.table_size = 0
        self.heap_base = 0
        self.heap_end = 0
        self.dl: DlOpenTable | None = None
        self.tls: TlsLayout | None = None


def lay_out(libs, res: Resolution, stack_size: int) -> Layout:
    lay = Layout()
    memory = stack_size
    table = 1
    lay.dl = DlOpenTable(libs, table, memory)
    table += len(lay.dl.functions)
    memory += len(lay.dl.buffer)
    lay.tls = TlsLayout(libs, memory)
    memory = lay.tls.end
    for lib in libs:
        memory = align(memory, 1 << lib.mem_info.memory_p2align)
        table = align(table, 1 << lib.mem_info.table_p2align)
        lay.memory_base[lib.name] = memory
        lay.table_base[lib.name] = table
        memory += lib.mem_info.memory_size
        table += lib.mem_info.table_size
    lay.trampoline_base = table
    slots = {t.name: table + i for i, t in enumerate(res.trampolines)}
    for lib in libs:
        for symbol in lib.got_func:
            provider = res.got_funcs[lib.name][symbol]
            lay.got_func_slot[(lib.name, symbol)] = 0 if provider is None else slots[symbol]
    lay.table_size = table + len(res.trampolines)
    lay.heap_base = align(memory, HEAP_ALIGNMENT)
    lay.heap_end = align(lay.heap_base, PAGE_SIZE)
    if lay.heap_end >= 1 << 32:
        raise_memory_full(lay.heap_end)
    return lay


def raise_memory_full(size: int) -> None:
    from ..errors import LinkError
    raise LinkError(f"linked memory needs {size} bytes, more than a 32-bit memory holds")


def main_imports(lay: Layout) -> list[tuple[str, str]]:
    """The (module, name) of each import of the main module, in order."""
    return [(ROOT, CONTEXT_GET_1)] if lay.tls.indirect else []


def make_main_module(libs, res: Resolution, lay: Layout, stack_size: int) -> bytes:
    w = ModuleWriter()
    exports = []
    context_get = None
    if lay.tls.indirect:
        context_get = w.import_func(ROOT, CONTEXT_GET_1, w.type((), (I32,)))

    def global_export(name: str, value: int, mutable: bool) -> None:
        exports.append((name, GLOBAL, w.add_global(value, mutable)))

    global_export("__stack_pointer", stack_size, True)
    global_export("__init_stack_pointer", stack_size, False)
    if any(name in ("__asyncify_state", "__asyncify_data")
           for lib in libs for name in (i.name for i in lib.module.imports if i.module == "env")):
        global_export("__asyncify_state", 0, True)
        global_export("__asyncify_data", 0, True)
    global_export("__stack_high", stack_size, True)
    global_export("__stack_low", 0, True)
    if lay.tls.needs_program_info:
        global_export(PROGRAM_TLS_INFO, lay.tls.program_info, True)
    for lib in libs:
        global_export(f"{lib.name}:memory_base", lay.memory_base[lib.name], False)
        global_export(f"{lib.name}:table_base", lay.table_base[lib.name], False)
        for symbol in lib.got_mem:
            global_export(f"{lib.name}:{symbol}", 0, True)
    for lib in libs:
        for symbol in lib.got_func:
            global_export(f"{lib.name}:{symbol}", lay.got_func_slot[(lib.name, symbol)], True)
    global_export("__heap_base", lay.heap_base, True)
    global_export("__heap_end", lay.heap_end, True)

    for name, ty in res.stubs.items():
        index = w.add_function(w.type(ty.params, ty.results), b"\x00")   # unreachable
        exports.append((stub_export(name), FUNC, index))
    for i, t in enumerate(res.trampolines):
        ti = w.type(t.type.params, t.type.results)
        body = b"".join(b"\x20" + u32(p) for p in range(len(t.type.params)))
        body += i32_const(lay.trampoline_base + i) + b"\x11" + u32(ti) + b"\x00"
        exports.append((t.name, FUNC, w.add_function(ti, body)))
    for lib in libs:
        for name, ty in TLS_BASE_INTRINSICS.items():
            if name in lib.intrinsics:
                locals_, body = lay.tls.accessor(lib.name, name, context_get)
                index = w.add_function(w.type(ty.params, ty.results), body, locals_)
                exports.append((f"{lib.name}:{name}", FUNC, index))
    w.add_table(lay.table_size)
    w.add_memory(lay.heap_end // PAGE_SIZE)
    for name, kind, index in exports:
        w.export(name, kind, index)
    w.export("__indirect_function_table", TABLE, 0)
    w.export("memory", MEMORY, 0)
    return w.finish()

