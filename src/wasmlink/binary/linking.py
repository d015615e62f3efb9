"""The metadata of relocatable objects: the ``linking`` section and the ``reloc.*`` sections.

A ``linking`` section (version 2, tool-conventions/Linking.md) is a version and a series of
subsections: the symbol table (8), segment info (5), init functions (6) and comdats (7).
Subsections of other types are skipped, their ranges kept. The symbol table and the relocations
are decoded by the native core into typed columns, since a link reads all of them; the other
subsections are small and decoded here into a few named tuples.

Symbol names stay byte ranges in the mapped file until :meth:`SymbolTable.name` is asked. An
undefined function, global, tag or table symbol without WASM_SYM_EXPLICIT_NAME spells no name:
it takes its import's field name, and a section symbol takes its section's name. The symbol
table cannot know those, so the caller passes ``external_name(kind, index)`` (or, for imports
only, a mapping from kind to the list of that kind's import names).

A ``reloc.*`` section names its target section by index within the module and lists
(type, offset, index, addend) entries; offsets count from the start of the target's contents,
which for a custom section begin after its name (as LLVM and wasm-ld read them).
"""
from __future__ import annotations

import array
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from .._native.reloc import (RELOC_TYPES, SYMBOL_KIND_NAMES, comdat_entries, decode_relocs,
                             decode_symbol_table, reloc_type_name, segment_info_columns)
from ..errors import ParseError
from .module import unit_rows
from .reader import Reader

__all__ = [
    "LinkingSection", "SymbolTable", "RelocSection", "SegmentInfo", "InitFunction", "Comdat",
    "ComdatEntry", "Subsection", "Relocation", "RELOC_TYPES", "SYMBOL_KIND_NAMES",
    "reloc_type_name", "read_linking", "read_relocs", "relocation_counts", "section_contents",
]

LINKING_VERSION = 2

# linking subsection types
WASM_SEGMENT_INFO = 5
WASM_INIT_FUNCS = 6
WASM_COMDAT_INFO = 7
WASM_SYMBOL_TABLE = 8
SUBSECTION_NAMES = {WASM_SEGMENT_INFO: "segment info", WASM_INIT_FUNCS: "init functions",
                    WASM_COMDAT_INFO: "comdat info", WASM_SYMBOL_TABLE: "symbol table"}

# symbol kinds
SYMTAB_FUNCTION = 0
SYMTAB_DATA = 1
SYMTAB_GLOBAL = 2
SYMTAB_SECTION = 3
SYMTAB_TAG = 4          # the spec's SYMTAB_EVENT
SYMTAB_TABLE = 5

# symbol flags
WASM_SYM_BINDING_WEAK = 0x1
WASM_SYM_BINDING_LOCAL = 0x2
WASM_SYM_BINDING_MASK = 0x3
WASM_SYM_VISIBILITY_HIDDEN = 0x4
WASM_SYM_UNDEFINED = 0x10
WASM_SYM_EXPORTED = 0x20
WASM_SYM_EXPLICIT_NAME = 0x40
WASM_SYM_NO_STRIP = 0x80
WASM_SYM_TLS = 0x100
WASM_SYM_ABSOLUTE = 0x200
SYMBOL_FLAG_NAMES = {
    WASM_SYM_BINDING_WEAK: "BINDING_WEAK", WASM_SYM_BINDING_LOCAL: "BINDING_LOCAL",
    WASM_SYM_VISIBILITY_HIDDEN: "VISIBILITY_HIDDEN", WASM_SYM_UNDEFINED: "UNDEFINED",
    WASM_SYM_EXPORTED: "EXPORTED", WASM_SYM_EXPLICIT_NAME: "EXPLICIT_NAME",
    WASM_SYM_NO_STRIP: "NO_STRIP", WASM_SYM_TLS: "TLS", WASM_SYM_ABSOLUTE: "ABSOLUTE",
}

# segment flags
WASM_SEGMENT_FLAG_STRINGS = 0x1
WASM_SEGMENT_FLAG_TLS = 0x2
WASM_SEGMENT_FLAG_RETAIN = 0x4
SEGMENT_FLAG_NAMES = {WASM_SEGMENT_FLAG_STRINGS: "STRINGS", WASM_SEGMENT_FLAG_TLS: "TLS",
                      WASM_SEGMENT_FLAG_RETAIN: "RETAIN"}

