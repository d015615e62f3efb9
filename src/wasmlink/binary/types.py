"""The items of a core module's standard sections, as the decoder produces and the encoder takes.

Named tuples (cheap to define at import, hashable, so types can be deduplicated by value),
one per kind of item. Constant expressions (global initialisers, segment
offsets) stay raw bytes, including their ``end``: a linker rewrites them as a whole, and keeping
them raw is what makes decode → encode byte-identical. Large per-function data (code bodies,
data segment contents) are byte ranges into the mapped file, never copies.

Limits and reference/value types keep their encoding bytes (``flags``, the heap-type form) for
the same reason.
"""
from __future__ import annotations

from typing import NamedTuple

# value types (single-byte forms)
I32, I64, F32, F64, V128 = 0x7F, 0x7E, 0x7D, 0x7C, 0x7B
FUNCREF, EXTERNREF = 0x70, 0x6F
VALTYPE_NAMES = {I32: "i32", I64: "i64", F32: "f32", F64: "f64", V128: "v128",
                 FUNCREF: "funcref", EXTERNREF: "externref", 0x6E: "anyref", 0x6D: "eqref",
                 0x6C: "i31ref", 0x6B: "structref", 0x6A: "arrayref", 0x69: "exnref",
                 0x71: "nullref", 0x72: "nullexternref", 0x73: "nullfuncref", 0x74: "nullexnref"}

# external kinds (import/export descriptors)
FUNC, TABLE, MEMORY, GLOBAL, TAG = 0, 1, 2, 3, 4
KIND_NAMES = {FUNC: "func", TABLE: "table", MEMORY: "memory", GLOBAL: "global", TAG: "tag"}


class RefType(NamedTuple):
    """A reference type in its long form: 0x63 (nullable) or 0x64 (non-null) + heap type."""
    nullable: bool
    heap: int          # negative for abstract heap types (as s33), else a type index

    def __str__(self) -> str:
        return f"(ref {'null ' if self.nullable else ''}{self.heap})"


ValType = "int | RefType"


def valtype_name(t) -> str:
    return VALTYPE_NAMES.get(t, f"0x{t:02x}") if isinstance(t, int) else str(t)


class FuncType(NamedTuple):
    params: tuple
    results: tuple

    def __str__(self) -> str:
        return (f"({', '.join(map(valtype_name, self.params))}) -> "
                f"({', '.join(map(valtype_name, self.results))})")


class Limits(NamedTuple):
    flags: int         # bit 0: has max, bit 1: shared, bit 2: 64-bit, bit 3: custom page size
    minimum: int
    maximum: int | None = None
    page_size_log2: int | None = None    # custom-page-sizes: log2 of the page size (flag 8)

    @property
    def shared(self) -> bool:
        return bool(self.flags & 2)

    @property
    def is64(self) -> bool:
        return bool(self.flags & 4)


class TableType(NamedTuple):
    element: object    # ValType (a reference type)
    limits: Limits


class MemoryType(NamedTuple):
    limits: Limits


class GlobalType(NamedTuple):
    valtype: object
    mutable: bool


class TagType(NamedTuple):
    attribute: int     # 0: exception
    type_index: int


class Import(NamedTuple):
    module: str
    name: str
    kind: int
    desc: object       # type index (func), TableType, MemoryType, GlobalType or TagType


class Export(NamedTuple):
    name: str
    kind: int
    index: int


class Global(NamedTuple):
    type: GlobalType
    init: bytes        # constant expression, raw, with its final `end`


class Table(NamedTuple):
    type: TableType
    init: bytes | None = None   # the 0x40 0x00 form with an initialiser expression


class ElementSegment(NamedTuple):
    """The eight encodings of the element section (flags 0..7), decoded to one shape."""
    flags: int
    table: int = 0
    offset: bytes | None = None          # active segments: raw constant expression
    elemkind: int = 0                    # flags 1-3 with function indexes: elemkind byte (0)
    reftype: object = FUNCREF            # flags 4-7: the reference type
    functions: list | None = None        # flags 0-3: function indexes
    exprs: list | None = None            # flags 4-7: raw expressions

    @property
    def mode(self) -> str:
        if self.flags & 1:
            return "declarative" if self.flags & 2 else "passive"
        return "active"

    @property
    def count(self) -> int:
        return len(self.functions if self.functions is not None else self.exprs)


class DataSegment(NamedTuple):
    flags: int                           # 0: active mem 0, 1: passive, 2: active explicit memory
    memory: int = 0
    offset: bytes | None = None          # raw constant expression (active)
    data_offset: int = 0                 # file-absolute start of the bytes
    data_size: int = 0

    @property
    def is_passive(self) -> bool:
        return self.flags == 1


class Encoding:
    """How a section was encoded where that was not minimal, so encode can repeat it."""
    __slots__ = ("size_width", "count_width")

    def __init__(self, size_width: int = 0, count_width: int = 0):
        self.size_width = size_width      # width of the section size LEB (0: minimal)
        self.count_width = count_width    # width of the item count LEB (0: minimal)

    def __repr__(self) -> str:
        return f"Encoding(size_width={self.size_width}, count_width={self.count_width})"
