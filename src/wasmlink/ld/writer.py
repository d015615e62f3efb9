"""Writing the output module: sections in wasm-ld's order, chunks copied and relocated in place.

Section sizes are computed first, so the whole file is one buffer whose every byte has a known
place; the native core then copies each input section's live chunks straight from the input
mapping into it and patches their relocations (ext/reloc.pyx copy_and_relocate), one call per
input section. The buffer goes to disk through output.write_atomically: all or nothing.
"""
from __future__ import annotations

import array
import os

from .._native.leb128 import encode_u32
from .._native.reloc import SYMBOL_DEAD, SYMBOL_NO_SLOT, SYMBOL_UNDEFINED, copy_and_relocate, section_tombstone
from ..binary.encode import (
    encode_exports, encode_globals, encode_import_desc, encode_limits, encode_name,
    encode_tables, encode_types, encode_valtype, section_chunks,
)
from ..binary.linking import SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL, SYMTAB_SECTION, SYMTAB_TABLE, SYMTAB_TAG
from ..binary.types import Global, GlobalType, I32, Limits, Table
from ..output import write_atomically
from . import layout, map_file

u32 = encode_u32


def i32_const(value: int) -> bytes:
    from .._native.leb128 import encode_s32
    if value >= 1 << 31:
        value -= 1 << 32
    return b"\x41" + encode_s32(value) + b"\x0b"


def ptr_init(ctx, value: int) -> bytes:
    """A constant expression of the address width: i64.const for wasm64, i32.const else."""
    from .threads import ptr_const
    return ptr_const(ctx, value) + b"\x0b"


