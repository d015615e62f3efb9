"""A core module (or relocatable object) as a lazy view over its mapped bytes.

Opening a module costs one native section scan; each standard section is decoded the first
time it is asked for, custom sections only by name. Everything refers back to file-absolute
offsets, so errors and ``inspect`` can point into the file, and the encoder can copy untouched
bytes straight from the mapping.
"""
from __future__ import annotations

from typing import NamedTuple

from .._native.scan import CORE_SECTION_NAMES, scan
from ..errors import ParseError
from . import decode
from .reader import Reader
from .types import FUNC, GLOBAL, MEMORY, TABLE, TAG, Encoding


# symbol kinds (linking.SYMTAB_*: that module imports this one) and the imports they name
_SYMTAB_SECTION = 3
_IMPORT_KIND_OF_SYMBOL = {0: FUNC, 2: GLOBAL, 4: TAG, 5: TABLE}


class Section(NamedTuple):
    id: int
    start: int          # the id byte
    payload: int        # contents (for custom sections: including the name)
    size: int
    name: str | None = None              # custom sections
    name_offset: int = 0
    name_size: int = 0

    @property
    def end(self) -> int:
        return self.payload + self.size

    @property
    def kind(self) -> str:
        return self.name if self.id == 0 else CORE_SECTION_NAMES[self.id]

    @property
    def size_width(self) -> int:
        """Bytes of the size field when it was padded (LLVM objects pad to 5); 0 if minimal."""
        width = self.payload - self.start - 1
        return width if width != decode.len_u32(self.size) else 0

    @property
    def name_width(self) -> int:
        """Bytes of a custom section's name length when it was padded; 0 if minimal."""
        width = self.name_offset - self.payload
        return width if self.id == 0 and width != decode.len_u32(self.name_size) else 0

    @property
    def contents(self) -> int:
        """Where a custom section's data starts (after its name); the payload otherwise."""
        return self.name_offset + self.name_size if self.id == 0 else self.payload


def unit_rows(result, unit: int = 0) -> list[int]:
    """Rows of a native ScanResult that belong to ``unit`` itself. A component's rows interleave
    with those of the units nested in it, so walk from its first row until all are found."""
    i = result.unit_first_section[unit]
    wanted = result.unit_section_count[unit]
    if result.unit_count == 1:          # a lone module: its rows are consecutive
        return list(range(i, i + wanted))
    rows = []
    while len(rows) < wanted:
        if result.section_unit[i] == unit:
            rows.append(i)
        i += 1
    return rows


def sections_of(data, result, unit: int = 0) -> list[Section]:
    """The Section rows of one unit of a native ScanResult."""
    rows = unit_rows(result, unit)
    if not rows:
        return []
    first, last = rows[0], rows[-1] + 1
    if last - first == len(rows):       # consecutive (a lone module): read the columns whole
        columns = zip(result.section_id[first:last], result.section_start[first:last],
                      result.section_payload[first:last], result.section_size[first:last],
                      result.section_name_offset[first:last], result.section_name_size[first:last])
    else:
        columns = ((result.section_id[i], result.section_start[i], result.section_payload[i],
                    result.section_size[i], result.section_name_offset[i],
                    result.section_name_size[i]) for i in rows)
    out = []
    for sid, start, payload, size, noff, nsize in columns:
        if sid == 0:
            out.append(Section(0, start, payload, size, str(data[noff:noff + nsize], "utf-8"),
                               noff, nsize))
        else:
            out.append(Section(sid, start, payload, size))
    return out


