"""The metadata of a relocatable output (`-r`) and of `--emit-relocs`: the output's `linking`
section and its `reloc.*` sections (lld's LinkingSection, RelocSection and
InputChunk::writeRelocations).

The chunks themselves are written as in any link: copied and relocated against the output's
own indexes and addresses (wasm-ld does the same under -r, so that the object is also a valid
module; LEB fields keep their padding, so the next link can patch them again). What this module
adds is what the next link needs to redo that:

- the symbol table, in lld's order (Writer::populateSymtab): every live global symbol that an
  object uses, in symbol-table insertion order; then each object's live local symbols, in
  object order; then one section symbol per output custom section (createCustomSections).
  Defined functions, globals, tables and tags name their output index, defined data its output
  segment, offset in it and size; undefined ones their import (and a name only with
  EXPLICIT_NAME);
- segment info (name, alignment, TLS flag) of every output data segment, init functions by
  priority, COMDAT groups of functions and data segments (sorted by name, as lld's std::map);
- one `reloc.*` section per output section with relocations: each input relocation with its
  offset moved to the output section, its symbol to the output symbol table (a type index to
  the output type), and its addend kept (SECTION_OFFSET: moved to the output custom section).
  As wasm-ld-22 writes them, relocations against symbols left out of the table (dead under
  --gc-sections) are dropped, and so are SECTION_OFFSET ones outside -r.

The rest of -r lives in the passes it changes (link.py, layout.py): no synthetic symbols or
functions, every undefined symbol imported (weak ones too) and none reported, data laid out
from address 0 without a stack, one output segment per input name (a COMDAT member alone),
every COMDAT copy kept, .bss written, no exports.
"""
from __future__ import annotations

from bisect import bisect_left

from .._native.leb128 import encode_s64, encode_u32
from .._native.reloc import RELOC_TYPES
from ..binary.encode import encode_name
from ..binary.linking import (
    LINKING_VERSION, SYMTAB_DATA, SYMTAB_SECTION, WASM_COMDAT_DATA,
    WASM_COMDAT_FUNCTION, WASM_COMDAT_INFO, WASM_INIT_FUNCS, WASM_SEGMENT_INFO,
    WASM_SYM_ABSOLUTE, WASM_SYM_BINDING_LOCAL, WASM_SYM_EXPLICIT_NAME, WASM_SYMBOL_TABLE,
)
from . import layout

u32 = encode_u32
TYPE_INDEX_LEB = 6
SECTION_OFFSET_I32 = 9
HAS_ADDEND = frozenset(t.code for t in RELOC_TYPES if t.has_addend)


def _live(sym) -> bool:
    element = sym.element if sym.is_defined else None
    if element is not None and hasattr(element, "live"):
        return element.live and not getattr(element, "discarded", False)
    return sym.live


def populate_symtab(ctx) -> list:
    """The output symbol table's symbols (without section symbols), in lld's order."""
    entries = []
    displaced = ctx.symtab.displaced
    for name, sym in ctx.symtab.by_name.items():
        sym = displaced.get(name, sym)
        # lld's isUsedInRegularObj: every symbol an object names (ours counts references)
        used = sym.used_in_regular_obj or (sym.file is not None and not sym.synthetic)
        if used and not sym.is_shared and not sym.is_lazy and _live(sym):
            entries.append(sym)
    for file in ctx.objects:
        for sym in file.symbols:
            if sym.is_local and sym.kind != SYMTAB_SECTION and _live(sym):
                entries.append(sym)
    return entries


def _segment_offset(sym) -> tuple[int, int] | None:
    """(output segment index, offset in it) of a defined data symbol, None if absolute."""
    chunk = sym.element
    if sym.va is not None or chunk is None:
        return None
    kept = chunk.merged_into.chunk if chunk.merged_into is not None else chunk
    seg = kept.output_segment
    if seg is None:
        return None
    return seg.index, layout.data_address(sym) - seg.start_va


def _symbol_entry(sym) -> bytes:
    kind, flags = sym.kind, sym.flags
    if kind == SYMTAB_DATA:
        place = _segment_offset(sym) if sym.is_defined else None
        if sym.is_defined and place is None:
            flags |= WASM_SYM_ABSOLUTE          # linker-defined: an address, no segment
        out = bytes([kind]) + u32(flags) + encode_name(sym.name)
        if sym.is_defined:
            index, offset = place if place is not None else (0, layout.data_address(sym))
            out += u32(index) + u32(offset) + u32(sym.size)
        return out
    out = bytes([kind]) + u32(flags)
    out += u32(layout.output_index(sym))
    if sym.is_defined or flags & WASM_SYM_EXPLICIT_NAME:
        out += encode_name(sym.name)
    return out


