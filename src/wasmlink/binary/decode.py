"""Decoding the standard sections of a core module, one section at a time, on demand.

Each ``decode_*`` takes a Reader over one section's payload and returns its items (the classes
of ``types``). Code bodies are not decoded at all: the native scanner gives their boundaries, and
they stay byte ranges of the mapped file. Where an encoding is not minimal (a padded count), the
width goes into the section's Encoding so that encode.py can reproduce the input exactly.
"""
from __future__ import annotations

import array

from .._native.externals import export_columns, import_columns
from .._native.scan import scan_code
from ..errors import ParseError, UnsupportedError
from .reader import Reader
from .types import (
    FUNC, GLOBAL, MEMORY, TABLE, TAG, DataSegment, ElementSegment, Encoding, Export, FuncType,
    FUNCREF, Global, GlobalType, Import, Limits, MemoryType, RefType, Table, TableType, TagType,
    VALTYPE_NAMES,
)

# opcodes that may appear in constant expressions, with how their immediates are read
_END = 0x0B
_CONST_IMMEDIATES = {
    0x41: "s32", 0x42: "s64", 0x43: 4, 0x44: 8, 0x23: "u32", 0xD2: "u32", 0xD0: "heap",
    # extended-const
    0x6A: None, 0x6B: None, 0x6C: None, 0x7C: None, 0x7D: None, 0x7E: None,
}


def read_valtype(r: Reader):
    start = r.pos
    b = r.byte("value type")
    if b in (0x63, 0x64):
        return RefType(b == 0x63, r.s64("heap type"))
    if b not in VALTYPE_NAMES:
        raise r.error(f"invalid value type 0x{b:02x}", start)
    return b


def read_limits(r: Reader, what: str) -> Limits:
    start = r.pos
    flags = r.byte(f"{what} limits flags")
    if flags > 15:
        raise r.error(f"invalid {what} limits flags 0x{flags:02x}", start)
    read = r.u64 if flags & 4 else r.u32
    minimum = read(f"{what} minimum")
    maximum = read(f"{what} maximum") if flags & 1 else None
    page = r.u32(f"{what} page size") if flags & 8 else None
    return Limits(flags, minimum, maximum, page)


def read_table_type(r: Reader) -> TableType:
    element = read_valtype(r)
    return TableType(element, read_limits(r, "table"))


def read_global_type(r: Reader) -> GlobalType:
    valtype = read_valtype(r)
    start = r.pos
    mut = r.byte("global mutability")
    if mut > 1:
        raise r.error(f"invalid global mutability 0x{mut:02x}: expected 0 or 1", start)
    return GlobalType(valtype, bool(mut))


def read_const_expr(r: Reader) -> bytes:
    """The raw bytes of a constant expression, up to and including its ``end``."""
    start = r.pos
    while True:
        at = r.pos
        op = r.byte("constant expression")
        if op == _END:
            return bytes(r.data[start:r.pos])
        if op == 0xFD:                                   # v128.const
            sub = r.u32("SIMD opcode")
            if sub != 12:
                raise r.error(f"unsupported SIMD instruction 0xfd {sub} in constant expression", at)
            r.fixed(16, "v128 constant")
            continue
        if op not in _CONST_IMMEDIATES:
            raise r.error(f"unsupported instruction 0x{op:02x} in constant expression", at)
        imm = _CONST_IMMEDIATES[op]
        if imm == "s32":
            r.s32("i32.const immediate")
        elif imm == "s64":
            r.s64("i64.const immediate")
        elif imm == "u32":
            r.u32("index immediate")
        elif imm == "heap":
            r.s64("heap type")
        elif isinstance(imm, int):
            r.fixed(imm, "float constant")


def _count(r: Reader, what: str, min_item_size: int, enc: Encoding) -> int:
    start = r.pos
    n = r.count(what, min_item_size)
    width = r.pos - start
    if width != len_u32(n):
        enc.count_width = width
    return n