class Module:
    """A core module in ``data[start:end]``; ``data`` is the whole mapped file."""

    def __init__(self, data, start: int = 0, end: int | None = None, path: str | None = None):
        self.data = data
        self.start = start
        self.end = len(data) if end is None else end
        self.path = path
        try:
            result = scan(data, start, self.end)
        except ParseError as e:
            raise e.in_file(path) if path else e
        if result.unit_kind[0] != 0:
            raise ParseError("expected a core module, found a component", start, path=path)
        self.scan_result = result
        self.sections = sections_of(data, result)
        # standard sections occur at most once: index them by id
        self._by_id = {s.id: s for s in self.sections if s.id}
        self._decoded: dict[int, tuple] = {}
        self._linking = None
        self._imported: dict[int, list] = {}

    # -- locating sections ------------------------------------------------------------------
    def section(self, section_id: int) -> Section | None:
        if section_id:
            return self._by_id.get(section_id)
        for s in self.sections:
            if s.id == 0:
                return s
        return None

    def custom_sections(self, name: str | None = None, prefix: str | None = None) -> list[Section]:
        return [s for s in self.sections if s.id == 0
                and (name is None or s.name == name)
                and (prefix is None or s.name.startswith(prefix))]

    def custom(self, name: str) -> Section | None:
        found = self.custom_sections(name)
        return found[0] if found else None

    @property
    def is_relocatable(self) -> bool:
        return self.custom("linking") is not None

    # -- decoded sections -------------------------------------------------------------------
    def decoded(self, section_id: int):
        """(items, Encoding) of a standard section, decoding it on first use; None if absent."""
        if section_id in self._decoded:
            return self._decoded[section_id]
        s = self.section(section_id)
        if s is None:
            return None
        enc = Encoding()
        r = Reader(self.data, s.payload, s.end, f"section {CORE_SECTION_NAMES[section_id]}")
        try:
            items = decode.DECODERS[section_id](r, enc)
            r.expect_end(f"{CORE_SECTION_NAMES[section_id]} section")
        except ParseError as e:
            raise e.in_file(self.path) if self.path else e
        self._decoded[section_id] = (items, enc)
        return self._decoded[section_id]

    def _items(self, section_id: int, empty):
        d = self.decoded(section_id)
        return empty if d is None else d[0]

    @property
    def types(self) -> list:
        return self._items(1, [])

    @property
    def imports(self) -> list:
        return self._items(2, [])

    @property
    def functions(self):
        """Type index of each defined function (array('I'))."""
        return self._items(3, [])

    @property
    def tables(self) -> list:
        return self._items(4, [])

    @property
    def memories(self) -> list:
        return self._items(5, [])

    @property
    def globals(self) -> list:
        return self._items(6, [])

    @property
    def exports(self) -> list:
        return self._items(7, [])

    @property
    def start_function(self) -> int | None:
        return self._items(8, None)

    @property
    def elements(self) -> list:
        return self._items(9, [])

    @property
    def code(self):
        return self._items(10, None)

    @property
    def data_segments(self) -> list:
        return self._items(11, [])

    @property
    def data_count(self) -> int | None:
        return self._items(12, None)

    @property
    def tags(self) -> list:
        return self._items(13, [])

    def imported(self, kind: int) -> list:
        found = self._imported.get(kind)
        if found is None:
            found = self._imported[kind] = [i for i in self.imports if i.kind == kind]
        return found

    # -- relocatable objects ------------------------------------------------------------------
    def external_name(self, kind: int, index: int) -> str | None:
        """The name a symbol without a name of its own takes: its import's field name (function,
        global, tag, table symbols), or its section's name (section symbols)."""
        if kind == _SYMTAB_SECTION:
            return self.sections[index].kind if index < len(self.sections) else None
        wanted = _IMPORT_KIND_OF_SYMBOL.get(kind)
        imported = self.imported(wanted) if wanted is not None else ()
        return imported[index].name if index < len(imported) else None

    def linking(self):
        """The decoded ``linking`` section (a LinkingSection), or None."""
        if self._linking is None and self.is_relocatable:
            from .linking import read_linking
            try:
                self._linking = read_linking(self.data, self.scan_result,
                                             external_name=self.external_name,
                                             names=self._row_names())
            except ParseError as e:
                raise e.in_file(self.path) if self.path else e
        return self._linking

    def _row_names(self) -> list:
        """Custom section names per section row (None for standard sections), as decoded."""
        return [s.name for s in self.sections]

    def relocations(self) -> list:
        """Every ``reloc.*`` section (RelocSection), checked against the symbol table."""
        from .linking import read_relocs
        linking = self.linking()
        try:
            return read_relocs(self.data, self.scan_result,
                               symbols=linking.symbols if linking else None,
                               names=self._row_names())
        except ParseError as e:
            raise e.in_file(self.path) if self.path else e

    # -- counts without decoding ------------------------------------------------------------
    def item_count(self, section_id: int) -> int | None:
        """The vector length at the head of a standard section (start: 1), read alone."""
        s = self.section(section_id)
        if s is None:
            return None
        if section_id == 8:
            return 1
        r = Reader(self.data, s.payload, s.end, f"section {CORE_SECTION_NAMES[section_id]}")
        try:
            return r.u32("count")
        except ParseError as e:
            raise e.in_file(self.path) if self.path else e

    def index_space_sizes(self) -> dict[str, int]:
        """Imports plus definitions, per index space (what wasm-objdump calls the totals)."""
        counts = {k: 0 for k in ("func", "table", "memory", "global", "tag")}
        for imp in self.imports:
            counts[("func", "table", "memory", "global", "tag")[imp.kind]] += 1
        counts["func"] += self.item_count(3) or 0
        counts["table"] += self.item_count(4) or 0
        counts["memory"] += self.item_count(5) or 0
        counts["global"] += self.item_count(6) or 0
        counts["tag"] += self.item_count(13) or 0
        return counts


__all__ = ["Module", "Section", "sections_of", "FUNC", "TABLE", "MEMORY", "GLOBAL", "TAG"]