# comdat entry kinds
WASM_COMDAT_DATA = 0
WASM_COMDAT_FUNCTION = 1
WASM_COMDAT_GLOBAL = 2
WASM_COMDAT_TAG = 3     # the spec's WASM_COMDAT_EVENT
WASM_COMDAT_TABLE = 4
WASM_COMDAT_SECTION = 5
COMDAT_KIND_NAMES = ("data", "function", "global", "tag", "table", "section")


def flag_names(flags: int, names: Mapping[int, str]) -> list[str]:
    """The names of the bits set in ``flags``, lowest first; unknown bits as hex."""
    out = [name for bit, name in names.items() if flags & bit]
    rest = flags & ~sum(names)
    if rest:
        out.append(f"0x{rest:x}")
    return out


class Subsection(NamedTuple):
    type: int
    offset: int         # file-absolute start of the payload (after type and size)
    size: int


class SegmentInfo(NamedTuple):
    name: str
    alignment: int      # log2 of the alignment in bytes
    flags: int

    @property
    def align_bytes(self) -> int:
        return 1 << self.alignment


class InitFunction(NamedTuple):
    priority: int
    symbol: int         # a symbol index, not a function index


class ComdatEntry(NamedTuple):
    kind: int           # WASM_COMDAT_*
    index: int          # data segment, function, global, tag, table or section index


class Comdat(NamedTuple):
    name: str
    flags: int
    entries: tuple[ComdatEntry, ...]


ExternalName = Callable[[int, int], "str | None"]


def _external_name_function(external_name) -> ExternalName | None:
    if external_name is None or callable(external_name):
        return external_name
    names: Mapping[int, Sequence[str]] = external_name

    def lookup(kind: int, index: int) -> str | None:
        seq = names.get(kind)
        return seq[index] if seq is not None and 0 <= index < len(seq) else None
    return lookup


class SymbolTable:
    """The symbol table as columns (``array.array``), row i being symbol i:

    ``kind`` ('B', SYMTAB_*), ``flags`` ('I', WASM_SYM_*), ``index`` ('I': the function, global,
    tag or table index, the data segment of a defined data symbol, the section of a section
    symbol), ``offset`` and ``size`` ('Q': a defined data symbol's place in its segment),
    ``name_offset`` ('Q', file-absolute; 0 when the entry spells no name) and ``name_size`` ('I');
    ``own_names`` the names entries spell, decoded by the native reader (None where none).
    """

    __slots__ = ("data", "kind", "flags", "index", "offset", "size", "name_offset", "name_size",
                 "own_names", "external_name", "_names")

    def __init__(self, data, columns=None, external_name=None):
        self.data = data
        if columns is None:
            self.kind = array.array("B")
            self.flags, self.index = array.array("I"), array.array("I")
            self.offset, self.size = array.array("Q"), array.array("Q")
            self.name_offset, self.name_size = array.array("Q"), array.array("I")
            self.own_names = []
        else:
            self.kind, self.flags, self.index = columns.kind, columns.flags, columns.index
            self.offset, self.size = columns.offset, columns.size
            self.name_offset, self.name_size = columns.name_offset, columns.name_size
            self.own_names = columns.names
        self.external_name = _external_name_function(external_name)
        self._names = None

    def __len__(self) -> int:
        return len(self.kind)

    def has_own_name(self, i: int) -> bool:
        """Whether the entry spells its name (else it is its import's or its section's)."""
        return self.name_offset[i] != 0

    def name_bytes(self, i: int) -> bytes | None:
        """The name the entry spells, undecoded; None when it spells none."""
        start = self.name_offset[i]
        if not start:
            return None
        return bytes(self.data[start:start + self.name_size[i]])

    def name(self, i: int) -> str | None:
        """Symbol i's name: its own, else ``external_name(kind, index)``; None if neither."""
        own = self.own_names[i]
        if own is not None or self.external_name is None:
            return own
        return self.external_name(self.kind[i], self.index[i])

    def names(self) -> list:
        """Every symbol's name (as ``name(i)``), in row order; computed once."""
        names = self._names
        if names is None:
            names = self._names = list(self.own_names)
            external = self.external_name
            if external is not None:
                kind, index = self.kind, self.index
                for i, own in enumerate(names):
                    if own is None:
                        names[i] = external(kind[i], index[i])
        return names

    def is_undefined(self, i: int) -> bool:
        return bool(self.flags[i] & WASM_SYM_UNDEFINED)

    def is_weak(self, i: int) -> bool:
        return self.flags[i] & WASM_SYM_BINDING_MASK == WASM_SYM_BINDING_WEAK

    def is_local(self, i: int) -> bool:
        return self.flags[i] & WASM_SYM_BINDING_MASK == WASM_SYM_BINDING_LOCAL

    def kind_name(self, i: int) -> str:
        return SYMBOL_KIND_NAMES[self.kind[i]]


