"""The decoded form of a component: what decode.py produces and encode.py consumes.

A component is an ordered list of sections, and the order is meaningful (every definition
appends to an index space, and later sections refer to earlier indexes), so the model keeps the
list as decoded rather than grouping by kind. Each section holds its items as named tuples that
mirror the productions of Binary.md one for one; names and opcodes stay the spec's.

What is *not* decoded: nested core modules (kept as a window into the input, never copied:
they are the bulk of a real component and the core-module view in binary/ reads them on
demand), custom section payloads, and the payload of 🪙 value definitions (a `val(t)` cannot be
read without resolving `t`, and its length prefix lets us carry it as bytes).

Representation choices, for readers of the rest of the package:

- sorts are strings: ``"func"``, ``"value"``, ``"type"``, ``"component"``, ``"instance"`` and
  ``"core func"``, ``"core table"``, ... ``"core module"``, ``"core instance"``;
- a value type (``valtype``) is an ``int`` (a type index) or a ``str`` (a primitive: ``"u32"``,
  ``"string"``, ``"error-context"``...);
- core value types are the ints and RefTypes of ``binary.types`` (shared with core modules);
- the few encodings that the grammar allows two ways are recorded where they occur (the
  ``nameattributes`` prefix byte, the explicit ``0x4f`` form of a final core subtype) so that
  decode → encode is byte-identical; section sizes and counts record a non-minimal LEB128 width
  the same way core sections do (0 means minimal).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..binary.types import FuncType as CoreFuncType  # noqa: F401  (re-exported: core func types)
from ..binary.types import Import as CoreImport      # noqa: F401  (module type import decls)

# --- sorts ------------------------------------------------------------------------------------

CORE_SORTS = {0x00: "core func", 0x01: "core table", 0x02: "core memory", 0x03: "core global",
              0x04: "core tag", 0x10: "core type", 0x11: "core module", 0x12: "core instance"}
SORTS = {0x01: "func", 0x02: "value", 0x03: "type", 0x04: "component", 0x05: "instance"}
CORE_SORT_CODES = {name: code for code, name in CORE_SORTS.items()}
SORT_CODES = {name: code for code, name in SORTS.items()}

PRIMITIVES = {0x7F: "bool", 0x7E: "s8", 0x7D: "u8", 0x7C: "s16", 0x7B: "u16", 0x7A: "s32",
              0x79: "u32", 0x78: "s64", 0x77: "u64", 0x76: "f32", 0x75: "f64", 0x74: "char",
              0x73: "string", 0x64: "error-context"}
PRIMITIVE_CODES = {name: code for code, name in PRIMITIVES.items()}

STRING_ENCODINGS = {0x00: "utf8", 0x01: "utf16", 0x02: "latin1+utf16"}


class SortIdx(NamedTuple):
    sort: str
    index: int


# --- core instances (section 2) -----------------------------------------------------------------

class CoreInstantiateArg(NamedTuple):
    name: str
    instance: int            # the only sort Binary.md allows here (0x12)


class CoreInstantiate(NamedTuple):
    module: int
    args: tuple              # CoreInstantiateArg


class CoreInlineExport(NamedTuple):
    name: str
    sort: str                # a core sort
    index: int


class CoreInlineExports(NamedTuple):
    exports: tuple           # CoreInlineExport


# --- core types (section 3, and inside module types) ---------------------------------------------

class CoreFieldType(NamedTuple):
    storage: object          # a core valtype, or "i8" / "i16" (packed)
    mutable: bool


class CoreStructType(NamedTuple):
    fields: tuple            # CoreFieldType


class CoreArrayType(NamedTuple):
    field: CoreFieldType


class CoreSubType(NamedTuple):
    """``sub final? supertypes comptype``: only decoded when not the plain-comptype shorthand."""
    final: bool
    supertypes: tuple        # type indexes
    comptype: object         # CoreFuncType, CoreStructType or CoreArrayType


class CoreRecGroup(NamedTuple):
    types: tuple             # comptypes or CoreSubTypes


class CoreOuterAlias(NamedTuple):
    """``(alias outer ct idx (type))`` in a module type: the only core alias there is."""
    count: int
    index: int


class CoreExportDecl(NamedTuple):
    name: str
    kind: int                # the core externtype kind (0 func ... 4 tag), as binary.types
    desc: object             # type index, TableType, MemoryType, GlobalType or TagType


class ModuleType(NamedTuple):
    decls: tuple             # CoreImport, core types, CoreOuterAlias, CoreExportDecl


# --- instances (section 5) ---------------------------------------------------------------------

class InstantiateArg(NamedTuple):
    name: str
    item: SortIdx


class Instantiate(NamedTuple):
    component: int
    args: tuple              # InstantiateArg


class InlineExport(NamedTuple):
    name: str
    item: SortIdx
    name_form: int = 0       # the nameattributes prefix (0x00 / 0x01 / 0x02)
    attributes: tuple = ()


class InlineExports(NamedTuple):
    exports: tuple           # InlineExport


# --- aliases (section 6, and declarators) --------------------------------------------------------

class AliasExport(NamedTuple):
    sort: str
    instance: int
    name: str


class AliasCoreExport(NamedTuple):
    sort: str
    instance: int
    name: str


class AliasOuter(NamedTuple):
    sort: str
    count: int
    index: int


# --- defined value types (section 7) ------------------------------------------------------------

class PrimitiveType(NamedTuple):
    name: str                # "bool", "u32", "string", "error-context", ...


class Field(NamedTuple):
    label: str
    type: object             # valtype


class RecordType(NamedTuple):
    fields: tuple            # Field


class Case(NamedTuple):
    label: str
    type: object = None      # valtype or None


class VariantType(NamedTuple):
    cases: tuple             # Case


class ListType(NamedTuple):
    element: object


class FixedListType(NamedTuple):
    element: object
    length: int


class TupleType(NamedTuple):
    types: tuple


class FlagsType(NamedTuple):
    labels: tuple


class EnumType(NamedTuple):
    labels: tuple


class OptionType(NamedTuple):
    type: object


class ResultType(NamedTuple):
    ok: object = None
    error: object = None


class OwnType(NamedTuple):
    resource: int


class BorrowType(NamedTuple):
    resource: int


class StreamType(NamedTuple):
    element: object = None


class FutureType(NamedTuple):
    element: object = None


class MapType(NamedTuple):
    key: object
    value: object


class FuncType(NamedTuple):
    params: tuple            # Field (label, valtype)
    result: object = None    # valtype or None (the 0x01 0x00 form)
    is_async: bool = False   # 0x43 instead of 0x40


class ResourceType(NamedTuple):
    rep: object              # a core valtype (i32 today)
    dtor: int | None = None  # a core function index


# --- component and instance types: declarators ----------------------------------------------------

class ExternType(NamedTuple):
    """An ``externtype``: what an import, an export or a declarator has.

    ``kind`` is "module", "func", "value", "type", "component" or "instance"; ``index`` the type
    index (the core type index for module), or for "value" a valtype. For "type", ``bound`` is
    "eq" (``index`` set) or "sub resource" (``index`` None)."""
    kind: str
    index: object = None
    bound: str | None = None


class ImportDecl(NamedTuple):
    name: str
    type: ExternType
    name_form: int = 0
    attributes: tuple = ()


class ExportDecl(NamedTuple):
    name: str
    type: ExternType
    name_form: int = 0
    attributes: tuple = ()


class CoreTypeDecl(NamedTuple):
    """A ``core:type`` declarator of an instance or component type (0x00)."""
    type: object


class ComponentType(NamedTuple):
    decls: tuple             # ImportDecl, CoreTypeDecl, type definitions, aliases, ExportDecl


class InstanceType(NamedTuple):
    decls: tuple             # CoreTypeDecl, type definitions, aliases, ExportDecl


# --- name attributes (the 0x02 form of nameattributes) --------------------------------------------

class Implements(NamedTuple):
    interface: str


class VersionSuffix(NamedTuple):
    suffix: str


class ExternalId(NamedTuple):
    name: str


# --- canonical definitions (section 8) ------------------------------------------------------------

# canonopt codes that carry an index; 0x08 (core-type) and 0x09 (gc) are wasm-tools extensions
# that Binary.md does not list (yet)
OPTION_NAMES = {0x00: "string-encoding=utf8", 0x01: "string-encoding=utf16",
                0x02: "string-encoding=latin1+utf16", 0x03: "memory", 0x04: "realloc",
                0x05: "post-return", 0x06: "async", 0x07: "callback", 0x08: "core-type",
                0x09: "gc"}
INDEXED_OPTIONS = frozenset((0x03, 0x04, 0x05, 0x07, 0x08))


class CanonOpt(NamedTuple):
    code: int                # 0x00..0x07 as in Binary.md (0x08, 0x09: see OPTION_NAMES)
    index: int | None = None # memory / realloc / post-return / callback index


class CanonOptions(NamedTuple):
    """The options of a canonical definition, in their order (validation rejects duplicates,
    decoding keeps whatever is there)."""
    items: tuple = ()

    def _find(self, code: int):
        for o in self.items:
            if o.code == code:
                return o
        return None

    @property
    def string_encoding(self) -> str:
        for o in self.items:
            if o.code in STRING_ENCODINGS:
                return STRING_ENCODINGS[o.code]
        return "utf8"

    @property
    def memory(self) -> int | None:
        o = self._find(0x03)
        return o.index if o else None

    @property
    def realloc(self) -> int | None:
        o = self._find(0x04)
        return o.index if o else None

    @property
    def post_return(self) -> int | None:
        o = self._find(0x05)
        return o.index if o else None

    @property
    def is_async(self) -> bool:
        return self._find(0x06) is not None

    @property
    def callback(self) -> int | None:
        o = self._find(0x07)
        return o.index if o else None

    @property
    def core_type(self) -> int | None:
        o = self._find(0x08)
        return o.index if o else None


class Lift(NamedTuple):
    core_func: int
    options: CanonOptions
    type: int


class Lower(NamedTuple):
    func: int
    options: CanonOptions


class ResourceNew(NamedTuple):
    resource: int


class ResourceDrop(NamedTuple):
    resource: int


class ResourceRep(NamedTuple):
    resource: int


# The other built-ins, by opcode: name and the immediates in grammar order. Immediate kinds:
# "typeidx" / "core:typeidx" / "core:tableidx" / "core:memoryidx" / "u32" (a u32), "opts"
# (CanonOptions), "resultlist" (valtype or None), "core:valtype", and the flag bytes "async?",
# "cancel?" and "sh?" (bool).
BUILTINS = {
    0x24: ("backpressure.inc", ()),
    0x25: ("backpressure.dec", ()),
    0x09: ("task.return", ("resultlist", "opts")),
    0x05: ("task.cancel", ()),
    0x0A: ("context.get", ("core:valtype", "u32")),
    0x0B: ("context.set", ("core:valtype", "u32")),
    0x06: ("subtask.cancel", ("async?",)),
    0x0D: ("subtask.drop", ()),
    0x0E: ("stream.new", ("typeidx",)),
    0x0F: ("stream.read", ("typeidx", "opts")),
    0x10: ("stream.write", ("typeidx", "opts")),
    0x11: ("stream.cancel-read", ("typeidx", "async?")),
    0x12: ("stream.cancel-write", ("typeidx", "async?")),
    0x13: ("stream.drop-readable", ("typeidx",)),
    0x14: ("stream.drop-writable", ("typeidx",)),
    0x15: ("future.new", ("typeidx",)),
    0x16: ("future.read", ("typeidx", "opts")),
    0x17: ("future.write", ("typeidx", "opts")),
    0x18: ("future.cancel-read", ("typeidx", "async?")),
    0x19: ("future.cancel-write", ("typeidx", "async?")),
    0x1A: ("future.drop-readable", ("typeidx",)),
    0x1B: ("future.drop-writable", ("typeidx",)),
    0x1C: ("error-context.new", ("opts",)),
    0x1D: ("error-context.debug-message", ("opts",)),
    0x1E: ("error-context.drop", ()),
    0x1F: ("waitable-set.new", ()),
    0x20: ("waitable-set.wait", ("cancel?", "core:memoryidx")),
    0x21: ("waitable-set.poll", ("cancel?", "core:memoryidx")),
    0x22: ("waitable-set.drop", ()),
    0x23: ("waitable.join", ()),
    0x26: ("thread.index", ()),
    0x27: ("thread.new-indirect", ("core:typeidx", "core:tableidx")),
    0x28: ("thread.resume-later", ()),
    0x29: ("thread.suspend", ("cancel?",)),
    0x0C: ("thread.yield", ("cancel?",)),
    0x2A: ("thread.suspend-then-resume", ("cancel?",)),
    0x2B: ("thread.yield-then-resume", ("cancel?",)),
    0x2C: ("thread.suspend-then-promote", ("cancel?",)),
    0x2D: ("thread.yield-then-promote", ("cancel?",)),
    # 🧵② Binary.md gives these three a leading `shared?` byte; wasm-tools (wasm-encoder and
    # wasmparser, hence wat2wasm and Wasmtime) writes and reads them without it. We follow the
    # tools: the Binary.md form could not be told apart in a byte stream.
    0x40: ("thread.spawn-ref", ("core:typeidx",)),
    0x41: ("thread.spawn-indirect", ("core:typeidx", "core:tableidx")),
    0x42: ("thread.available-parallelism", ()),
    # not in Binary.md, but written by wasm-tools (`stream.forward` / `future.forward`)
    0x2E: ("stream.forward", ("typeidx",)),
    0x2F: ("future.forward", ("typeidx",)),
}
BUILTIN_OPCODES = {name: op for op, (name, _) in BUILTINS.items()}


class CanonBuiltin(NamedTuple):
    """Any canonical built-in other than lift/lower/resource.*: its opcode and immediates."""
    opcode: int
    immediates: tuple = ()

    @property
    def name(self) -> str:
        return BUILTINS[self.opcode][0]

    @property
    def options(self) -> CanonOptions | None:
        for imm in self.immediates:
            if isinstance(imm, CanonOptions):
                return imm
        return None


# --- start, imports, exports (sections 9-12) ------------------------------------------------------

class Start(NamedTuple):
    func: int
    args: tuple              # value indexes
    results: int


class Import(NamedTuple):
    name: str
    type: ExternType
    name_form: int = 0
    attributes: tuple = ()


class Export(NamedTuple):
    name: str
    item: SortIdx
    type: ExternType | None = None
    name_form: int = 0
    attributes: tuple = ()


class Value(NamedTuple):
    """🪙 A value definition: its type, and its ``val(t)`` bytes undecoded."""
    type: object             # valtype
    payload: bytes


# --- sections ----------------------------------------------------------------------------------

class CustomSection(NamedTuple):
    name: str
    payload: object          # memoryview into the input (or bytes when built)
    size_width: int = 0
    id = 0


class CoreModuleSection(NamedTuple):
    """A nested core module, undecoded: ``data`` is the whole module (its \\0asm header on)."""
    data: object             # memoryview into the input (or bytes when built)
    offset: int = 0          # file-absolute start of the module in the decoded input
    size_width: int = 0
    id = 1


class CoreInstanceSection(NamedTuple):
    items: tuple
    size_width: int = 0
    count_width: int = 0
    id = 2


class CoreTypeSection(NamedTuple):
    items: tuple
    size_width: int = 0
    count_width: int = 0
    id = 3


class ComponentSection(NamedTuple):
    component: "Component"
    size_width: int = 0
    id = 4


class InstanceSection(NamedTuple):
    items: tuple
    size_width: int = 0
    count_width: int = 0
    id = 5


class AliasSection(NamedTuple):
    items: tuple
    size_width: int = 0
    count_width: int = 0
    id = 6


class TypeSection(NamedTuple):
    items: tuple
    size_width: int = 0
    count_width: int = 0
    id = 7


class CanonSection(NamedTuple):
    items: tuple
    size_width: int = 0
    count_width: int = 0
    id = 8


class StartSection(NamedTuple):
    start: Start
    size_width: int = 0
    id = 9


class ImportSection(NamedTuple):
    items: tuple
    size_width: int = 0
    count_width: int = 0
    id = 10


class ExportSection(NamedTuple):
    items: tuple
    size_width: int = 0
    count_width: int = 0
    id = 11


class ValueSection(NamedTuple):
    items: tuple
    size_width: int = 0
    count_width: int = 0
    id = 12


VEC_SECTIONS = {cls.id: cls for cls in (
    CoreInstanceSection, CoreTypeSection, InstanceSection, AliasSection, TypeSection,
    CanonSection, ImportSection, ExportSection, ValueSection)}

SECTION_NAMES = {0: "custom", 1: "core module", 2: "core instance", 3: "core type",
                 4: "component", 5: "instance", 6: "alias", 7: "type", 8: "canon", 9: "start",
                 10: "import", 11: "export", 12: "value"}


@dataclass(frozen=True, slots=True)
class Component:
    """A decoded component: its sections in order. Nested components are Components too."""
    sections: tuple
    offset: int = 0          # file-absolute start of its \\0asm header in the decoded input

    def items(self, section_type) -> list:
        """Every item of the sections of one kind (``ImportSection``, ``CanonSection``...)."""
        return [item for s in self.sections if isinstance(s, section_type) for item in s.items]

    @property
    def imports(self) -> list:
        return self.items(ImportSection)

    @property
    def exports(self) -> list:
        return self.items(ExportSection)

    @property
    def canons(self) -> list:
        return self.items(CanonSection)

    @property
    def types(self) -> list:
        return self.items(TypeSection)

    @property
    def modules(self) -> list:
        """The nested core module sections (this component's own, not its children's)."""
        return [s for s in self.sections if isinstance(s, CoreModuleSection)]

    @property
    def components(self) -> list:
        """The nested components (this component's own, not its children's)."""
        return [s.component for s in self.sections if isinstance(s, ComponentSection)]

    def custom_sections(self, name: str | None = None) -> list:
        return [s for s in self.sections
                if isinstance(s, CustomSection) and (name is None or s.name == name)]