def write_output(ctx) -> None:
    opts = ctx.options
    sections = []          # (id, [chunks], name-or-None); relocated payloads patched later
    types = ctx.types
    ctx.code_section_payload = 0
    # --strip-all drops the sections the linker writes for tools, unless --keep-section names them
    def keep(name):
        return not opts.strip_all or name in opts.keep_sections
    demangled = None
    if keep("name") and opts.demangle:
        # the names are final here: demangle them while the sections are built and relocated
        from .demangle import start_demangling
        demangled = start_demangling(function_names_to_demangle(ctx), ctx.cxxfilt)
        ctx.cxxfilt = None

    def add(section_id, payload_chunks):
        sections.append((section_id, payload_chunks))

    from . import pic
    if pic.is_dylink_needed(ctx):
        add(0, [encode_name("dylink.0") + pic.dylink_payload(ctx)])
    if types.types:                      # lld leaves out empty sections
        add(1, [encode_types(types.types)])

    imports = []
    if opts.import_memory:
        imports.append(encode_name(opts.import_memory_module) + encode_name(opts.import_memory_name)
                       + b"\x02" + encode_limits(memory_limits(ctx)))
    for sym in ctx.imports:
        module = "env" if sym.import_module is None else sym.import_module
        name = sym.name if sym.import_name is None else sym.import_name
        if sym.kind == SYMTAB_FUNCTION:
            desc = b"\x00" + u32(types.index[sym.signature])
        elif sym.kind == SYMTAB_GLOBAL:
            desc = b"\x03" + encode_valtype(sym.global_type.valtype) + bytes([int(sym.global_type.mutable)])
        elif sym.kind == SYMTAB_TABLE:
            t = sym.table_type
            desc = b"\x01" + encode_valtype(t.element) + encode_limits(t.limits)
        else:
            desc = b"\x04\x00" + u32(types.index[sym.signature])
        imports.append(encode_name(module) + encode_name(name) + desc)
    ptr_type = b"\x7e" if opts.is64 else b"\x7f"
    for sym in ctx.got_imports:
        module = "GOT.mem" if sym.kind == SYMTAB_DATA else "GOT.func"
        imports.append(encode_name(module) + encode_name(sym.name) + b"\x03" + ptr_type + b"\x01")
    if imports:
        add(2, [u32(len(imports)) + b"".join(imports)])

    if ctx.functions:
        add(3, [u32(len(ctx.functions)) + b"".join(u32(types.index[f.signature]) for f in ctx.functions)])
    if ctx.tables:
        add(4, [encode_tables([Table(t.type) for t in ctx.tables])])
    if not opts.import_memory:
        add(5, [b"\x01" + encode_limits(memory_limits(ctx))])
    if ctx.tags:
        add(13, [u32(len(ctx.tags)) + b"".join(b"\x00" + u32(types.index[t.file.types[t.type.type_index]]) for t in ctx.tags)])
    globals_ = [Global(g.type, global_init(ctx, g)) for g in ctx.globals]
    globals_ += [Global(GlobalType(ptr_type[0], pic.internal_got_mutable(ctx, s)),
                        pic.internal_got_init(ctx, s)) for s in ctx.internal_got]
    globals_ += [Global(GlobalType(ptr_type[0], False), ptr_init(ctx, exported_address(ctx, s)))
                 for s in ctx.data_address_globals]
    if globals_:
        add(6, [encode_globals(globals_)])
    if ctx.exports:
        add(7, [u32(len(ctx.exports)) + b"".join(encode_name(n) + bytes([k]) + u32(i) for n, k, i in ctx.exports)])
    if ctx.start_function is not None:
        add(8, [u32(layout.output_index(ctx.start_function))])
    if ctx.table_entries:
        table = ctx.function_table
        number = layout.output_index(table)
        offset = (b"\x23" + u32(ctx.table_base.index) + b"\x0b") if ctx.is_pic \
            else ptr_init(ctx, opts.table_base)
        head = (u32(0) if number == 0 else u32(2) + u32(number)) + offset
        if number:
            head += b"\x00"
        add(9, [u32(1) + head + u32(len(ctx.table_entries))
                + b"".join(u32(layout.output_index(s)) for s in ctx.table_entries)])
    data_segments = [s for s in ctx.segments if not s.is_bss or emit_bss(ctx)]
    if data_segments and opts.shared_memory:
        add(12, [u32(len(data_segments))])

    # code: count, then each function's entry (size field + body), relocated in place
    code_head = u32(len(ctx.functions))
    code_size = len(code_head) + sum(f.end - f.start for f in ctx.functions)
    if ctx.functions:
        add(10, [("code", code_size, code_head)])
    # data
    data_head = u32(len(data_segments))
    seg_heads = []
    data_size = len(data_head)
    for seg in data_segments:
        if seg.passive:
            head = b"\x01" + u32(seg.size)
        elif ctx.is_pic:
            head = b"\x00\x23" + u32(ctx.memory_base.index) + b"\x0b" + u32(seg.size)
        else:
            head = b"\x00" + ptr_init(ctx, seg.start_va) + u32(seg.size)
        seg_heads.append(head)
        data_size += len(head) + seg.size
    if data_segments:
        add(11, [("data", data_size, data_head)])

    customs = custom_sections(ctx)
    for name, chunks in customs:
        size = 0
        for c in chunks:
            size = layout.align(size, 1 << c.alignment) + c.end - c.start
        add(0, [("custom", name, size, chunks)])
    if opts.relocatable or opts.emit_relocs:
        from .relocatable import metadata_sections
        for payload in metadata_sections(ctx, sections, data_segments, seg_heads, code_head,
                                         data_head, customs):
            add(0, [payload])
    # The sections the linker writes for tools come last, and nothing before them depends on
    # their sizes: they are built after the inputs are relocated, while the demangler (on
    # another core) finishes the names.
    trailing = []

    def add_trailing(payload_of):
        trailing.append(payload_of)
    if keep("name"):
        add_trailing(lambda: name_section(ctx, data_segments, demangled))
    if keep("producers"):
        add_trailing(lambda: producers_section(ctx))
    if keep("target_features"):
        add_trailing(lambda: target_features_section(ctx))
    from . import build_id
    if opts.build_id != "none":          # last, so the id is the file's final bytes
        add_trailing(lambda: build_id.section_payload(opts)[0])

    # lay the file out
    header = b"\0asm\x01\0\0\0"
    pieces = [header]
    pos = len(header)
    placements = []        # (kind, file offset of payload, info)
    placed = []            # map_file.PlacedSection per section, for --Map
    for sid, chunks in sections:
        item = chunks[0]
        start = pos
        if isinstance(item, tuple):
            if item[0] == "custom":
                _, name, size, inputs = item
                name_bytes = encode_name(name)
                total = len(name_bytes) + size
                head = bytes([0]) + u32(total) + name_bytes
                pieces.append(head)
                pos += len(head)
                placements.append(("custom", pos, inputs, name))
                pieces.append(size)
                pos += size
            else:
                kind, size, head_bytes = item
                head = bytes([sid]) + u32(size)
                pieces.append(head)
                pos += len(head)
                placements.append((kind, pos, head_bytes))
                pieces.append(size)
                pos += size
                name = None
            payload_at = start + len(head)
        else:
            payload = b"".join(chunks)
            head = bytes([sid]) + u32(len(payload))
            pieces.append(head + payload)
            pos += len(head) + len(payload)
            payload_at = start + len(head)
            name = _custom_name(payload) if sid == 0 else None
        if opts.map_file:
            placed.append(map_file.PlacedSection(sid, name, start, pos - start, payload_at))
    out = bytearray(pos)
    at = 0
    for p in pieces:
        if isinstance(p, int):
            at += p
        else:
            out[at:at + len(p)] = p
            at += len(p)

    # place chunks
    for placement in placements:
        kind, payload_at = placement[0], placement[1]
        if kind == "code":
            head = placement[2]
            out[payload_at:payload_at + len(head)] = head
            cursor = payload_at + len(head)
            ctx.code_section_payload = payload_at
            for f in ctx.functions:
                f.out_offset = cursor
                cursor += f.end - f.start
        elif kind == "data":
            head = placement[2]
            out[payload_at:payload_at + len(head)] = head
            cursor = payload_at + len(head)
            for seg, seg_head in zip(data_segments, seg_heads):
                seg.head_offset = cursor
                out[cursor:cursor + len(seg_head)] = seg_head
                cursor += len(seg_head)
                for chunk in seg.inputs:
                    chunk.out_offset = cursor + chunk.segment_offset
                    if chunk.body is not None:          # merged strings
                        out[chunk.out_offset:chunk.out_offset + len(chunk.body)] = chunk.body
                cursor += seg.size
        else:
            cursor = payload_at
            for chunk in placement[2]:
                # alignment counts from the contents' start (after the name), as in lld
                cursor = payload_at + layout.align(cursor - payload_at, 1 << chunk.alignment)
                chunk.out_offset = cursor
                if chunk.body is not None:              # merged .debug_str
                    out[cursor:cursor + len(chunk.body)] = chunk.body
                cursor += chunk.end - chunk.start
    for f in ctx.functions:
        if f.body is not None:
            out[f.out_offset:f.out_offset + len(f.body)] = f.body
    relocate_all(ctx, out, [p for p in placements if p[0] == "custom"])
    for payload_of in trailing:
        payload = payload_of()
        if payload is None:
            continue
        start = len(out)
        head = b"\0" + u32(len(payload))
        out += head
        out += payload
        if opts.map_file:
            placed.append(map_file.PlacedSection(0, _custom_name(payload), start, len(out) - start,
                                                 start + len(head)))
    if opts.build_id != "none":
        build_id.fill(opts, out, len(out) - build_id.hash_size(opts))
    ctx.output_size = len(out)
    if opts.map_file:           # before the output: an unwritable map fails the link
        map_file.write(ctx, map_file.render(ctx, placed, data_segments, map_names(ctx)))
    write_atomically(opts.output, [out], mode=0o755)



