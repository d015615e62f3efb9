"""Reading the input libraries: what each one asks of the linker and what it offers.

One pass over each library's imports and exports sorts them into the families the dynamic
linking convention defines (tool-conventions DynamicLinking.md):

- ``env`` resources the main module provides (memory, table, stack pointer, this library's
  ``__memory_base``/``__table_base``);
- ``env`` functions and tags, resolved against other libraries' exports;
- ``GOT.mem`` and ``GOT.func`` globals: addresses of data and functions, filled in by the init
  module (``__heap_base``, ``__heap_end``, ``__stack_high``, ``__stack_low`` and wasip3's
  ``__wasm_program_tls_info`` come from main);
- wasip3's thread-context intrinsics, ``env`` functions no library defines: the stack pointer
  (``__wasm_get_stack_pointer``/``__wasm_set_stack_pointer``, the component's context slot 0)
  and this library's TLS base (``__wasm_get_tls_base``/``__wasm_set_tls_base``, a slot of
  main's per-thread table of TLS bases);
- everything else is the library's world: the component layer lowers it.

Exports are keyed by (name, kind, type) as wit-component does, so a symbol only resolves to a
definition of the same type. The lifecycle exports (``__wasm_apply_data_relocs``,
``__wasm_call_ctors``, ``_initialize``, ``_start``, ``__wasm_set_libraries``) are flags, not
symbols. A module without ``dylink.0`` is accepted with wit-component's defaults (no memory or
table, alignment 2^1).
"""
from __future__ import annotations

from typing import NamedTuple

from ..binary.dylink import (
    LEGACY_SECTION_NAME, SECTION_NAME, MemInfo, decode_dylink, decode_legacy_dylink,
)
from ..binary.linking import WASM_SYM_BINDING_WEAK
from ..binary.module import Module
from ..binary.types import FUNC, GLOBAL, I32, MEMORY, TABLE, TAG, FuncType, GlobalType
from ..binary.types import valtype_name
from ..errors import LinkError, ParseError

ENV = "env"
GOT_MEM = "GOT.mem"
GOT_FUNC = "GOT.func"

# env globals the main module provides under the same name
MAIN_ENV_GLOBALS = ("__stack_pointer", "__init_stack_pointer", "__asyncify_state",
                    "__asyncify_data")
# GOT.mem entries the main module provides itself rather than a library
PROGRAM_TLS_INFO = "__wasm_program_tls_info"
MAIN_GOT_MEM = ("__heap_base", "__heap_end", "__stack_high", "__stack_low", PROGRAM_TLS_INFO)
# env functions the linker synthesizes (wasip3), and the core type each must have
STACK_POINTER_INTRINSICS = {"__wasm_get_stack_pointer": FuncType((), (I32,)),
                            "__wasm_set_stack_pointer": FuncType((I32,), ())}
TLS_BASE_INTRINSICS = {"__wasm_get_tls_base": FuncType((), (I32,)),
                       "__wasm_set_tls_base": FuncType((I32,), ())}
# a library with thread-local storage exports the address of its
# `struct { size_t (*size_and_align)(size_t *); void (*init_tls)(void *); }`
LIBRARY_TLS_INFO = "__wasm_library_tls_info"
ROOT = "$root"
THREAD_NEW_INDIRECT = "[thread-new-indirect-v0]"
LIFECYCLE_EXPORTS = ("__wasm_apply_data_relocs", "__wasm_call_ctors", "_initialize", "_start",
                     "__wasm_set_libraries")
DEFAULT_MEM_INFO = MemInfo(0, 1, 0, 1)
ADDRESS = GlobalType(I32, False)       # how a library exports a data symbol's address


class SymbolKey(NamedTuple):
    """An export as symbol resolution sees it: same name and same type."""
    name: str
    kind: int          # FUNC, GLOBAL or TAG
    type: object       # FuncType (functions, tags) or GlobalType

    def __str__(self) -> str:
        if self.kind == GLOBAL:
            t = self.type
            return f"{self.name} (global {'mut ' if t.mutable else ''}{_valtype(t.valtype)})"
        what = "tag" if self.kind == TAG else "function"
        return f"{self.name} ({what} {_signature(self.type)})"


