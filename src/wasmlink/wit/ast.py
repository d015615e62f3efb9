"""The syntax tree of a WIT file, as the parser builds it; no names are resolved here.

Types are one small class, :class:`Ty`, tagged by ``kind`` (``u32``, ``name``, ``list``,
``record``, ...) so the resolver can walk them with one ``match``. Every node that can be named in
an error carries a :class:`~wasmlink.wit.lexer.Span`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .lexer import Span


@dataclass
class Id:
    name: str
    span: Span


@dataclass
class Attr:
    kind: str               # 'since' | 'unstable' | 'deprecated' | 'external-id'
    value: str              # version, feature name or string
    span: Span


@dataclass
class PackageName:
    namespace: str
    name: str
    version: str | None
    span: Span

    def __str__(self) -> str:
        v = f"@{self.version}" if self.version else ""
        return f"{self.namespace}:{self.name}{v}"


@dataclass
class UsePath:
    name: Id                        # the interface or world
    package: PackageName | None     # None: in this package (or a top-level `use` alias)


@dataclass
class Ty:
    kind: str
    span: Span
    name: Id | None = None          # 'name', 'own', 'borrow'
    args: list = field(default_factory=list)   # element types; None for a missing ok/err
    size: int | None = None         # fixed-size list
    cases: list = field(default_factory=list)  # record/variant/enum/flags members
    funcs: list = field(default_factory=list)  # resource functions


@dataclass
class Member:
    """A record field, variant/enum case or flag."""
    name: Id
    ty: Ty | None
    docs: list[str]


@dataclass
class Func:
    params: list[tuple[Id, Ty]]
    result: Ty | None
    is_async: bool
    span: Span


@dataclass
class NamedFunc:
    name: Id
    func: Func
    docs: list[str]
    attrs: list[Attr]
    kind: str = "freestanding"      # in a resource: 'method' | 'static' | 'constructor'


@dataclass
class TypeDef:
    name: Id
    ty: Ty
    docs: list[str]
    attrs: list[Attr]


@dataclass
class UseName:
    name: Id
    as_: Id | None


@dataclass
class Use:
    path: UsePath
    names: list[UseName]
    docs: list[str]
    attrs: list[Attr]
    span: Span


@dataclass
class TopUse:
    path: UsePath
    as_: Id | None
    attrs: list[Attr]
    span: Span

    @property
    def local_name(self) -> Id:
        return self.as_ or self.path.name


@dataclass
class Interface:
    name: Id
    items: list             # Use | TypeDef | NamedFunc
    docs: list[str]
    attrs: list[Attr]


@dataclass
class Extern:
    """The target of a world `import`/`export`."""
    kind: str               # 'interface' (inline), 'path', 'func', 'implements'
    name: Id | None         # the plain name; None for 'path'
    path: UsePath | None = None
    items: list | None = None
    func: Func | None = None
    span: Span | None = None


@dataclass
class ImportExport:
    direction: str          # 'import' | 'export'
    extern: Extern
    docs: list[str]
    attrs: list[Attr]


@dataclass
class Include:
    path: UsePath
    names: list[tuple[Id, Id]]
    docs: list[str]
    attrs: list[Attr]
    span: Span


@dataclass
class World:
    name: Id
    items: list             # ImportExport | Use | TypeDef | Include
    docs: list[str]
    attrs: list[Attr]


@dataclass
class PackageDecl:
    name: PackageName
    docs: list[str]


@dataclass
class DeclList:
    """The items of one file (or of one nested `package x:y { ... }` block)."""
    items: list             # Interface | World | TopUse
    source: object = None


@dataclass
class NestedPackage:
    decl: PackageDecl
    decls: DeclList


@dataclass
class File:
    package: PackageDecl | None
    decls: DeclList
    nested: list[NestedPackage]