def _custom_name(payload: bytes) -> str:
    from .._native.leb128 import decode_u32
    length, at = decode_u32(payload, 0)
    return bytes(payload[at:at + length]).decode("utf-8", "replace")


# clang names a `main` that takes arguments __main_argc_argv (a wasm call's signature must
# match); wasm-ld shows it as `main` wherever it shows names, demangling on or off
MAIN_WITH_ARGS = "__main_argc_argv"


def map_names(ctx) -> dict[str, str]:
    """Display names of the symbols a map lists: demangled when names are (--demangle)."""
    table = {MAIN_WITH_ARGS: "main"}
    if not ctx.options.demangle:
        return table
    from .demangle import demangle_all
    wanted = [s.name for obj in ctx.objects for s in obj.symbols
              if s is not None and s.kind in (SYMTAB_FUNCTION, SYMTAB_DATA)]
    return demangle_all(wanted) | table


def memory_limits(ctx) -> Limits:
    flags = 0
    maximum = ctx.memory_max_pages
    if maximum is not None:
        flags |= 1
    if ctx.options.shared_memory:
        flags |= 2
    if ctx.options.is64:
        flags |= 4
    page = ctx.options.page_size
    if page != 65536:                   # custom-page-sizes
        flags |= 8
        return Limits(flags, ctx.memory_pages, maximum, page.bit_length() - 1)
    return Limits(flags, ctx.memory_pages, maximum)


