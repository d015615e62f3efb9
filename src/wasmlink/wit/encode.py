"""A resolved WIT world as a component type: what `component-type` custom sections hold.

The world becomes a component type whose declarators import and export what the world does,
wrapped the way wit-component wraps it so that every tool reads it back:

    (component
      (@custom "wit-component-encoding" "\\04\\00")    ;; version 4, string encoding
      (type (component                                ;; the wrapper
        (type (component ...the world...))
        (export "ns:pkg/world@1.0.0" (component (type 0)))))
      (export "world" (type 0)))

Inside the world's type, each imported or exported interface is an instance type declared just
before its import/export; its types are defined and exported in the interface's order, then its
functions. A type an interface `use`s from another is reached by an outer alias of the world's
alias of that interface's export; the world itself aliases such types out of the instance that
imports them, on first use. Anonymous types (`list<u8>`, `option<t>`, tuples, handles...) are
defined once per scope, just before their first use. This is the order wit-component writes, so
the section equals `jco embed`'s byte for byte (tests/test_wit_encode.py checks it).
"""
from __future__ import annotations

from ..component import model as cm
from ..component.encode import encode_component
from . import model as wm

ENCODING_SECTION = "wit-component-encoding"
ENCODING_VERSION = 4
STRING_ENCODINGS = {"utf8": 0, "utf16": 1, "compact-utf16": 2}


class _Scope:
    """One component or instance type under construction: its declarators and index spaces."""

    def __init__(self, parent: "_Scope | None" = None):
        self.parent = parent
        self.decls: list = []
        self.types = 0
        self.funcs = 0
        self.instances = 0
        self.named: dict[int, int] = {}      # WIT type id -> type index here
        self.anonymous: dict = {}            # structural key -> type index here
        self.instance_of: dict[int, int] = {}  # interface id -> instance index (world scope)

    def define(self, t) -> int:
        self.decls.append(t)
        self.types += 1
        return self.types - 1

    def declare(self, decl) -> int:
        """An import or export declarator; returns its index in its sort's space."""
        self.decls.append(decl)
        kind = decl.type.kind
        if kind == "type":
            self.types += 1
            return self.types - 1
        if kind == "func":
            self.funcs += 1
            return self.funcs - 1
        if kind == "instance":
            self.instances += 1
            return self.instances - 1
        raise ValueError(kind)

    def alias(self, alias) -> int:
        self.decls.append(alias)
        self.types += 1
        return self.types - 1