class LinkingSection:
    """The ``linking`` custom section whose contents (after the name) are data[start:start+size].

    Decoded at once; raises ParseError with file-absolute offsets. ``symbols`` is empty when the
    section has no symbol table; ``unknown_subsections`` lists the skipped ones.
    """

    def __init__(self, data, start: int, size: int, *, external_name=None,
                 context: str = "section linking"):
        data = _view(data)
        self.data = data
        self.start = start
        self.size = size
        self.subsections: list[Subsection] = []
        self.unknown_subsections: list[Subsection] = []
        self.symbols = SymbolTable(data, None, external_name)
        self.segments: list[SegmentInfo] = []
        self.init_functions: list[InitFunction] = []
        self.comdats: list[Comdat] = []

        r = Reader(data, start, start + size, context)
        at = r.pos
        self.version = r.u32("linking metadata version")
        if self.version != LINKING_VERSION:
            raise r.error(f"unexpected linking metadata version {self.version}: expected "
                          f"{LINKING_VERSION}", at)
        seen: set[int] = set()
        while not r.at_end():
            head = r.pos
            kind = r.byte("linking subsection type")
            length = r.u32("linking subsection size")
            if length > r.end - r.pos:
                raise r.error(f"linking subsection {kind} of size {length} runs past the end of "
                              f"the section ({r.end - r.pos} bytes left)", head)
            sub = Subsection(kind, r.pos, length)
            r.pos += length
            self.subsections.append(sub)
            if kind not in SUBSECTION_NAMES:
                self.unknown_subsections.append(sub)
                continue
            if kind in seen:
                raise r.error(f"repeated linking subsection: {SUBSECTION_NAMES[kind]}", head)
            seen.add(kind)
            sr = Reader(data, sub.offset, sub.offset + length,
                        f"{context}, {SUBSECTION_NAMES[kind]}")
            if kind == WASM_SYMBOL_TABLE:
                # native, and checks that the symbols fill the subsection exactly
                self.symbols = SymbolTable(
                    data, decode_symbol_table(data, sub.offset, length, sr.context),
                    external_name)
                continue
            if kind == WASM_SEGMENT_INFO:
                # natively when plainly valid; else in Python, which says what is wrong
                columns = segment_info_columns(data, sub.offset, length)
                if columns is not None:
                    self.segments = list(map(SegmentInfo, *columns))
                    continue
                self.segments = _read_segment_info(sr)
            elif kind == WASM_INIT_FUNCS:
                if WASM_SYMBOL_TABLE not in seen:
                    raise r.error("init functions subsection must come after the symbol table",
                                  head)
                self.init_functions = _read_init_functions(sr, self.symbols)
            else:
                comdats = comdat_entries(data, sub.offset, length)
                if comdats is not None:
                    self.comdats = [Comdat(name, flags, tuple(ComdatEntry(k, i) for k, i in entries))
                                    for name, flags, entries in comdats]
                    continue
                self.comdats = _read_comdats(sr)
            sr.expect_end(f"linking subsection {SUBSECTION_NAMES[kind]}")


def _read_segment_info(r: Reader) -> list[SegmentInfo]:
    out = []
    for _ in range(r.count("segment", 3)):
        name = r.name("segment name")
        alignment = r.u32("segment alignment")
        flags = r.u32("segment flags")
        out.append(SegmentInfo(name, alignment, flags))
    return out


def _read_init_functions(r: Reader, symbols: SymbolTable) -> list[InitFunction]:
    out = []
    for _ in range(r.count("init function", 2)):
        priority = r.u32("init function priority")
        at = r.pos
        symbol = r.u32("init function symbol")
        if symbol >= len(symbols) or symbols.kind[symbol] != SYMTAB_FUNCTION:
            raise r.error(f"invalid function symbol: {symbol}", at)
        out.append(InitFunction(priority, symbol))
    return out