def exported_address(ctx, sym) -> int:
    """The value of an exported data symbol's global: its address, or for a TLS symbol its
    offset in the TLS block (wasm-ld-22 does so with and without shared memory)."""
    address = layout.data_address(sym)
    if sym.is_tls:
        from .threads import tls_offset
        return tls_offset(ctx, sym, address)
    return address


def emit_bss(ctx) -> bool:
    if ctx.options.relocatable or ctx.options.emit_relocs:     # as lld: symbols name them
        return True
    return bool(ctx.options.import_memory) and "bulk-memory" not in ctx.features


def global_init(ctx, g) -> bytes:
    if g.file is None:
        if g.name == "__stack_pointer":
            return ptr_init(ctx, ctx.stack_pointer_value)
        if g.name == "__tls_base":
            return ptr_init(ctx, ctx.tls_base_value)
    return g.init


def custom_sections(ctx):
    """(name, chunks) of the custom sections copied from inputs, in first-appearance order."""
    strip_debug = ctx.options.strip_debug or ctx.options.strip_all
    by_name: dict[str, list] = {}
    for file in ctx.objects:
        for c in file.customs:
            if c.discarded or c.end == c.start:
                continue
            if strip_debug and c.name.startswith(".debug_"):
                continue
            by_name.setdefault(c.name, []).append(c)
    from .merge_strings import MergedStrings, should_merge_custom
    for name, chunks in by_name.items():
        if all(should_merge_custom(c, ctx.options.optimize) for c in chunks):
            merged = MergedStrings(name, 0, 0)
            for c in chunks:
                merged.add(c, c.file.data, c.file.sections[c.index].contents)
            by_name[name] = [merged.finish()]
    return list(by_name.items())


def function_names_to_demangle(ctx) -> list[str]:
    wanted = [s.name for s in ctx.imported_functions]
    wanted += [f.symbol_name.rpartition(":")[2] for f in ctx.functions if f.symbol_name]
    return wanted


def name_section(ctx, data_segments, demangled=None) -> bytes:
    """The name section; ``demangled`` waits for the demangled names, when demangling was
    started early (else, with --demangle, they are demangled here)."""
    def subsection(kind, body: bytes) -> bytes:
        return bytes([kind]) + u32(len(body)) + body

    table = {}
    if demangled is not None:
        table = demangled()
    elif ctx.options.demangle:
        from .demangle import demangle_all
        table = demangle_all(function_names_to_demangle(ctx))

    def demangle(name):
        return table.get(name, name) if name != MAIN_WITH_ARGS else "main"
    module_name = ctx.options.soname or os.path.basename(ctx.options.output)
    out = subsection(0, encode_name(module_name))
    names = []
    for sym in ctx.imported_functions:
        names.append((sym.index, demangle(sym.name)))
    for f in ctx.functions:
        if f.symbol_name:
            prefix, _, rest = f.symbol_name.rpartition(":")
            shown = f"{prefix}:{demangle(rest)}" if prefix in ("undefined_weak", "undefined_stub",
                                                               "signature_mismatch") \
                else demangle(f.symbol_name)
            names.append((f.function_index, shown))
    if names:
        out += subsection(1, u32(len(names)) + b"".join(u32(i) + encode_name(n) for i, n in names))
    gnames = [(s.index, s.name) for s in ctx.imported_globals]
    gnames += [(s.got_index, s.name) for s in ctx.got_imports]
    gnames += [(g.out_index, g.name) for g in ctx.globals if g.name]
    gnames += [(s.got_index, ("GOT.func.internal." if s.kind == SYMTAB_FUNCTION
                              else "GOT.data.internal.") + s.name) for s in ctx.internal_got]
    if gnames:
        out += subsection(7, u32(len(gnames)) + b"".join(u32(i) + encode_name(n) for i, n in gnames))
    dnames = [(i, s.name) for i, s in enumerate(data_segments) if s.name]
    if dnames:
        out += subsection(9, u32(len(dnames)) + b"".join(u32(i) + encode_name(n) for i, n in dnames))
    return encode_name("name") + out


