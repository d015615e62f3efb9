"""The items of a core module's standard sections, as the decoder produces and the encoder takes.

Plain slotted classes, one per kind of item. Constant expressions (global initialisers, segment
offsets) stay raw bytes, including their ``end``: a linker rewrites them as a whole, and keeping
them raw is what makes decode → encode byte-identical. Large per-function data (code bodies,
data segment contents) are byte ranges into the mapped file, never copies.

Limits and reference/value types keep their encoding bytes (``flags``, the heap-type form) for
the same reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass(frozen=True, slots=True)
class RefType:
    """A reference type in its long form: 0x63 (nullable) or 0x64 (non-null) + heap type."""
    nullable: bool
    heap: int          # negative for abstract heap types (as s33), else a type index

    def __str__(self) -> str:
        return f"(ref {'null ' if self.nullable else ''}{self.heap})"


ValType = "int | RefType"


def valtype_name(t) -> str:
    return VALTYPE_NAMES.get(t, f"0x{t:02x}") if isinstance(t, int) else str(t)


@dataclass(frozen=True, slots=True)
class FuncType:
    params: tuple
    results: tuple

    def __str__(self) -> str:
        return (f"({', '.join(map(valtype_name, self.params))}) -> "
                f"({', '.join(map(valtype_name, self.results))})")


@dataclass(frozen=True, slots=True)
class Limits:
    flags: int         # bit 0: has max, bit 1: shared, bit 2: 64-bit indexes
    minimum: int
    maximum: int | None = None

    @property
    def shared(self) -> bool:
        return bool(self.flags & 2)

    @property
    def is64(self) -> bool:
        return bool(self.flags & 4)


@dataclass(frozen=True, slots=True)
class TableType:
    element: object    # ValType (a reference type)
    limits: Limits


@dataclass(frozen=True, slots=True)
class MemoryType:
    limits: Limits


@dataclass(frozen=True, slots=True)
class GlobalType:
    valtype: object
    mutable: bool


@dataclass(frozen=True, slots=True)
class TagType:
    attribute: int     # 0: exception
    type_index: int


@dataclass(frozen=True, slots=True)
class Import:
    module: str
    name: str
    kind: int
    desc: object       # type index (func), TableType, MemoryType, GlobalType or TagType


@dataclass(frozen=True, slots=True)
class Export:
    name: str
    kind: int
    index: int


@dataclass(frozen=True, slots=True)
class Global:
    type: GlobalType
    init: bytes        # constant expression, raw, with its final `end`


@dataclass(frozen=True, slots=True)
class Table:
    type: TableType
    init: bytes | None = None   # the 0x40 0x00 form with an initialiser expression


@dataclass(slots=True)
class ElementSegment:
    """The eight encodings of the element section (flags 0..7), decoded to one shape."""
    flags: int
    table: int = 0
    offset: bytes | None = None          # active segments: raw constant expression
    elemkind: int = 0                    # flags 1-3 with function indexes: elemkind byte (0)
    reftype: object = FUNCREF            # flags 4-7: the reference type
    functions: list[int] | None = None   # flags 0-3: function indexes
    exprs: list[bytes] | None = None     # flags 4-7: raw expressions

    @property
    def mode(self) -> str:
        if self.flags & 1:
            return "declarative" if self.flags & 2 else "passive"
        return "active"

    @property
    def count(self) -> int:
        return len(self.functions if self.functions is not None else self.exprs)


@dataclass(slots=True)
class DataSegment:
    flags: int                           # 0: active mem 0, 1: passive, 2: active explicit memory
    memory: int = 0
    offset: bytes | None = None          # raw constant expression (active)
    data_offset: int = 0                 # file-absolute start of the bytes
    data_size: int = 0

    @property
    def is_passive(self) -> bool:
        return self.flags == 1


@dataclass(slots=True)
class CustomSection:
    name: str
    payload_offset: int                  # file-absolute start of the contents (after the name)
    payload_size: int
    name_width: int = 0                  # LEB width of the name length, when padded


@dataclass(slots=True)
class Encoding:
    """How a section was encoded where that was not minimal, so encode can repeat it."""
    size_width: int = 0                  # width of the section size LEB (0: minimal)
    count_width: int = 0                 # width of the item count LEB (0: minimal)
    extra: dict = field(default_factory=dict)