def _read_comdats(r: Reader) -> list[Comdat]:
    out = []
    names = set()
    for _ in range(r.count("comdat", 3)):
        at = r.pos
        name = r.name("comdat name")
        if not name or name in names:
            raise r.error(f"bad/duplicate COMDAT name {name!r}", at)
        names.add(name)
        at = r.pos
        flags = r.u32("comdat flags")
        if flags:
            raise r.error(f"unsupported COMDAT flags 0x{flags:x}", at)
        entries = []
        for _ in range(r.count("comdat entry", 2)):
            at = r.pos
            # LLVM reads the kind as a varuint32 (the spec says uint8; equal for valid kinds)
            kind = r.u32("comdat entry kind")
            if kind >= len(COMDAT_KIND_NAMES):
                raise r.error(f"invalid COMDAT entry type {kind}", at)
            entries.append(ComdatEntry(kind, r.u32("comdat entry index")))
        out.append(Comdat(name, flags, tuple(entries)))
    return out


class Relocation(NamedTuple):
    """One entry, for display and errors only: the linker works on RelocSection's columns."""
    type: int
    offset: int
    index: int
    addend: int

    @property
    def type_name(self) -> str:
        return reloc_type_name(self.type)


class RelocSection:
    """A ``reloc.*`` section whose contents (after the name) are data[start:start+size].

    ``target`` is the index of the section it patches; the columns ``type`` ('B'), ``offset``
    ('I', from the start of the target's contents), ``index`` ('I', a symbol, or a type for
    R_WASM_TYPE_INDEX_LEB) and ``addend`` ('q', 0 where the type has none) hold one row per
    entry, in offset order. ``target_size`` (the target's contents) and ``symbol_kind`` (the
    symbol table's ``kind`` column) switch on the range and symbol checks.
    """

    __slots__ = ("name", "start", "size", "target", "type", "offset", "index", "addend")

    def __init__(self, data, start: int, size: int, *, name: str = "reloc",
                 target_size: int | None = None, symbol_kind=None):
        self.name = name
        self.start = start
        self.size = size
        (self.target, self.type, self.offset, self.index,
         self.addend) = decode_relocs(data, start, size,
                                      -1 if target_size is None else target_size,
                                      symbol_kind, f"section {name}")

    def __len__(self) -> int:
        return len(self.type)

    def entry(self, i: int) -> Relocation:
        return Relocation(self.type[i], self.offset[i], self.index[i], self.addend[i])

    def __iter__(self):
        return (self.entry(i) for i in range(len(self)))


def _view(data):
    # Reader slices its buffer: from bytes that would copy the file at every read
    return data if isinstance(data, memoryview) else memoryview(data)


def relocation_counts(sections: Sequence[RelocSection]) -> dict[int, int]:
    """Entries per target section index, for ``inspect``."""
    counts: dict[int, int] = {}
    for s in sections:
        counts[s.target] = counts.get(s.target, 0) + len(s)
    return counts


# ---- finding the sections in a native ScanResult ----------------------------------------------

def _custom_name(data, result, row: int) -> str | None:
    if result.section_id[row] != 0:
        return None
    start = result.section_name_offset[row]
    return bytes(data[start:start + result.section_name_size[row]]).decode("utf-8")


def section_contents(result, row: int) -> tuple[int, int]:
    """(start, size) of a section's contents as relocation offsets count them: the payload,
    or for a custom section the bytes after its name."""
    if result.section_id[row] == 0:
        start = result.section_name_offset[row] + result.section_name_size[row]
        return start, result.section_payload[row] + result.section_size[row] - start
    return result.section_payload[row], result.section_size[row]


def read_linking(data, result, unit: int = 0, *, external_name=None,
                 names=None) -> LinkingSection | None:
    """The ``linking`` section of one unit of a ScanResult, or None if it has none.
    ``names``: the unit's section names by position, when the caller has decoded them."""
    found = None
    rows = unit_rows(result, unit)
    for position, row in enumerate(rows):
        name = names[position] if names is not None else _custom_name(data, result, row)
        if name == "linking":
            if found is not None:
                raise ParseError("repeated linking section", result.section_start[row],
                                 context="section linking")
            start, size = section_contents(result, row)
            found = LinkingSection(data, start, size, external_name=external_name)
    return found


