"""A small writer for the modules this package synthesizes (main, init, stubs, libdl).

The synthesized modules are tiny and built once, so they are assembled as section lists and
encoded with binary.encode; only code bodies and data segments, which that module leaves to the
caller, are framed here. Instructions are written as raw bytes by the few helpers below.
"""
from __future__ import annotations

from .._native.leb128 import encode_s64, encode_u32
from ..binary import encode
from ..binary.types import (
    FUNC, FUNCREF, GLOBAL, I32, MEMORY, TABLE, ElementSegment, Export, FuncType, Global,
    GlobalType, Import, Limits, MemoryType, Table, TableType,
)

u32 = encode_u32
END = b"\x0b"


def i32_const(value: int) -> bytes:
    """``i32.const`` of a u32 or i32 value (wrapped to signed, as the encoding wants)."""
    value &= 0xFFFFFFFF
    return b"\x41" + encode_s64(value - (1 << 32) if value >= 1 << 31 else value)


def const_expr(value: int) -> bytes:
    return i32_const(value) + END


def global_get(index: int) -> bytes:
    return b"\x23" + u32(index)


def global_set(index: int) -> bytes:
    return b"\x24" + u32(index)


def call(index: int) -> bytes:
    return b"\x10" + u32(index)


class ModuleWriter:
    """Collects the items of one module; ``finish`` encodes them in section order.

    Types are deduplicated by value; index spaces count imports first, as in the binary."""

    def __init__(self):
        self.types: list[FuncType] = []
        self._type_index: dict[FuncType, int] = {}
        self.imports: list[Import] = []
        self.functions: list[int] = []
        self.bodies: list[bytes] = []
        self.tables: list[Table] = []
        self.memories: list[MemoryType] = []
        self.globals: list[Global] = []
        self.exports: list[Export] = []
        self.start: int | None = None
        self.elements: list[ElementSegment] = []
        self.data: list[tuple[int, bytes]] = []
        self.counts = {FUNC: 0, TABLE: 0, MEMORY: 0, GLOBAL: 0, 4: 0}

    def type(self, params, results) -> int:
        t = FuncType(tuple(params), tuple(results))
        if t not in self._type_index:
            self._type_index[t] = len(self.types)
            self.types.append(t)
        return self._type_index[t]

    def add_import(self, module: str, name: str, kind: int, desc) -> int:
        self.imports.append(Import(module, name, kind, desc))
        index = self.counts[kind]
        self.counts[kind] += 1
        return index

    def import_global(self, module: str, name: str, mutable: bool) -> int:
        return self.add_import(module, name, GLOBAL, GlobalType(I32, mutable))

    def import_func(self, module: str, name: str, type_index: int) -> int:
        return self.add_import(module, name, FUNC, type_index)

    def add_function(self, type_index: int, body: bytes, locals_: bytes = b"\x00") -> int:
        """``body``: the instructions without the final ``end``; ``locals_``: the encoded
        local declarations (none by default)."""
        self.functions.append(type_index)
        self.bodies.append(locals_ + body + END)
        index = self.counts[FUNC]
        self.counts[FUNC] += 1
        return index

    def add_global(self, value: int, mutable: bool) -> int:
        self.globals.append(Global(GlobalType(I32, mutable), const_expr(value)))
        index = self.counts[GLOBAL]
        self.counts[GLOBAL] += 1
        return index

    def add_table(self, minimum: int) -> int:
        self.tables.append(Table(TableType(FUNCREF, Limits(0, minimum))))
        self.counts[TABLE] += 1
        return self.counts[TABLE] - 1

    def add_memory(self, pages: int) -> int:
        self.memories.append(MemoryType(Limits(0, pages)))
        self.counts[MEMORY] += 1
        return self.counts[MEMORY] - 1

    def export(self, name: str, kind: int, index: int) -> None:
        self.exports.append(Export(name, kind, index))

    def add_elements(self, offset: int, functions: list[int]) -> None:
        self.elements.append(ElementSegment(0, offset=const_expr(offset), functions=functions))

    def add_data(self, offset: int, contents: bytes) -> None:
        self.data.append((offset, contents))

    def finish(self) -> bytes:
        out = [encode.MODULE_HEADER]

        def section(section_id: int, payload: bytes) -> None:
            out.append(bytes([section_id]) + u32(len(payload)) + payload)

        if self.types:
            section(1, encode.encode_types(self.types))
        if self.imports:
            section(2, encode.encode_imports(self.imports))
        if self.functions:
            section(3, encode.encode_functions(self.functions))
        if self.tables:
            section(4, encode.encode_tables(self.tables))
        if self.memories:
            section(5, encode.encode_memories(self.memories))
        if self.globals:
            section(6, encode.encode_globals(self.globals))
        if self.exports:
            section(7, encode.encode_exports(self.exports))
        if self.start is not None:
            section(8, encode.encode_start(self.start))
        if self.elements:
            section(9, encode.encode_elements(self.elements))
        if self.bodies:
            section(10, u32(len(self.bodies))
                    + b"".join(u32(len(b)) + b for b in self.bodies))
        if self.data:
            section(11, u32(len(self.data)) + b"".join(
                b"\x00" + const_expr(offset) + u32(len(contents)) + contents
                for offset, contents in self.data))
        return b"".join(out)
