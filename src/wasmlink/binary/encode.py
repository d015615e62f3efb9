"""Encoding core modules: the mirror of decode.py, section for section.

Each ``encode_*`` turns the items of one standard section back into its payload. LEB128s are
minimal except where the section's Encoding recorded a wider form from the input (LLVM pads
section sizes in object files, for instance), which is what makes decode → encode byte-identical.
Large contents (code bodies, data segment bytes, custom sections) are passed through as windows
into the input mapping and written out without an intermediate copy.
"""
from __future__ import annotations

from .._native.leb128 import encode_s64, encode_u32, encode_u64
from .types import (
    FUNC, GLOBAL, MEMORY, TABLE, DataSegment, ElementSegment, Encoding, Limits, RefType,
)

u32 = encode_u32


def encode_name(name: str) -> bytes:
    raw = name.encode("utf-8")
    return u32(len(raw)) + raw


def encode_valtype(t) -> bytes:
    if isinstance(t, RefType):
        return bytes([0x63 if t.nullable else 0x64]) + encode_s64(t.heap)
    return bytes([t])


def encode_limits(limits: Limits) -> bytes:
    enc = encode_u64 if limits.flags & 4 else u32
    out = bytes([limits.flags]) + enc(limits.minimum)
    if limits.flags & 1:
        out += enc(limits.maximum)
    if limits.flags & 8:
        out += u32(limits.page_size_log2)
    return out


def encode_import_desc(kind: int, desc) -> bytes:
    if kind == FUNC:
        return u32(desc)
    if kind == TABLE:
        return encode_valtype(desc.element) + encode_limits(desc.limits)
    if kind == MEMORY:
        return encode_limits(desc.limits)
    if kind == GLOBAL:
        return encode_valtype(desc.valtype) + bytes([int(desc.mutable)])
    return bytes([desc.attribute]) + u32(desc.type_index)


def _vec(items_bytes: list, enc: Encoding | None) -> bytes:
    width = enc.count_width if enc else 0
    return u32(len(items_bytes), width) + b"".join(items_bytes)


def encode_types(types, enc=None) -> bytes:
    return _vec([b"\x60" + u32(len(t.params)) + b"".join(map(encode_valtype, t.params))
                 + u32(len(t.results)) + b"".join(map(encode_valtype, t.results))
                 for t in types], enc)


def encode_imports(imports, enc=None) -> bytes:
    return _vec([encode_name(i.module) + encode_name(i.name) + bytes([i.kind])
                 + encode_import_desc(i.kind, i.desc) for i in imports], enc)


def encode_functions(type_indexes, enc=None) -> bytes:
    return _vec([u32(t) for t in type_indexes], enc)


def encode_tables(tables, enc=None) -> bytes:
    out = []
    for t in tables:
        head = b"\x40\x00" if t.init is not None else b""
        out.append(head + encode_valtype(t.type.element) + encode_limits(t.type.limits)
                   + (t.init or b""))
    return _vec(out, enc)


def encode_memories(memories, enc=None) -> bytes:
    return _vec([encode_limits(m.limits) for m in memories], enc)


def encode_tags(tags, enc=None) -> bytes:
    return _vec([bytes([t.attribute]) + u32(t.type_index) for t in tags], enc)


def encode_globals(globals_, enc=None) -> bytes:
    return _vec([encode_valtype(g.type.valtype) + bytes([int(g.type.mutable)]) + g.init
                 for g in globals_], enc)


def encode_exports(exports, enc=None) -> bytes:
    return _vec([encode_name(e.name) + bytes([e.kind]) + u32(e.index) for e in exports], enc)


def encode_start(index: int, enc=None) -> bytes:
    return u32(index)


def encode_element(seg: ElementSegment) -> bytes:
    f = seg.flags
    out = u32(f)
    if f & 2 and not f & 1:
        out += u32(seg.table)
    if not f & 1:
        out += seg.offset
    if f & 4:
        if f & 3:
            out += encode_valtype(seg.reftype)
        out += u32(len(seg.exprs)) + b"".join(seg.exprs)
    else:
        if f & 3:
            out += bytes([seg.elemkind])
        out += u32(len(seg.functions)) + b"".join(u32(i) for i in seg.functions)
    return out


def encode_elements(segments, enc=None) -> bytes:
    return _vec([encode_element(s) for s in segments], enc)


def encode_data_count(count: int, enc=None) -> bytes:
    return u32(count)


def data_chunks(segments: list[DataSegment], data, enc=None) -> list:
    """The data section as chunks; segment bytes are windows of ``data`` (the input file)."""
    chunks = [u32(len(segments), enc.count_width if enc else 0)]
    for seg in segments:
        head = u32(seg.flags)
        if seg.flags == 2:
            head += u32(seg.memory)
        if seg.flags != 1:
            head += seg.offset
        chunks.append(head + u32(seg.data_size))
        chunks.append(data[seg.data_offset:seg.data_offset + seg.data_size])
    return chunks


def code_chunks(code, enc=None) -> list:
    """The code section as chunks: each body's size (at its input width) and the body bytes."""
    chunks = [u32(len(code), enc.count_width if enc else 0)]
    entries, bodies, sizes, data = code.entries, code.bodies, code.sizes, code.data
    for i in range(len(sizes)):
        start = bodies[i]
        chunks.append(u32(sizes[i], start - entries[i]))
        chunks.append(data[start:start + sizes[i]])
    return chunks


ENCODERS = {
    1: encode_types, 2: encode_imports, 3: encode_functions, 4: encode_tables,
    5: encode_memories, 6: encode_globals, 7: encode_exports, 8: encode_start,
    9: encode_elements, 12: encode_data_count, 13: encode_tags,
}

MODULE_HEADER = b"\0asm\x01\x00\x00\x00"


def section_chunks(section_id: int, chunks: list, size_width: int = 0) -> list:
    size = sum(len(c) for c in chunks)
    return [bytes([section_id]) + u32(size, size_width)] + chunks


def custom_chunks(name: str, contents, name_width: int = 0, size_width: int = 0) -> list:
    raw = name.encode("utf-8")
    return section_chunks(0, [u32(len(raw), name_width) + raw, contents], size_width)


def module_chunks(module) -> list:
    """Re-encode every section of a decoded Module (custom sections pass through)."""
    chunks = [MODULE_HEADER]
    for s in module.sections:
        if s.id == 0:
            contents = module.data[s.contents:s.end]
            chunks += custom_chunks(s.name, contents, s.name_width, s.size_width)
            continue
        items, enc = module.decoded(s.id)
        if s.id == 10:
            body = code_chunks(items, enc)
        elif s.id == 11:
            body = data_chunks(items, module.data, enc)
        else:
            body = [ENCODERS[s.id](items, enc)]
        chunks += section_chunks(s.id, body, s.size_width)
    return chunks


def encode_module(module) -> bytes:
    return b"".join(module_chunks(module))