def _valtype(t) -> str:
    return valtype_name(t).upper()


def _signature(t: FuncType) -> str:
    return (f"[{', '.join(map(_valtype, t.params))}] -> "
            f"[{', '.join(map(_valtype, t.results))}]")


class Library:
    """One input library, sorted into what it imports and exports."""

    def __init__(self, name: str, data: bytes, path: str | None, dl_openable: bool):
        self.name = name
        self.path = path
        self.dl_openable = dl_openable
        self.module = module = Module(data, path=path)
        self.mem_info = DEFAULT_MEM_INFO
        self.needed: list[str] = []
        import_flags: dict[tuple[str, str], int] = {}
        self.export_flags: dict[str, int] = {}
        section = module.custom(SECTION_NAME)
        legacy = module.custom(LEGACY_SECTION_NAME)
        try:
            if section is not None:
                dylink = decode_dylink(module.data, section.contents,
                                       section.end - section.contents)
            elif legacy is not None:
                dylink = decode_legacy_dylink(module.data, legacy.contents,
                                              legacy.end - legacy.contents)
            else:
                dylink = None
        except ParseError as e:
            raise e.in_file(path or name)
        if dylink is None:
            # (as the issue asks, and wit-component's own inputs all have one)
            raise LinkError(f"library {name} has no dylink.0 section: it is not a shared "
                            f"library (link it with `-shared --experimental-pic`)",
                            path=path or name)
        if dylink is not None:
            self.mem_info = dylink.mem_info or MemInfo()
            self.needed = list(dylink.needed)
            import_flags = {(i.module, i.field): i.flags for i in dylink.import_info}
            self.export_flags = {e.name: e.flags for e in dylink.export_info}
        self.import_flags = import_flags

        types = _Checked(module.types, "type", module, path or name)
        self.env_functions: dict[str, tuple[FuncType, int]] = {}   # name -> (type, flags)
        self.env_tags: dict[str, FuncType] = {}
        self.got_mem: list[str] = []          # addresses the init module computes
        self.got_func: list[str] = []         # functions needing a table slot
        self.intrinsics: set[str] = set()     # STACK_POINTER_ and TLS_BASE_INTRINSICS used
        self.needs_program_tls_info = False
        self.uses_thread_new_indirect = False   # may spawn threads (wasip3 cooperative ones)
        func_types, global_types, tag_types = [], [], []
        for imp in module.imports:
            if imp.kind == FUNC:
                func_types.append(types[imp.desc])
            elif imp.kind == GLOBAL:
                global_types.append(imp.desc)
            elif imp.kind == TAG:
                tag_types.append(types[imp.desc.type_index])
            self._classify_import(imp, types)
        self.got_mem.sort()
        self.got_func.sort()
        func_types += [types[t] for t in module.functions]
        global_types += [g.type for g in module.globals]
        tag_types += [types[t.type_index] for t in module.tags]
        func_types = _Checked(func_types, "function", module, path or name)
        global_types = _Checked(global_types, "global", module, path or name)
        tag_types = _Checked(tag_types, "tag", module, path or name)

        self.lifecycle: set[str] = set()
        self.exports: dict[str, SymbolKey] = {}
        for exp in module.exports:
            if exp.name in LIFECYCLE_EXPORTS:
                self.lifecycle.add(exp.name)
            elif exp.kind == FUNC:
                self.exports[exp.name] = SymbolKey(exp.name, FUNC, func_types[exp.index])
            elif exp.kind == GLOBAL:
                self.exports[exp.name] = SymbolKey(exp.name, GLOBAL, global_types[exp.index])
            elif exp.kind == TAG:
                self.exports[exp.name] = SymbolKey(exp.name, TAG, tag_types[exp.index])
            # memories and tables are not symbols: a library that exports one keeps it
        # (a global export: the init module lists its address in __wasm_program_tls_info)
        tls_info = self.exports.get(LIBRARY_TLS_INFO)
        self.has_library_tls_info = tls_info is not None and tls_info.kind == GLOBAL
        if "__wasm_call_ctors" in self.lifecycle and "_initialize" in self.lifecycle:
            raise LinkError(f"library {name} exports both `__wasm_call_ctors` and "
                            "`_initialize`; expected at most one of the two")

    def _classify_import(self, imp, types) -> None:
        where = f"{imp.module}.{imp.name}"
        if imp.module == ENV:
            if imp.name == "memory":
                self._expect(imp.kind == MEMORY, where, "a memory")
            elif imp.name == "__indirect_function_table":
                self._expect(imp.kind == TABLE and imp.desc.element == 0x70
                             and imp.desc.limits.maximum is None, where,
                             "a funcref table without maximum")
            elif imp.name in MAIN_ENV_GLOBALS or imp.name in ("__memory_base",
                                                               "__table_base"):
                self._expect(imp.kind == GLOBAL and imp.desc.valtype == I32, where, "an i32 global")
            elif imp.name in STACK_POINTER_INTRINSICS or imp.name in TLS_BASE_INTRINSICS:
                expected = STACK_POINTER_INTRINSICS.get(imp.name) or TLS_BASE_INTRINSICS[imp.name]
                self._expect(imp.kind == FUNC and types[imp.desc] == expected, where,
                             f"a function {_signature(expected)}")
                self.intrinsics.add(imp.name)
            elif imp.kind == FUNC:
                self.env_functions[imp.name] = (types[imp.desc],
                                                self.import_flags.get((ENV, imp.name), 0))
            elif imp.kind == TAG:
                self.env_tags[imp.name] = types[imp.desc.type_index]
            else:
                self._expect(False, where, "a function or tag")
        elif imp.module in (GOT_MEM, GOT_FUNC):
            self._expect(imp.kind == GLOBAL and imp.desc.valtype == I32, where, "an i32 global")
            if imp.module == GOT_FUNC:
                self.got_func.append(imp.name)
            elif imp.name == PROGRAM_TLS_INFO:
                self.needs_program_tls_info = True
            elif imp.name not in MAIN_GOT_MEM:
                self.got_mem.append(imp.name)
        elif imp.module == ROOT and imp.name == THREAD_NEW_INDIRECT:
            self.uses_thread_new_indirect = True
        # any other module: the library's world, lowered by the component layer

    def needs_tls_base(self) -> bool:
        return any(name in TLS_BASE_INTRINSICS for name in self.intrinsics)

    def _expect(self, ok: bool, where: str, what: str) -> None:
        if not ok:
            raise LinkError(f"library {self.name}: import {where} must be {what}")

    def is_weak(self, module: str, name: str) -> bool:
        """Whether import info marks the symbol weak; wasm-ld files a weak function or data
        symbol under "env" even when only its address (GOT.func, GOT.mem) is imported."""
        flags = self.import_flags.get((module, name), 0) | self.import_flags.get((ENV, name), 0)
        return bool(flags & WASM_SYM_BINDING_WEAK)

    def __repr__(self) -> str:
        return f"Library({self.name!r})"