def _subsection(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + u32(len(body)) + body


def linking_section(ctx, symbols, section_symbols, data_segments) -> bytes:
    """The payload (with its name) of the output's `linking` section."""
    body = u32(LINKING_VERSION)
    rows = [_symbol_entry(s) for s in symbols]
    rows += [bytes([SYMTAB_SECTION]) + u32(WASM_SYM_BINDING_LOCAL) + u32(section_index)
             for section_index in section_symbols]
    if rows:
        body += _subsection(WASM_SYMBOL_TABLE, u32(len(rows)) + b"".join(rows))
    if data_segments:
        # lld writes no flags: the TLS segment is recognised by its name (.tdata)
        infos = b"".join(encode_name(seg.name) + u32(seg.alignment) + u32(0)
                         for seg in data_segments)
        body += _subsection(WASM_SEGMENT_INFO, u32(len(data_segments)) + infos)
    index_of = ctx.output_symbol_index
    inits = [(priority, sym) for priority, sym in ctx.init_functions if id(sym) in index_of]
    if inits:
        body += _subsection(WASM_INIT_FUNCS, u32(len(inits)) + b"".join(
            u32(priority) + u32(index_of[id(sym)]) for priority, sym in inits))
    comdats: dict[str, list] = {}
    for f in ctx.functions:
        if f.comdat:
            comdats.setdefault(f.comdat, []).append((WASM_COMDAT_FUNCTION, f.function_index))
    for i, seg in enumerate(data_segments):
        if seg.inputs and seg.inputs[0].comdat:
            comdats.setdefault(seg.inputs[0].comdat, []).append((WASM_COMDAT_DATA, i))
    if comdats:
        groups = b""
        for name in sorted(comdats, key=lambda n: n.encode()):
            entries = comdats[name]
            groups += encode_name(name) + u32(0) + u32(len(entries)) + b"".join(
                bytes([kind]) + u32(index) for kind, index in entries)
        body += _subsection(WASM_COMDAT_INFO, u32(len(comdats)) + groups)
    return encode_name("linking") + body


class _Translator:
    """Input relocations of one chunk, rewritten for the output."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.section_symbols = {}          # output custom section name -> symbol index
        self.relocatable = ctx.options.relocatable

    def chunk_relocs(self, chunk, position: int, out_offset: int, merged: dict | None = None):
        file = chunk.file
        if file is None:
            return []
        r = self.ctx._relocations_of(file).get(position)
        if r is None:
            return []
        lo = bisect_left(r.offset, chunk.start)
        hi = bisect_left(r.offset, chunk.end)
        index_of = self.ctx.output_symbol_index
        symbols = file.symbols
        delta = out_offset - chunk.start
        out = []
        for k in range(lo, hi):
            t, i = r.type[k], r.index[k]
            addend = r.addend[k]
            if t == TYPE_INDEX_LEB:
                new_index = file.type_map[i]
            else:
                sym = symbols[i]
                if sym.kind == SYMTAB_SECTION:
                    if not self.relocatable:    # wasm-ld-22 keeps them under -r only
                        continue
                    target = sym.element
                    name = target.name if target is not None else None
                    new_index = self.section_symbols.get(name, 0)
                    if t == SECTION_OFFSET_I32 and target is not None:
                        addend = _section_offset(target, addend, merged)
                else:
                    new_index = index_of.get(id(sym))
                    if new_index is None:       # a dead symbol (--gc-sections): dropped
                        continue
            entry = u32(t) + u32(r.offset[k] + delta) + u32(new_index)
            if t in HAS_ADDEND:
                entry += encode_s64(addend)
            out.append(entry)
        return out


def _section_offset(chunk, addend: int, merged) -> int:
    """An offset into an input custom section, as an offset into its output section."""
    if chunk.merged_into is not None:
        from .merge_strings import merged_offset
        kept = chunk.merged_into.chunk
        return merged.get(id(kept), 0) + merged_offset(chunk, addend)
    return merged.get(id(chunk), 0) + addend


def metadata_sections(ctx, sections, data_segments, seg_heads, code_head, data_head,
                      customs) -> list[bytes]:
    """The `linking` and `reloc.*` payloads (with names), to follow the output's custom
    sections; ``sections`` is the writer's list so far (section index = position)."""
    symbols = populate_symtab(ctx)
    ctx.output_symbol_index = {id(s): i for i, s in enumerate(symbols)}
    section_index = {}
    for position, (sid, chunks) in enumerate(sections):
        item = chunks[0]
        if sid == 0 and isinstance(item, tuple) and item[0] == "custom":
            section_index[item[1]] = position
        elif sid in (10, 11):
            section_index[sid] = position
    tr = _Translator(ctx)
    section_symbols = []
    for name, _ in customs:
        tr.section_symbols[name] = len(symbols) + len(section_symbols)
        section_symbols.append(section_index[name])
    relocs = []
    # code: function entries follow the count, in output order
    entries = []
    cursor = len(code_head)
    for f in ctx.functions:
        if f.file is not None and f.body is None:
            code = f.file.module.section(10)
            entries += tr.chunk_relocs(f, f.file.sections.index(code), cursor)
        cursor += f.end - f.start
    if entries:
        relocs.append(("reloc.CODE", section_index[10], entries))
    entries = []
    cursor = len(data_head)
    for seg, head in zip(data_segments, seg_heads):
        cursor += len(head)
        for chunk in seg.inputs:
            if chunk.file is not None and chunk.body is None:
                data = chunk.file.module.section(11)
                entries += tr.chunk_relocs(chunk, chunk.file.sections.index(data),
                                           cursor + chunk.segment_offset)
        cursor += seg.size
    if entries:
        relocs.append(("reloc.DATA", section_index[11], entries))
    offsets = {}                   # custom chunk -> its offset in its output section
    for name, chunks in customs:
        cursor = 0
        for c in chunks:
            offsets[id(c)] = cursor
            cursor += c.end - c.start
    for name, chunks in customs:
        entries = []
        for c in chunks:
            entries += tr.chunk_relocs(c, c.index, offsets[id(c)], offsets)
        if entries:
            relocs.append((f"reloc.{name}", section_index[name], entries))
    out = [linking_section(ctx, symbols, section_symbols, data_segments)]
    for name, target, entries in relocs:
        out.append(encode_name(name) + u32(target) + u32(len(entries)) + b"".join(entries))
    return out