def producers_section(ctx):
    from ..binary.producers import decode_producers
    fields: dict[str, list] = {}
    seen = set()             # most objects of a link carry the same bytes: merge those once
    for file in ctx.objects:
        s = file.module.custom("producers")
        if s is None:
            continue
        raw = bytes(file.data[s.contents:s.end])
        if raw in seen:
            continue
        seen.add(raw)
        p = decode_producers(file.data, s.contents, s.end - s.contents)
        for f in p.fields:
            entries = fields.setdefault(f.name, [])
            for name, version in f.values:
                if all(name != n for n, _ in entries):
                    entries.append((name, version))
    ordered = [(k, fields[k]) for k in ("language", "processed-by", "sdk") if fields.get(k)]
    if not ordered:
        return None
    body = u32(len(ordered))
    for name, entries in ordered:
        body += encode_name(name) + u32(len(entries))
        for n, v in entries:
            body += encode_name(n) + encode_name(v)
    return encode_name("producers") + body


def target_features_section(ctx):
    if not ctx.features:
        return None
    body = u32(len(ctx.features)) + b"".join(b"+" + encode_name(f) for f in sorted(ctx.features))
    return encode_name("target_features") + body


# -- relocation ---------------------------------------------------------------------------------

def symbol_columns(ctx, file, rows=None):
    """The per-symbol value columns the native applier reads, for one input file. A global
    symbol is a row of every file that names it: ``rows`` (symbol -> its values), shared by
    the files of one link, works each out once."""
    if rows is None:
        rows = {}
    code_payload = ctx.code_section_payload
    wants_got = bool(ctx.got_imports or ctx.internal_got)
    found = []
    for sym in file.symbols:
        row = rows.get(sym)
        if row is None:
            row = rows[sym] = _symbol_row(ctx, sym, code_payload)
        found.append(row)
    if not found:
        empty = array.array("Q"), array.array("I"), array.array("Q"), array.array("B")
        return (*empty, array.array("I") if wants_got else None)
    value, table, code, state, got = zip(*found)
    return (array.array("Q", value), array.array("I", table), array.array("Q", code),
            array.array("B", state), array.array("I", got) if wants_got else None)


def _symbol_row(ctx, sym, code_payload) -> tuple[int, int, int, int, int]:
    """(value, table slot, code offset, state bits, GOT index) of one symbol."""
    kind = sym.kind
    value = table = code = state = 0
    if kind == SYMTAB_DATA:
        address = layout.data_address(sym)
        if sym.is_tls and ctx.tls_segment is not None and sym.va is None:
            address -= ctx.tls_segment.start_va      # TLS symbols are block offsets
        value = address & 0xFFFFFFFFFFFFFFFF
        if sym.state != 0:
            state |= SYMBOL_UNDEFINED
    elif kind == SYMTAB_SECTION:
        chunk = sym.element
        if chunk is not None and chunk.merged_into is not None:
            chunk = chunk.merged_into.chunk
        value = 0 if chunk is None or chunk.out_offset < 0 else \
            chunk.out_offset - _custom_payload(ctx, chunk)
    else:
        if sym.is_defined and sym.element is not None and not sym.element.live and not sym.is_stub:
            state |= SYMBOL_DEAD
        elif sym.state != 0 and sym.index < 0:
            state |= SYMBOL_UNDEFINED
        else:
            idx = layout.output_index(sym)
            value = idx if idx >= 0 else 0
        if kind == SYMTAB_FUNCTION:
            if not sym.is_defined:
                # an imported function has no code offset: FUNCTION_OFFSET_* in debug
                # info get the tombstone (its index is still written by the others)
                state |= SYMBOL_UNDEFINED
            slot = sym.get_table_index()
            if slot >= 0:
                table = slot
            else:
                state |= SYMBOL_NO_SLOT
            e = sym.element
            if sym.is_defined and e is not None and e.live and e.out_offset >= 0:
                # the body, after its size field, relative to the code section payload
                code = e.out_offset - code_payload + _size_field_width(e)
    if sym.is_defined and sym.element is not None and getattr(sym.element, "live", True) is False:
        state |= SYMBOL_DEAD
    elif sym.element is None and not sym.live and kind != SYMTAB_SECTION:
        state |= SYMBOL_DEAD       # e.g. a linker-defined symbol only debug info names
    got = sym.got_index if kind != SYMTAB_GLOBAL and sym.got_index >= 0 \
        else (value if kind == SYMTAB_GLOBAL else 0)
    return value, table, code, state, got


