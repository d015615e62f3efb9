"""The "name" custom section: debug names for the module and its functions, locals, labels,
types, tables, memories, globals, element and data segments, struct fields and tags.

The section is a sequence of subsections, each an id byte, a size and a payload: the module name
(0) is one string, the others are name maps (index → name) or, for locals (2), labels (3) and
fields (10), indirect maps (outer index → name map), as the core spec's appendix and the
extended-name-section proposal define them. Decoding splits the subsections at once, so a bad
frame is an error at once, but reads a map's entries only when they are first asked for: a
linker that rewrites function names of libpython never touches its local names. A map keeps
its entries as parallel columns (an ``array('I')`` of indices and a list of str), not one object
per entry.

Encoding mirrors decoding: a map that was never read is copied back from the input bytes as
they were; one that was read is written from its columns. Subsection sizes keep the width they
had (LLVM's object writer pads them to 5 bytes), so decode → encode is byte-identical. Unknown
subsection ids are kept as raw bytes. Order and uniqueness of indices are not checked here:
they only matter to whoever looks names up, and the spec leaves a bad name section ignorable.
"""
from __future__ import annotations

from array import array

from .._native.leb128 import encode_u32
from .decode import len_u32
from .reader import Reader

MODULE = 0
FUNCTION = 1
LOCAL = 2
LABEL = 3
TYPE = 4
TABLE = 5
MEMORY = 6
GLOBAL = 7
ELEM_SEGMENT = 8
DATA_SEGMENT = 9
FIELD = 10
TAG = 11

SUBSECTION_NAMES = {
    MODULE: "module name", FUNCTION: "function names", LOCAL: "local names",
    LABEL: "label names", TYPE: "type names", TABLE: "table names", MEMORY: "memory names",
    GLOBAL: "global names", ELEM_SEGMENT: "elem segment names", DATA_SEGMENT: "data segment names",
    FIELD: "field names", TAG: "tag names",
}
INDIRECT_SUBSECTIONS = frozenset({LOCAL, LABEL, FIELD})

CONTEXT = "section name"


def _read_name_map(r: Reader, what: str) -> tuple[array, list[str]]:
    # an entry is at least an index byte and a length byte
    n = r.count(what, 2)
    indices = array("I")
    names = []
    for _ in range(n):
        indices.append(r.u32(f"{what} index"))
        names.append(r.name(f"{what} name"))
    return indices, names


def padded_width(value: int, width: int) -> int:
    """``width`` if a LEB128 of ``value`` took more bytes than it needs, else 0 (minimal)."""
    return width if width != len_u32(value) else 0


def append_name(out: bytearray, name: str) -> None:
    """Append a wasm name (LEB128 length, UTF-8 bytes) to ``out``."""
    b = name.encode("utf-8")
    out += encode_u32(len(b))
    out += b


class _LazyPairs:
    """index → value as two parallel columns, ``indices`` (``array('I')``) and the values,
    decoded from their subsection bytes on first use (a malformed entry raises ParseError then)
    and copied back untouched by ``encode_into`` if never read."""

    __slots__ = ("_window", "_indices", "_values")
    kind = "pairs"

    def __init__(self, indices=(), values=()):
        self._indices = array("I", indices)
        self._values = list(values)
        if len(self._indices) != len(self._values):
            raise ValueError(f"a {self.kind} needs as many values as indices")
        self._window = None

    @classmethod
    def _lazy(cls, data, start: int, end: int, what: str):
        m = cls.__new__(cls)
        m._window = (data, start, end, what)
        m._indices = m._values = None
        m._reset()
        return m

    def _reset(self) -> None:
        """Drop what is derived from the columns."""

    def _read_pairs(self, r: Reader, what: str):
        raise NotImplementedError

    def _load(self) -> None:
        data, start, end, what = self._window
        r = Reader(data, start, end, CONTEXT)
        self._indices, self._values = self._read_pairs(r, what)
        r.expect_end(f"{what} subsection")

    @property
    def is_loaded(self) -> bool:
        return self._indices is not None

    @property
    def indices(self) -> array:
        if self._indices is None:
            self._load()
        return self._indices

    def _loaded_values(self) -> list:
        if self._values is None:
            self._load()
        return self._values

    def __len__(self) -> int:
        return len(self.indices)

    def __iter__(self):
        return zip(self.indices, self._loaded_values())

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.indices == other.indices and self._loaded_values() == other._loaded_values()

    def __repr__(self) -> str:
        if self._indices is None:
            return f"{type(self).__name__}(<{self._window[2] - self._window[1]} bytes, not read>)"
        return f"{type(self).__name__}({dict(self)!r})"

    def _encode_value(self, out: bytearray, value) -> None:
        raise NotImplementedError

    def encode_into(self, out: bytearray) -> None:
        if self._indices is None:
            data, start, end, _ = self._window
            out += data[start:end]
            return
        out += encode_u32(len(self._indices))
        for index, value in zip(self._indices, self._values):
            out += encode_u32(index)
            self._encode_value(out, value)


class NameMap(_LazyPairs):
    """index → name: ``indices`` and ``names``. Iterating yields ``(index, name)`` pairs, so
    ``dict(name_map)`` works."""

    __slots__ = ("_by_index",)
    kind = "name map"

    def __init__(self, indices=(), names=()):
        super().__init__(indices, names)
        self._by_index = None

    def _reset(self) -> None:
        self._by_index = None

    @classmethod
    def _read(cls, r: Reader, what: str) -> "NameMap":
        m = cls.__new__(cls)
        m._window = None
        m._by_index = None
        m._indices, m._values = _read_name_map(r, what)
        return m

    def _read_pairs(self, r: Reader, what: str):
        return _read_name_map(r, what)

    @property
    def names(self) -> list[str]:
        return self._loaded_values()

    def get(self, index: int, default: str | None = None) -> str | None:
        # the lookup dict is built on first use; the columns stay the source of truth, so
        # drop it (``_reset()``) after changing them
        if self._by_index is None:
            self._by_index = dict(zip(self.indices, self.names))
        return self._by_index.get(index, default)

    def _encode_value(self, out: bytearray, name: str) -> None:
        append_name(out, name)