class WorldEncoder:
    def __init__(self, resolve, world_id: int):
        self.resolve = resolve
        self.world_id = world_id
        # `component new` imports only what a module uses: when set, interface instance types
        # keep just these functions (interface id -> names) and types (ids)
        self.live_functions: dict[int, set] | None = None
        self.live_types: set | None = None

    # -- value types -------------------------------------------------------------------------
    def valtype(self, scope: _Scope, ty):
        if isinstance(ty, str):
            return ty
        if ty in scope.named:
            return scope.named[ty]
        td = self.resolve.types[ty]
        if td.name is None:
            return self._anonymous(scope, td.kind)
        return self._import_named(scope, ty, td)

    def _import_named(self, scope: _Scope, ty: int, td) -> int:
        """A named type this scope did not define: reached from the enclosing world."""
        if scope.parent is not None:
            outer = self.valtype(scope.parent, ty)
            index = scope.alias(cm.AliasOuter("type", 1, outer))
        else:
            owner_kind, owner = td.owner or (None, None)
            if owner_kind != "interface" or owner not in scope.instance_of:
                raise ValueError(f"type {td.name} is not reachable from the world")
            index = scope.alias(cm.AliasExport("type", scope.instance_of[owner], td.name))
        scope.named[ty] = index
        return index

    def _anonymous(self, scope: _Scope, kind):
        defined = self._defined(scope, kind)
        key = _structural_key(defined)        # (named tuples of equal fields compare equal)
        index = scope.anonymous.get(key)
        if index is None:
            index = scope.anonymous[key] = scope.define(defined)
        return index

    def _defined(self, scope: _Scope, kind):
        v = lambda t: self.valtype(scope, t)              # noqa: E731
        opt = lambda t: None if t is None else v(t)       # noqa: E731
        if isinstance(kind, wm.Record):
            return cm.RecordType(tuple(cm.Field(f.name, v(f.type)) for f in kind.fields))
        if isinstance(kind, wm.Variant):
            return cm.VariantType(tuple(cm.Case(c.name, opt(c.type)) for c in kind.cases))
        if isinstance(kind, wm.Enum):
            return cm.EnumType(tuple(c.name for c in kind.cases))
        if isinstance(kind, wm.Flags):
            return cm.FlagsType(tuple(f.name for f in kind.flags))
        if isinstance(kind, wm.Tuple):
            return cm.TupleType(tuple(v(t) for t in kind.types))
        if isinstance(kind, wm.List):
            return cm.ListType(v(kind.element))
        if isinstance(kind, wm.FixedSizeList):
            return cm.FixedListType(v(kind.element), kind.size)
        if isinstance(kind, wm.Map):
            return cm.MapType(v(kind.key), v(kind.value))
        if isinstance(kind, wm.Option):
            return cm.OptionType(v(kind.type))
        if isinstance(kind, wm.Result):
            return cm.ResultType(opt(kind.ok), opt(kind.err))
        if isinstance(kind, wm.Future):
            return cm.FutureType(opt(kind.type))
        if isinstance(kind, wm.Stream):
            return cm.StreamType(opt(kind.type))
        if isinstance(kind, wm.Handle):
            resource = v(kind.resource)
            return cm.OwnType(resource) if kind.kind == "own" else cm.BorrowType(resource)
        if isinstance(kind, wm.Alias):
            target = v(kind.type)
            return cm.PrimitiveType(target) if isinstance(target, str) else target
        raise ValueError(f"cannot encode a {type(kind).__name__} here")

    # -- named types and functions -------------------------------------------------------------
    def _named_type(self, scope: _Scope, ty: int, make_decl) -> int:
        """Define WIT type ``ty`` in ``scope`` under its name, via an import or export
        declarator ``make_decl(name, externtype)``."""
        td = self.resolve.types[ty]
        if isinstance(td.kind, wm.Resource):
            extern = cm.ExternType("type", None, "sub resource")
        else:
            if isinstance(td.kind, wm.Alias):
                target = self.valtype(scope, td.kind.type)
                if isinstance(target, str):
                    target = scope.define(cm.PrimitiveType(target))
            else:
                target = scope.define(self._defined(scope, td.kind))
            extern = cm.ExternType("type", target, "eq")
        index = scope.declare(make_decl(td.name, extern))
        scope.named[ty] = index
        return index

    def _function(self, scope: _Scope, func) -> int:
        params = tuple(cm.Field(name, self.valtype(scope, t)) for name, t in func.params)
        result = None if func.result is None else self.valtype(scope, func.result)
        is_async = func.kind.startswith("async")
        # function types are shared like anonymous types: one per distinct signature
        functype = cm.FuncType(params, result, is_async)
        key = _structural_key(functype)
        index = scope.anonymous.get(key)
        if index is None:
            index = scope.anonymous[key] = scope.define(functype)
        return index

    def _instance_type(self, world: _Scope, iface_id: int) -> cm.InstanceType:
        iface = self.resolve.interfaces[iface_id]
        scope = _Scope(parent=world)
        for ty in iface.types.values():
            if self.live_types is not None and ty not in self.live_types:
                continue
            self._named_type(scope, ty, cm.ExportDecl)
        # resources' functions first, then freestanding ones: wit-parser's order (it meets a
        # resource's functions while resolving types, the others afterwards)
        functions = sorted(iface.functions.values(), key=lambda f: f.resource is None)
        if self.live_functions is not None:
            live = self.live_functions.get(iface_id, set())
            functions = [f for f in functions if f.name in live]
        for func in functions:
            index = self._function(scope, func)
            scope.declare(cm.ExportDecl(func.name, cm.ExternType("func", index)))
        return cm.InstanceType(tuple(scope.decls))

    def _item(self, world: _Scope, key, item, decl_class) -> None:
        if isinstance(item, wm.WorldInterface):
            instance_type = world.define(self._instance_type(world, item.id))
            extern = cm.ExternType("instance", instance_type)
            iface_name = self.resolve.id_of(item.id)
            if isinstance(key, int):
                decl = decl_class(iface_name, extern)
            elif iface_name is not None:
                # `import b: i;` names a package's interface under another name
                decl = decl_class(key, extern, 2, (cm.Implements(iface_name),))
            else:
                decl = decl_class(key, extern)
            index = world.declare(decl)
            world.instance_of[item.id] = index
        elif isinstance(item, wm.WorldType):
            self._named_type(world, item.id, decl_class)
        elif isinstance(item, wm.WorldFunction):
            index = self._function(world, item.func)
            world.declare(decl_class(item.func.name, cm.ExternType("func", index)))
        else:
            raise ValueError(f"unknown world item {item!r}")

    # -- the whole world -----------------------------------------------------------------------
    def world_type(self) -> cm.ComponentType:
        world = self.resolve.worlds[self.world_id]
        scope = _Scope()
        for key, item in world.imports.items():
            self._item(scope, key, item, cm.ImportDecl)
        for key, item in world.exports.items():
            self._item(scope, key, item, cm.ExportDecl)
        return cm.ComponentType(tuple(scope.decls))

    def qualified_name(self) -> str:
        world = self.resolve.worlds[self.world_id]
        package = self.resolve.packages[world.package]
        return package.name.interface_id(world.name)


def _structural_key(t):
    if isinstance(t, tuple):
        return (type(t).__name__,) + tuple(_structural_key(x) for x in t)
    return t


def world_component(resolve, world_id: int, string_encoding: str = "utf8",
                    producers: bytes | None = None) -> cm.Component:
    """The component (model) that a `component-type` section holds for this world."""
    if string_encoding not in STRING_ENCODINGS:
        raise ValueError(f"unknown string encoding {string_encoding!r}")
    enc = WorldEncoder(resolve, world_id)
    wrapper = cm.ComponentType((enc.world_type(),
                                cm.ExportDecl(enc.qualified_name(), cm.ExternType("component", 0))))
    world = resolve.worlds[world_id]
    sections = [
        cm.CustomSection(ENCODING_SECTION,
                         bytes([ENCODING_VERSION, STRING_ENCODINGS[string_encoding]])),
        cm.TypeSection((wrapper,)),
        cm.ExportSection((cm.Export(world.name, cm.SortIdx("type", 0)),)),
    ]
    if producers is not None:
        sections.append(cm.CustomSection("producers", producers))
    return cm.Component(tuple(sections))


def encode_world(resolve, world_id: int, string_encoding: str = "utf8",
                 producers: bytes | None = None) -> bytes:
    """The payload of a `component-type` custom section for this world."""
    return encode_component(world_component(resolve, world_id, string_encoding, producers))