def _size_field_width(chunk) -> int:
    data = chunk.body if chunk.body is not None else chunk.file.data
    pos = 0 if chunk.body is not None else \
        chunk.file.sections[chunk.file.code_position].payload + chunk.start
    width = 1
    while data[pos] & 0x80:
        pos += 1
        width += 1
    return width


def _custom_payload(ctx, chunk) -> int:
    return ctx.custom_payload_starts.get(chunk.name, 0)


SECTION_OFFSET_I32 = 9


def opts_table_base(ctx) -> int:
    return ctx.options.table_base


def merged_addends(file, r, merged_symbols):
    """Addends of SECTION_OFFSET relocations into merged strings (.debug_str), redirected to
    the kept copy of their piece; the section symbol then counts from the merged chunk."""
    from .._native.reloc import redirect_addends
    addend = array.array("q", r.addend)
    changed = 0
    symbols = file.symbols
    for i in merged_symbols:
        chunk = symbols[i].element
        changed += redirect_addends(r.type, r.index, addend, i, chunk.piece_starts,
                                    chunk.piece_outputs)
    return addend if changed else r.addend


def relocate_all(ctx, out, custom_placements) -> None:
    ctx.custom_payload_starts = {name: at for _, at, _, name in custom_placements}
    symbol_rows = {}
    for file in ctx.objects:
        relocs = ctx._relocations_of(file)
        cols = symbol_columns(ctx, file, symbol_rows)
        type_map = array.array("I", file.type_map or [0])
        merged_symbols = {i for i, sym in enumerate(file.symbols) if sym.kind == SYMTAB_SECTION
                          and sym.element is not None and sym.element.merged_into is not None}
        sections = file.module.sections
        targets = []
        if file.code_position is not None:
            targets.append((file.code_position, file.functions, 0))
        if file.data_position is not None:
            targets.append((file.data_position, file.segments, 0))
        for c in file.customs:
            targets.append((c.index, [c], section_tombstone(c.name)))
        for position, chunks, tombstone in targets:
            if not chunks:
                continue
            section = sections[position]
            start = array.array("I", [c.start for c in chunks])
            end = array.array("I", [c.end for c in chunks])
            out_at = array.array("q", [c.out_offset if (c.live and not c.discarded and c.out_offset >= 0) else -1
                                       for c in chunks])
            address = array.array("q", [
                (c.output_segment.start_va + c.segment_offset) if c.output_segment is not None else 0
                for c in chunks])
            r = relocs.get(position)
            if r is None:
                empty_b, empty_i, empty_q = array.array("B"), array.array("I"), array.array("q")
                rt, ro, ri, ra = empty_b, empty_i, empty_i, empty_q
            elif merged_symbols and chunks[0].kind == "custom":
                rt, ro, ri, ra = r.type, r.offset, r.index, merged_addends(file, r, merged_symbols)
            else:
                rt, ro, ri, ra = r.type, r.offset, r.index, r.addend
            copy_and_relocate(out, file.data, section.contents, start, end, out_at, address,
                              rt, ro, ri, ra, cols[0], cols[1], cols[2], type_map,
                              0, 0, opts_table_base(ctx), cols[3], tombstone=tombstone,
                              sym_global_index=cols[4], context=str(file))