def read_relocs(data, result, unit: int = 0, *, symbols: SymbolTable | None = None,
                check_offsets: bool = True, names=None) -> list[RelocSection]:
    """Every ``reloc.*`` section of one unit, in file order.

    The target index must name a code, data or custom section before the reloc section. With
    ``check_offsets`` every entry must patch bytes inside the target's contents; with
    ``symbols`` every index must name a symbol of a kind its type allows.
    """
    data = _view(data)
    rows = unit_rows(result, unit)
    out = []
    for position, row in enumerate(rows):
        name = names[position] if names is not None else _custom_name(data, result, row)
        if name is None or not name.startswith("reloc."):
            continue
        start, size = section_contents(result, row)
        r = Reader(data, start, start + size, f"section {name}")
        target = r.u32("relocation target section")
        if target >= position:
            raise r.error(f"invalid relocation target section {target}: the reloc section is "
                          f"section {position}, and must follow its target", start)
        target_row = rows[target]
        sid = result.section_id[target_row]
        if sid not in (0, 10, 11):
            raise r.error(f"invalid relocation target section {target}: a section of id {sid}, "
                          f"not code, data or custom", start)
        target_size = section_contents(result, target_row)[1] if check_offsets else None
        out.append(RelocSection(data, start, size, name=name, target_size=target_size,
                                symbol_kind=None if symbols is None else symbols.kind))
    return out


# ---- inspect ----------------------------------------------------------------------------------

def linking_summary(module) -> dict:
    """The ``linking`` part of an inspect report (README: inspect JSON)."""
    linking = module.linking()
    symbols = linking.symbols
    by_kind: dict[str, int] = {}
    listed = []
    for i in range(len(symbols)):
        kind = symbols.kind_name(i)
        by_kind[kind] = by_kind.get(kind, 0) + 1
        row = {"name": symbols.name(i), "kind": kind, "index": symbols.index[i],
               "flags": flag_names(symbols.flags[i], SYMBOL_FLAG_NAMES)}
        if symbols.kind[i] == SYMTAB_DATA and not symbols.is_undefined(i):
            row["offset"], row["size"] = symbols.offset[i], symbols.size[i]
        listed.append(row)
    flags = symbols.flags

    def counted(bit):
        return sum(1 for f in flags if f & bit)
    return {
        "version": linking.version,
        "symbol_counts": {"total": len(symbols), "by_kind": by_kind,
                          "undefined": counted(WASM_SYM_UNDEFINED),
                          "weak": counted(WASM_SYM_BINDING_WEAK),
                          "local": counted(WASM_SYM_BINDING_LOCAL),
                          "hidden": counted(WASM_SYM_VISIBILITY_HIDDEN)},
        "symbols": listed,
        "segments": [{"name": s.name, "alignment": s.alignment,
                      "flags": flag_names(s.flags, SEGMENT_FLAG_NAMES)} for s in linking.segments],
        "init_functions": [{"priority": f.priority, "symbol": symbols.name(f.symbol)}
                           for f in linking.init_functions],
        "comdats": [{"name": c.name, "entries": len(c.entries)} for c in linking.comdats],
    }


def relocation_summary(module) -> dict:
    """Relocation entries per target section, by the target's name (CODE, DATA, .debug_info)."""
    names = {}
    for position, section in enumerate(module.sections):
        names[position] = {10: "CODE", 11: "DATA"}.get(section.id, section.name)
    return {names[target]: count for target, count in relocation_counts(module.relocations()).items()}


def render_linking(report: dict, out: list, pad: str, limit: int) -> None:
    counts = report["symbol_counts"]
    kinds = ", ".join(f"{k} {v}" for k, v in counts["by_kind"].items())
    out.append(f"{pad}linking: version {report['version']}, {counts['total']} symbols ({kinds}; "
               f"{counts['undefined']} undefined, {counts['weak']} weak, {counts['local']} local, "
               f"{counts['hidden']} hidden)")
    rows = [f"{s['kind']:<8} {s['name'] or '<unnamed>'}  [{' '.join(s['flags'])}]"
            for s in report["symbols"]]
    shown = rows if limit <= 0 else rows[:limit]
    out.extend(f"{pad}  {row}" for row in shown)
    if len(shown) < len(rows):
        out.append(f"{pad}  ... {len(rows) - len(shown)} more (-v shows all)")
    if report["segments"]:
        out.append(f"{pad}  segments: " + ", ".join(
            f"{s['name']} (align 2^{s['alignment']}{' ' + ' '.join(s['flags']) if s['flags'] else ''})"
            for s in report["segments"][:limit or None])
            + (" ..." if limit and len(report["segments"]) > limit else ""))
    if report["init_functions"]:
        out.append(f"{pad}  init functions: " + ", ".join(
            f"{f['symbol']} ({f['priority']})" for f in report["init_functions"]))
    if report["comdats"]:
        out.append(f"{pad}  comdats: {len(report['comdats'])}")
