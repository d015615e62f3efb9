"""The link map (--Map=FILE, -M/--print-map to standard output): where every output section,
function, data segment, input chunk and symbol ended up, in wasm-ld-22's format, so that
scripts written against wasm-ld's maps read ours.

One line per item, three hex columns then an indented name:

    Addr      Off     Size Out     In      Symbol
       -       55       2d CODE
       -       56       10         a.o:(bar)
       -       56       10                 bar
   10000       83        8 .data

``Addr`` is a memory address (data) or a global index, ``-`` where none applies; ``Off`` is a
file offset. Written by the writer once the file's layout is final and before the output file
itself, so that an unwritable map fails the link without leaving an output behind (as in
wasm-ld). wasm-ld's quirks are kept: a chunk's offset counts from its section's first byte plus
its offset inside the section's payload (the section header is not counted), and chunks of
uninitialised (.bss) segments have offset 0.
"""
from __future__ import annotations

from ..binary.linking import SYMTAB_DATA, SYMTAB_FUNCTION
import os

from ..errors import LinkError, WasmlinkError
from ..output import write_atomically
from . import layout

WEAK_STUB_PREFIX = "undefined_weak:"
HEADER = "    Addr      Off     Size Out     In      Symbol\n"
SECTION_LABELS = {1: "TYPE", 2: "IMPORT", 3: "FUNCTION", 4: "TABLE", 5: "MEMORY", 6: "GLOBAL",
                  7: "EXPORT", 8: "START", 9: "ELEM", 10: "CODE", 11: "DATA", 12: "DATACOUNT",
                  13: "TAG"}


class PlacedSection:
    """An output section as the writer placed it: first byte, total size (with header),
    first payload byte; and its label (TYPE, CODE, CUSTOM(name), ...)."""

    __slots__ = ("label", "start", "size", "payload")

    def __init__(self, section_id: int, name: str | None, start: int, size: int, payload: int):
        self.label = SECTION_LABELS[section_id] if section_id else f"CUSTOM({name})"
        self.start, self.size, self.payload = start, size, payload


def _columns(addr: int | None, offset: int, size: int) -> str:
    if addr is None:
        return f"       - {offset:8x} {size:8x} "
    return f"{addr:8x} {offset:8x} {size:8x} "


def _chunk_label(chunk) -> str:
    where = "<internal>" if chunk.file is None else chunk.file.name
    if chunk.kind != "function":
        return f"{where}:({chunk.name})"
    # a stub's name-section name says what it stands for; the map shows the symbol's name
    return f"{where}:({chunk.symbol_name.removeprefix(WEAK_STUB_PREFIX)})"


def _symbols_by_chunk(ctx) -> dict[int, list]:
    """Live function and data symbols, grouped by the chunk defining them, in file and
    symbol-table order; each listed once, under the file that defines it."""
    grouped: dict[int, list] = {}
    for obj in ctx.objects:
        seen = set()
        for sym in obj.symbols:
            if sym is None or sym.file is not obj or id(sym) in seen:
                continue
            if sym.kind not in (SYMTAB_FUNCTION, SYMTAB_DATA) or not sym.is_defined:
                continue
            chunk = sym.element
            # (a weak undefined function's trap stub belongs to no file: not listed)
            if chunk is None or chunk.file is not obj or not chunk.live or chunk.discarded:
                continue
            seen.add(id(sym))
            grouped.setdefault(id(chunk), []).append(sym)
    return grouped


def render(ctx, sections: list[PlacedSection], data_segments, names: dict[str, str]) -> str:
    """The map's text. ``names``: display names of symbols (demangled, as the name section)."""
    by_chunk = _symbols_by_chunk(ctx)
    lines = [HEADER]

    def chunk_offset(section, chunk) -> int:
        return section.start + (chunk.out_offset - section.payload)

    def symbol_lines(chunk, offset):
        for sym in by_chunk.get(id(chunk), ()):
            if sym.kind == SYMTAB_DATA:
                head = _columns(layout.data_address(sym), offset + sym.offset, sym.size)
            else:
                head = _columns(None, offset, chunk.end - chunk.start)
            lines.append(head + " " * 16 + names.get(sym.name, sym.name) + "\n")

    for section in sections:
        lines.append(_columns(None, section.start, section.size) + section.label + "\n")
        if section.label == "CODE":
            for f in ctx.functions:
                offset = chunk_offset(section, f)
                lines.append(_columns(None, offset, f.end - f.start) + " " * 8 + _chunk_label(f) + "\n")
                symbol_lines(f, offset)
        elif section.label == "DATA":
            written = {id(s) for s in data_segments}
            for seg in ctx.segments:
                # a segment's offset is that of its header; unwritten (.bss) ones count as 0
                seg_offset = section.start + (seg.head_offset - section.payload
                                              if id(seg) in written else 0)
                lines.append(_columns(seg.start_va, seg_offset, seg.size) + seg.name + "\n")
                for chunk in seg.inputs:
                    offset = chunk_offset(section, chunk) if id(seg) in written else 0
                    va = seg.start_va + chunk.segment_offset
                    lines.append(_columns(va, offset, chunk.end - chunk.start) + " " * 8
                                 + _chunk_label(chunk) + "\n")
                    symbol_lines(chunk, offset)
        elif section.label == "GLOBAL":
            for g in ctx.globals:
                lines.append(_columns(g.out_index, 0, 0) + " " * 8 + (g.name or "") + "\n")
    return "".join(lines)


def write(ctx, text: str) -> None:
    path = ctx.options.map_file
    if path == "-":
        import sys
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    problem = "Is a directory" if os.path.isdir(path) else None
    if problem is None:
        try:
            write_atomically(path, [text.encode()])
        except WasmlinkError as e:
            problem = e.message.split(": ", 1)[-1]
    if problem is not None:
        raise LinkError(f"cannot open map file {path}: {problem}")