def read_libraries(libraries, dl_openable) -> list[Library]:
    """Library objects for the (name, bytes, path) inputs, in input order."""
    dl = set(dl_openable)
    names = [name for name, _, _ in libraries]
    seen = set()
    for name in names:
        if name in seen:
            raise LinkError(f"duplicate library name {name}")
        seen.add(name)
    unknown = sorted(dl - seen)
    if unknown:
        raise LinkError(f"dl-openable libraries not among the inputs: {', '.join(unknown)}")
    return [Library(name, data, path, name in dl) for name, data, path in libraries]


class _Checked:
    """A module's index space whose out-of-range index is a ParseError naming the file and
    the section the index was read from, not an IndexError: libraries are input, and a
    malformed one must fail cleanly."""

    __slots__ = ("items", "what", "module", "path")
    SECTIONS = {"type": (1, "type section"), "function": (3, "function section"),
                "global": (6, "global section"), "tag": (13, "tag section")}

    def __init__(self, items, what: str, module, path: str):
        self.items, self.what, self.module, self.path = items, what, module, path

    def __getitem__(self, index: int):
        if 0 <= index < len(self.items):
            return self.items[index]
        section_id, context = self.SECTIONS[self.what]
        at = next((s.start for s in self.module.sections if s.id == section_id), 0)
        raise ParseError(f"{self.what} index {index} is out of range (the module has "
                         f"{len(self.items)})", at, path=self.path, context=context)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)
