"""The resolved WIT model: arenas of packages, interfaces, worlds and type definitions.

Shaped after wit-parser's ``Resolve`` so its JSON can be compared field for field, and kept
plain for the code that follows (Canonical ABI layout, component-type encoding):

* a :data:`Type` is either a primitive name (``"u32"``, ``"string"``, ``"error-context"``) or an
  ``int``, the index of a :class:`TypeDef` in ``Resolve.types``;
* a :class:`TypeDef` has a ``kind`` that is one of the small classes below, a ``name`` (None for
  anonymous types such as ``list<u8>``) and an ``owner`` (``("interface", id)``,
  ``("world", id)`` or None);
* world imports/exports are ordered dicts keyed by a plain name (``str``) or by an interface id
  (``int``), valued by :class:`WorldInterface`, :class:`WorldFunction` or :class:`WorldType`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

Type = Union[str, int]
WorldKey = Union[str, int]


# -- stability -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stable:
    since: str
    deprecated: str | None = None


@dataclass(frozen=True)
class Unstable:
    feature: str
    deprecated: str | None = None


Stability = Union[Stable, Unstable, None]


# -- type definition kinds -------------------------------------------------------------------

@dataclass
class Field:
    name: str
    type: Type
    docs: str | None = None


@dataclass
class Case:
    name: str
    type: Type | None
    docs: str | None = None


@dataclass
class EnumCase:
    name: str
    docs: str | None = None


@dataclass
class Flag:
    name: str
    docs: str | None = None


@dataclass
class Alias:            # `type a = b;` and `use` (JSON "type")
    type: Type


@dataclass
class Record:
    fields: list[Field]


@dataclass
class Variant:
    cases: list[Case]


@dataclass
class Enum:
    cases: list[EnumCase]


@dataclass
class Flags:
    flags: list[Flag]


@dataclass
class Tuple:
    types: list[Type]


@dataclass
class List:
    element: Type


@dataclass
class FixedSizeList:
    element: Type
    size: int


@dataclass
class Map:
    key: Type
    value: Type


@dataclass
class Option:
    type: Type


@dataclass
class Result:
    ok: Type | None
    err: Type | None


@dataclass
class Future:
    type: Type | None


@dataclass
class Stream:
    type: Type | None


@dataclass
class Handle:
    kind: str           # 'own' | 'borrow'
    resource: int


@dataclass
class Resource:
    pass


@dataclass
class Unknown:          # a type `use`d from a foreign package, not yet looked up
    pass


@dataclass
class TypeDef:
    kind: object
    name: str | None = None
    owner: tuple | None = None
    docs: str | None = None
    stability: Stability = None


# -- functions, interfaces, worlds, packages -------------------------------------------------

@dataclass
class Function:
    name: str
    kind: str           # freestanding, async-freestanding, method, async-method, static,
                        # async-static, constructor
    params: list[tuple[str, Type]]
    result: Type | None = None
    resource: int | None = None
    docs: str | None = None
    stability: Stability = None

    @property
    def item_name(self) -> str:
        """The name as written in WIT: `m` for `[method]r.m`, `r` for `[constructor]r`."""
        if self.name.startswith("["):
            rest = self.name.split("]", 1)[1]
            return rest.split(".", 1)[1] if "." in rest else rest
        return self.name


@dataclass
class Interface:
    name: str | None
    types: dict[str, int] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    docs: str | None = None
    stability: Stability = None
    package: int | None = None


@dataclass
class WorldInterface:
    id: int
    stability: Stability = None
    docs: str | None = None         # of the `import x;` statement (not in wit-parser's JSON)


@dataclass
class WorldFunction:
    func: Function


@dataclass
class WorldType:
    id: int


@dataclass
class World:
    name: str
    imports: dict = field(default_factory=dict)
    exports: dict = field(default_factory=dict)
    package: int | None = None
    docs: str | None = None
    stability: Stability = None
    includes: list = field(default_factory=list)        # (stability, world id, names, span)


def _version_key(version: str | None):
    if version is None:
        return (0,)
    core, _, build = version.partition("+")
    core, dash, pre = core.partition("-")
    nums = tuple(int(x) for x in core.split("."))
    if not dash:
        return (1, nums, 1, ())
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (1, nums, 0, parts)


@dataclass(frozen=True)
class PackageName:
    namespace: str
    name: str
    version: str | None = None

    def __str__(self) -> str:
        v = f"@{self.version}" if self.version else ""
        return f"{self.namespace}:{self.name}{v}"

    def sort_key(self):
        return (self.namespace, self.name, _version_key(self.version))

    def interface_id(self, interface: str) -> str:
        v = f"@{self.version}" if self.version else ""
        return f"{self.namespace}:{self.name}/{interface}{v}"


@dataclass
class Package:
    name: PackageName
    docs: str | None = None
    interfaces: dict[str, int] = field(default_factory=dict)
    worlds: dict[str, int] = field(default_factory=dict)