class IndirectNameMap(_LazyPairs):
    """outer index → NameMap (function → locals or labels, type → fields): ``indices`` and
    ``maps``; read whole on first use."""

    __slots__ = ()
    kind = "indirect name map"

    def _read_pairs(self, r: Reader, what: str):
        # an entry is at least an index byte and a count byte
        n = r.count(what, 2)
        indices = array("I")
        maps = []
        for _ in range(n):
            indices.append(r.u32(f"{what} index"))
            maps.append(NameMap._read(r, what))
        return indices, maps

    @property
    def maps(self) -> list[NameMap]:
        return self._loaded_values()

    def get(self, index: int) -> NameMap | None:
        for i, m in zip(self.indices, self.maps):
            if i == index:
                return m
        return None

    def _encode_value(self, out: bytearray, m: NameMap) -> None:
        m.encode_into(out)


class NameSubsection:
    """One subsection: ``id``, ``value`` (str for the module name, NameMap, IndirectNameMap, or
    bytes for an unknown id) and ``size_width``, the byte width its size had (0: minimal)."""

    __slots__ = ("id", "value", "size_width")

    def __init__(self, id: int, value, size_width: int = 0):
        self.id = id
        self.value = value
        self.size_width = size_width

    def __eq__(self, other) -> bool:
        if not isinstance(other, NameSubsection):
            return NotImplemented
        return (self.id, self.value, self.size_width) == (other.id, other.value, other.size_width)

    def __repr__(self) -> str:
        return f"NameSubsection({self.id}, {self.value!r}, size_width={self.size_width})"


def _subsection(id: int, doc: str):
    def get(self):
        for s in self.subsections:
            if s.id == id:
                return s.value
        return None
    return property(get, doc=doc)


class NameSection:
    """The subsections in file order. The ``*_names`` properties give the first subsection of
    each kind (None if absent); the spec allows each at most once."""

    __slots__ = ("subsections",)

    def __init__(self, subsections: list[NameSubsection] | None = None):
        self.subsections = [] if subsections is None else subsections

    module_name = _subsection(MODULE, "str | None")
    function_names = _subsection(FUNCTION, "NameMap | None")
    local_names = _subsection(LOCAL, "IndirectNameMap | None: function → local → name")
    label_names = _subsection(LABEL, "IndirectNameMap | None: function → label → name")
    type_names = _subsection(TYPE, "NameMap | None")
    table_names = _subsection(TABLE, "NameMap | None")
    memory_names = _subsection(MEMORY, "NameMap | None")
    global_names = _subsection(GLOBAL, "NameMap | None")
    elem_segment_names = _subsection(ELEM_SEGMENT, "NameMap | None")
    data_segment_names = _subsection(DATA_SEGMENT, "NameMap | None")
    field_names = _subsection(FIELD, "IndirectNameMap | None: type → field → name")
    tag_names = _subsection(TAG, "NameMap | None")

    def load_all(self) -> None:
        """Read every map now (validation, or before the input is unmapped)."""
        for s in self.subsections:
            if isinstance(s.value, NameMap):
                s.value.indices
            elif isinstance(s.value, IndirectNameMap):
                s.value.indices

    def __eq__(self, other) -> bool:
        if not isinstance(other, NameSection):
            return NotImplemented
        return self.subsections == other.subsections

    def __repr__(self) -> str:
        return f"NameSection({self.subsections!r})"


def decode_names(data, payload_offset: int, payload_size: int) -> NameSection:
    """Split the payload of a "name" section (the bytes after the section's own name) into its
    subsections; the maps in them are read on first use."""
    r = Reader(data, payload_offset, payload_offset + payload_size, CONTEXT)
    subsections = []
    while not r.at_end():
        id = r.byte("name subsection id")
        what = SUBSECTION_NAMES.get(id, f"name subsection {id}")
        size_at = r.pos
        size, width = r.u32_width(f"{what} subsection size")
        if size > r.end - r.pos:
            raise r.error(f"{what} subsection size {size} runs past the end of the section "
                          f"({r.end - r.pos} bytes left)", size_at)
        start, end = r.pos, r.pos + size
        r.pos = end
        if id == MODULE:
            sub = Reader(data, start, end, CONTEXT)
            value = sub.name("module name")
            sub.expect_end("module name subsection")
        elif id in INDIRECT_SUBSECTIONS:
            value = IndirectNameMap._lazy(data, start, end, what)
        elif id in SUBSECTION_NAMES:
            value = NameMap._lazy(data, start, end, what)
        else:
            value = bytes(data[start:end])
        subsections.append(NameSubsection(id, value, padded_width(size, width)))
    return NameSection(subsections)


def encode_names(section: NameSection) -> bytes:
    """The payload of a "name" section (without the section's own name)."""
    out = bytearray()
    body = bytearray()
    for s in section.subsections:
        body.clear()
        if isinstance(s.value, str):
            append_name(body, s.value)
        elif isinstance(s.value, (NameMap, IndirectNameMap)):
            s.value.encode_into(body)
        else:
            body += s.value
        out.append(s.id)
        out += encode_u32(len(body), s.size_width)
        out += body
    return bytes(out)