def len_u32(value: int) -> int:
    """Bytes in the minimal LEB128 of a non-negative value."""
    return max(1, (value.bit_length() + 6) // 7)


# Objects of one toolchain repeat the same descriptors and often whole type sections (a link
# of libc decodes 1,775 non-function imports with 24 distinct descriptors, and 792 type sections
# of which 330 differ): decoded items are immutable, so each distinct encoding is decoded once.
# Only what decoded cleanly is kept, and only so many: errors still point at their own bytes.
_DECODED_LIMIT = 4096
_decoded_types: dict[bytes, tuple] = {}
_decoded_descs: dict[tuple, object] = {}


def decode_types(r: Reader, enc: Encoding) -> list:
    raw = bytes(r.data[r.pos:r.end])
    known = _decoded_types.get(raw)
    if known is not None:
        types, enc.count_width = known
        r.pos = r.end
        return list(types)
    types = _decode_types(r, enc)
    if r.pos == r.end and len(_decoded_types) < _DECODED_LIMIT:
        _decoded_types[raw] = (tuple(types), enc.count_width)
    return types


def _decode_types(r: Reader, enc: Encoding) -> list:
    types = []
    for _ in range(_count(r, "type", 3, enc)):
        at = r.pos
        form = r.byte("type form")
        if form != 0x60:
            if form in (0x4E, 0x50, 0x4F, 0x5F, 0x5E):
                raise UnsupportedError(f"GC type definitions (form 0x{form:02x} at offset "
                                       f"0x{at:x}) are not supported")
            raise r.error(f"invalid type form 0x{form:02x}: expected 0x60 (func)", at)
        params = tuple(read_valtype(r) for _ in range(r.count("parameter")))
        results = tuple(read_valtype(r) for _ in range(r.count("result")))
        types.append(FuncType(params, results))
    return types


def read_import_desc(r: Reader, kind: int):
    if kind == FUNC:
        return r.u32("type index")
    if kind == TABLE:
        return read_table_type(r)
    if kind == MEMORY:
        return MemoryType(read_limits(r, "memory"))
    if kind == GLOBAL:
        return read_global_type(r)
    attribute = r.byte("tag attribute")
    return TagType(attribute, r.u32("tag type index"))


def decode_imports(r: Reader, enc: Encoding) -> list:
    """Imports as objects, built from the native columns (which did all the checking)."""
    cols = import_columns(r.data, r.pos, r.end - r.pos, r.context)
    _note_count_width(r, len(cols), enc)
    data = r.data
    out = []
    for i in range(len(cols)):
        mo, no = cols.module_offset[i], cols.name_offset[i]
        module = str(data[mo:mo + cols.module_size[i]], "utf-8")
        name = str(data[no:no + cols.name_size[i]], "utf-8")
        kind = cols.kind[i]
        if kind == FUNC:
            desc = cols.type_index[i]
        else:
            start = cols.desc_offset[i]
            end = start + cols.desc_size[i]
            key = (kind, bytes(data[start:end]))
            desc = _decoded_descs.get(key)
            if desc is None:
                desc = read_import_desc(Reader(data, start, end, r.context), kind)
                if len(_decoded_descs) < _DECODED_LIMIT:
                    _decoded_descs[key] = desc
        out.append(Import(module, name, kind, desc))
    r.pos = r.end
    return out


def _note_count_width(r: Reader, n: int, enc: Encoding) -> None:
    width = Reader(r.data, r.pos, r.end).u32_width()[1]
    if width != len_u32(n):
        enc.count_width = width


def decode_functions(r: Reader, enc: Encoding) -> array.array:
    n = _count(r, "function", 1, enc)
    out = array.array("I")
    u32 = r.u32
    out.extend(u32("type index") for _ in range(n))
    return out


def decode_tables(r: Reader, enc: Encoding) -> list:
    tables = []
    for _ in range(_count(r, "table", 3, enc)):
        if r.pos + 1 < r.end and r.data[r.pos] == 0x40 and r.data[r.pos + 1] == 0x00:
            r.pos += 2
            ttype = read_table_type(r)
            tables.append(Table(ttype, read_const_expr(r)))
        else:
            tables.append(Table(read_table_type(r)))
    return tables


def decode_memories(r: Reader, enc: Encoding) -> list:
    return [MemoryType(read_limits(r, "memory")) for _ in range(_count(r, "memory", 2, enc))]


def decode_tags(r: Reader, enc: Encoding) -> list:
    tags = []
    for _ in range(_count(r, "tag", 2, enc)):
        attribute = r.byte("tag attribute")
        tags.append(TagType(attribute, r.u32("tag type index")))
    return tags


def decode_globals(r: Reader, enc: Encoding) -> list:
    return [Global(read_global_type(r), read_const_expr(r))
            for _ in range(_count(r, "global", 3, enc))]


def decode_exports(r: Reader, enc: Encoding) -> list:
    cols = export_columns(r.data, r.pos, r.end - r.pos, r.context)
    _note_count_width(r, len(cols), enc)
    data = r.data
    out = [Export(str(data[o:o + n], "utf-8"), k, i) for o, n, k, i in
           zip(cols.name_offset, cols.name_size, cols.kind, cols.index)]
    r.pos = r.end
    return out


def decode_elements(r: Reader, enc: Encoding) -> list:
    segments = []
    for _ in range(_count(r, "element segment", 2, enc)):
        at = r.pos
        flags = r.u32("element segment flags")
        if flags > 7:
            raise r.error(f"invalid element segment flags {flags}: expected 0 to 7", at)
        table, offset, elemkind, reftype, functions, exprs = 0, None, 0, FUNCREF, None, None
        if flags & 2 and not flags & 1:
            table = r.u32("table index")
        if not flags & 1:
            offset = read_const_expr(r)
        if flags & 4:
            if flags & 3:
                reftype = read_valtype(r)
            exprs = [read_const_expr(r) for _ in range(r.count("element expression", 1))]
        else:
            if flags & 3:
                kind_at = r.pos
                elemkind = r.byte("element kind")
                if elemkind != 0:
                    raise r.error(f"invalid element kind 0x{elemkind:02x}: expected 0", kind_at)
            n = r.count("element function index", 1)
            functions = [r.u32("function index") for _ in range(n)]
        segments.append(ElementSegment(flags, table, offset, elemkind, reftype, functions, exprs))
    return segments


def decode_data(r: Reader, enc: Encoding) -> list:
    segments = []
    for _ in range(_count(r, "data segment", 2, enc)):
        at = r.pos
        flags = r.u32("data segment flags")
        if flags > 2:
            raise r.error(f"invalid data segment flags {flags}: expected 0, 1 or 2", at)
        memory, offset = 0, None
        if flags == 2:
            memory = r.u32("memory index")
        if flags != 1:
            offset = read_const_expr(r)
        size_at = r.pos
        size = r.u32("data segment size")
        if size > r.end - r.pos:
            raise r.error(f"data segment size {size} runs past the end of the section "
                          f"({r.end - r.pos} bytes left)", size_at)
        segments.append(DataSegment(flags, memory, offset, r.pos, size))
        r.pos += size
    return segments


class CodeBodies:
    """Function bodies as three columns from the native scanner: where each entry starts (its
    size field), where its body starts, and the body size. Bodies are windows into the file."""

    __slots__ = ("data", "entries", "bodies", "sizes")

    def __init__(self, data, entries, bodies, sizes):
        self.data = data
        self.entries = entries
        self.bodies = bodies
        self.sizes = sizes

    def __len__(self) -> int:
        return len(self.sizes)

    def body(self, i: int) -> memoryview:
        start = self.bodies[i]
        return self.data[start:start + self.sizes[i]]

    def size_width(self, i: int) -> int:
        return self.bodies[i] - self.entries[i]


def decode_code(r: Reader, enc: Encoding) -> CodeBodies:
    start = r.pos
    n, _ = r.u32_width("function count")
    width = r.pos - start
    if width != len_u32(n):
        enc.count_width = width
    try:
        entries, bodies, sizes = scan_code(r.data, start, r.end - start)
    except ParseError as e:
        e.context = r.context
        raise
    r.pos = r.end
    return CodeBodies(r.data, entries, bodies, sizes)


def decode_start(r: Reader, enc: Encoding) -> int:
    return r.u32("start function index")


def decode_data_count(r: Reader, enc: Encoding) -> int:
    return r.u32("data count")


DECODERS = {
    1: decode_types, 2: decode_imports, 3: decode_functions, 4: decode_tables,
    5: decode_memories, 6: decode_globals, 7: decode_exports, 8: decode_start,
    9: decode_elements, 10: decode_code, 11: decode_data, 12: decode_data_count, 13: decode_tags,
}
