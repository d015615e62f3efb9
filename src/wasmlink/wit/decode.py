"""Component types back to WIT: the inverse of encode.py, after wit-parser's ``decoding.rs``.

A component type is an ordered list of declarators, each appending to an index space, so the
decoder is an interpreter over those lists. Every scope (the wrapper component, a world's
component type, an interface's instance type) keeps its type index space as a list of
:class:`_Entry`; an outer alias appends the *same* entry object as the scope it points into, and
an alias of an instance's export appends an entry holding the WIT type id that instance
exported. Type identity therefore falls out of sharing: a type an interface exports is one WIT
type id, wherever it is aliased or ``eq``-bound afterwards.

Definitions are converted lazily, when a declarator first names or uses them:

* ``(export "t" (type (eq i)))`` in an instance type names type ``i``: a definition not yet
  converted becomes the named type itself (and index ``i`` refers to it from then on, as ``eq``
  says); a type that already has an identity (an alias, another export) becomes an ``Alias``
  to it, which is what ``use`` and ``type a = b`` resolve to;
* ``(sub resource)`` declares a fresh resource;
* a definition used as a value type without being named becomes an anonymous TypeDef, interned
  by structure (``list<u8>`` is one id per decode, as the resolver interns per package);
* an instance imported or exported under ``ns:pkg/iface@ver`` becomes (or, the second time,
  reuses) that interface of that package; a plain name with the ``implements`` attribute is
  ``import b: ns:pkg/iface``; any other plain name is an inline ``interface { ... }``.

Two outer layouts hold worlds. The current ``component-type`` payload (encoding version 0x04)
is a component exporting one wrapper type per world; the legacy 0x03 payload prefixes a
version byte, a string-encoding byte and a world name to the WIT *package* encoding, whose
exports are wrappers of interfaces and worlds (their dependencies imported by qualified name).
Both run through the same wrapper decoding. Components (not types) are decoded by
:func:`decode_component_world` from their own imports and exports.
"""
from __future__ import annotations

from ..binary.reader import Reader
from ..component import model as cm
from ..component.decode import decode_component, read_component
from ..errors import ParseError, WasmlinkError
from . import model as wm
from .resolve import Resolve

ENCODING_SECTION = "wit-component-encoding"
CURRENT_VERSION = 0x04
LEGACY_VERSION = 0x03
STRING_ENCODINGS = {0: "utf8", 1: "utf16", 2: "compact-utf16"}
PREFIXES = (                              # name prefix -> (function kind, async kind)
    ("[constructor]", "constructor", "constructor"),
    ("[method]", "method", "async-method"),
    ("[static]", "static", "async-static"),
    ("[async method]", "async-method", "async-method"),
    ("[async static]", "async-static", "async-static"),
    ("[async]", "async-freestanding", "async-freestanding"),
)


class _Entry:
    """One slot of a type index space: a definition (converted on demand) or a WIT type."""

    __slots__ = ("kind", "value", "scope", "wit")

    def __init__(self, kind: str, value=None, scope=None, wit=None):
        self.kind = kind          # "defined" | "wit" | "func" | "instance" | "component" | "other"
        self.value = value        # the component-model definition (not for "wit")
        self.scope = scope        # the scope the definition's indexes refer to
        self.wit = wit            # the WIT type (id or primitive name) once known


class _Scope:
    """A component or instance type being read: its index spaces and what it declares."""

    def __init__(self, parent: "_Scope | None", owner=None, world: int | None = None,
                 reuse: bool = False):
        self.parent = parent
        self.owner = owner          # ("interface", id) | ("world", id) | None (a wrapper)
        self.world = world          # the world whose items this scope's declarators are
        self.reuse = reuse          # an interface met before: map names, add only what is new
        self.types: list[_Entry] = []
        self.instances: list[dict] = []     # instance index -> {export name: item}
        self.components: list = []
        self.funcs: list = []               # func index -> func type _Entry or Function
        self.exported: dict = {}            # name -> WIT type id or Function
        self.results: list = []             # ("world" | "interface", id), for wrappers

    def type_entry(self, index) -> _Entry:
        if not isinstance(index, int) or not 0 <= index < len(self.types):
            raise WasmlinkError(f"type index {index} out of bounds ({len(self.types)} types "
                                f"defined here)")
        return self.types[index]


def split_qualified(name: str):
    """``ns:pkg/iface@1.0.0`` -> (PackageName, "iface"); None for a plain name."""
    if ":" not in name or "/" not in name:
        return None
    namespace, rest = name.split(":", 1)
    package, _, item = rest.partition("/")
    version = None
    if "@" in item:
        item, version = item.split("@", 1)
    if not (namespace and package and item) or "/" in item:
        raise WasmlinkError(f"`{name}` is not an interface or world name of the form "
                            f"ns:pkg/name[@version]")
    return wm.PackageName(namespace, package, version), item


def _key(kind):
    """A hashable structural key for an anonymous kind (nominal kinds are never interned)."""
    if isinstance(kind, (wm.Record, wm.Variant, wm.Enum, wm.Flags, wm.Resource)):
        return None
    return (type(kind).__name__,) + tuple(
        tuple(v) if isinstance(v, list) else v for v in vars(kind).values())


class Decoder:
    """Decodes component types into one :class:`Resolve` (one decoder per result)."""

    def __init__(self, resolve: Resolve | None = None):
        self.resolve = resolve if resolve is not None else Resolve()
        self.anonymous: dict = {}
        self.interface_ids: dict[str, int] = {}
        for iid in range(len(self.resolve.interfaces)):
            qualified = self.resolve.id_of(iid)
            if qualified is not None:
                self.interface_ids[qualified] = iid

    # -- arenas ------------------------------------------------------------------------------
    def package(self, name: wm.PackageName) -> int:
        pid = self.resolve.package_names.get(name)
        if pid is None:
            pid = len(self.resolve.packages)
            self.resolve.packages.append(wm.Package(name))
            self.resolve.package_names[name] = pid
        return pid

    def new_type(self, kind, name=None, owner=None) -> int:
        self.resolve.types.append(wm.TypeDef(kind, name, owner))
        return len(self.resolve.types) - 1

    def interface(self, qualified: str | None, package: int | None) -> tuple[int, bool]:
        """The interface named ``qualified`` (created if new; True if it existed), or a fresh
        inline interface of ``package``."""
        if qualified is not None and qualified in self.interface_ids:
            return self.interface_ids[qualified], True
        if qualified is not None:
            pkg_name, name = split_qualified(qualified)
            package = self.package(pkg_name)
        else:
            name = None
        iid = len(self.resolve.interfaces)
        self.resolve.interfaces.append(wm.Interface(name, package=package))
        if qualified is not None:
            self.resolve.packages[package].interfaces[name] = iid
            self.interface_ids[qualified] = iid
        return iid, False

    # -- value types -------------------------------------------------------------------------
    def valtype(self, scope: _Scope, ty):
        if isinstance(ty, str):
            return ty
        return self.entry_type(scope.type_entry(ty), ty)

    def entry_type(self, entry: _Entry, index=None):
        """The WIT type of a type index space entry, converting a definition on first use."""
        if entry.wit is not None:
            return entry.wit
        if entry.kind == "alias":               # a component's type export, not yet named
            return self.entry_type(entry.value, index)
        if entry.kind != "defined":
            raise WasmlinkError(f"type index {index} is a {entry.kind} type, not a value type")
        if isinstance(entry.value, cm.PrimitiveType):
            entry.wit = entry.value.name
            return entry.wit
        entry.wit = self.anonymous_type(self.kind(entry.scope, entry.value))
        return entry.wit

    def anonymous_type(self, kind) -> int:
        key = _key(kind)
        if key is not None and key in self.anonymous:
            return self.anonymous[key]
        tid = self.new_type(kind)
        if key is not None:
            self.anonymous[key] = tid
        return tid

    def resource(self, scope: _Scope, index) -> int:
        tid = self.valtype(scope, index)
        target = tid
        while isinstance(target, int) and isinstance(self.resolve.types[target].kind, wm.Alias):
            target = self.resolve.types[target].kind.type
        if not isinstance(target, int) or not isinstance(self.resolve.types[target].kind,
                                                         wm.Resource):
            raise WasmlinkError(f"type index {index} is not a resource: it cannot have a handle")
        return tid

    def kind(self, scope: _Scope, t):
        v = lambda x: self.valtype(scope, x)                # noqa: E731
        opt = lambda x: None if x is None else v(x)         # noqa: E731
        if isinstance(t, cm.RecordType):
            return wm.Record([wm.Field(f.label, v(f.type)) for f in t.fields])
        if isinstance(t, cm.VariantType):
            return wm.Variant([wm.Case(c.label, opt(c.type)) for c in t.cases])
        if isinstance(t, cm.EnumType):
            return wm.Enum([wm.EnumCase(label) for label in t.labels])
        if isinstance(t, cm.FlagsType):
            return wm.Flags([wm.Flag(label) for label in t.labels])
        if isinstance(t, cm.TupleType):
            return wm.Tuple([v(x) for x in t.types])
        if isinstance(t, cm.ListType):
            return wm.List(v(t.element))
        if isinstance(t, cm.FixedListType):
            return wm.FixedSizeList(v(t.element), t.length)
        if isinstance(t, cm.MapType):
            return wm.Map(v(t.key), v(t.value))
        if isinstance(t, cm.OptionType):
            return wm.Option(v(t.type))
        if isinstance(t, cm.ResultType):
            return wm.Result(opt(t.ok), opt(t.error))
        if isinstance(t, cm.FutureType):
            return wm.Future(opt(t.element))
        if isinstance(t, cm.StreamType):
            return wm.Stream(opt(t.element))
        if isinstance(t, cm.OwnType):
            return wm.Handle("own", self.resource(scope, t.resource))
        if isinstance(t, cm.BorrowType):
            return wm.Handle("borrow", self.resource(scope, t.resource))
        if isinstance(t, cm.ResourceType):
            return wm.Resource()
        if isinstance(t, cm.PrimitiveType):
            return wm.Alias(t.name)
        raise WasmlinkError(f"{type(t).__name__} is not a WIT value type")

    # -- named things ------------------------------------------------------------------------
    def owner_types(self, scope: _Scope) -> dict:
        """name -> type id of what the scope's owner already has (for reuse and resources)."""
        kind, oid = scope.owner
        if kind == "interface":
            return self.resolve.interfaces[oid].types
        world = self.resolve.worlds[oid]
        return {k: item.id for k, item in world.imports.items()
                if isinstance(item, wm.WorldType)}

    def named_type(self, scope: _Scope, name: str, extern: cm.ExternType, is_import: bool):
        if scope.owner is None:
            raise WasmlinkError(f"type `{name}` is declared outside any interface or world")
        existing = self.owner_types(scope).get(name)
        if extern.bound == "sub resource":
            tid = existing if existing is not None and scope.reuse else None
            if tid is None:
                tid = self.new_type(wm.Resource(), name, scope.owner)
        else:
            entry = scope.type_entry(extern.index)
            if existing is not None and scope.reuse:
                tid = existing
                if entry.kind == "defined" and entry.wit is None:
                    entry.wit = tid
            else:
                tid = self.name_entry(entry, extern.index, name, scope.owner)
        if existing is None or not scope.reuse:
            self.declare_type(scope, name, tid, is_import)
        scope.types.append(_Entry("wit", wit=tid))
        return tid

    def name_entry(self, entry: _Entry, index, name: str, owner) -> int:
        if entry.kind == "alias":
            base = entry
            while base.kind == "alias" and base.wit is None:
                base = base.value
            if base.kind == "defined" and base.wit is None:
                tid = self.name_entry(base, index, name, owner)
            else:
                tid = self.new_type(wm.Alias(self.entry_type(base, index)), name, owner)
            entry.wit = tid
            return tid
        if entry.kind == "wit" or (entry.kind == "defined" and entry.wit is not None
                                   and not self._is_renamable(entry.wit)):
            return self.new_type(wm.Alias(entry.wit), name, owner)
        if entry.kind != "defined":
            raise WasmlinkError(f"type `{name}` is bound to type index {index}, a {entry.kind} "
                                f"type, not a value type")
        if entry.wit is not None:             # a nominal type used before it was named
            td = self.resolve.types[entry.wit]
            td.name, td.owner = name, owner
            return entry.wit
        tid = self.new_type(self.kind(entry.scope, entry.value), name, owner)
        entry.wit = tid
        return tid

    def _is_renamable(self, wit) -> bool:
        if not isinstance(wit, int):
            return False
        td = self.resolve.types[wit]
        return td.name is None and _key(td.kind) is None

    def declare_type(self, scope: _Scope, name: str, tid: int, is_import: bool) -> None:
        kind, oid = scope.owner
        if kind == "interface":
            self.resolve.interfaces[oid].types[name] = tid
        elif is_import:
            self.resolve.worlds[oid].imports[name] = wm.WorldType(tid)
        else:
            raise WasmlinkError(f"world exports type `{name}`: a WIT world can only import "
                                f"types")

    def function(self, scope: _Scope, name: str, index) -> wm.Function:
        entry = scope.type_entry(index)
        if entry.kind != "func":
            raise WasmlinkError(f"function `{name}` has type index {index}, a {entry.kind} "
                                f"type, not a function type")
        return self.function_of(scope, name, entry)

    def function_of(self, scope: _Scope, name: str, entry) -> wm.Function:
        """Function ``name`` of the owner of ``scope``, typed by ``entry`` (a function type
        entry, or a Function already read from an imported instance)."""
        if isinstance(entry, wm.Function):
            return wm.Function(name, entry.kind, list(entry.params), entry.result,
                               entry.resource)
        if not isinstance(entry, _Entry) or entry.kind != "func":
            raise WasmlinkError(f"function `{name}` has no function type")
        ft = entry.value
        params = [(f.label, self.valtype(entry.scope, f.type)) for f in ft.params]
        result = None if ft.result is None else self.valtype(entry.scope, ft.result)
        kind = "async-freestanding" if ft.is_async else "freestanding"
        resource = None
        for prefix, plain, asynchronous in PREFIXES:
            if name.startswith(prefix):
                rest = name[len(prefix):]
                kind = asynchronous if ft.is_async else plain
                if plain == "async-freestanding":
                    break
                resource_name = rest if plain == "constructor" else rest.partition(".")[0]
                resource = self.owner_types(scope).get(resource_name)
                if resource is None:
                    raise WasmlinkError(f"function `{name}` belongs to resource "
                                        f"`{resource_name}`, which is not defined before it")
                break
        return wm.Function(name, kind, params, result, resource)

    # -- declarators -------------------------------------------------------------------------
    def declare(self, scope: _Scope, decl) -> None:
        if isinstance(decl, (cm.ImportDecl, cm.ExportDecl)):
            self.extern(scope, decl.name, decl.type, isinstance(decl, cm.ImportDecl),
                        decl.attributes)
        elif isinstance(decl, cm.AliasOuter):
            target = scope
            for _ in range(decl.count):
                target = target.parent
                if target is None:
                    raise WasmlinkError(f"outer alias count {decl.count} reaches past the "
                                        f"outermost component")
            if decl.sort == "type":
                scope.types.append(target.type_entry(decl.index))
            elif decl.sort == "component":
                scope.components.append(None)
            # core aliases (modules, core types) have no WIT meaning
        elif isinstance(decl, cm.AliasExport):
            if not 0 <= decl.instance < len(scope.instances):
                raise WasmlinkError(f"instance index {decl.instance} out of bounds")
            item = scope.instances[decl.instance].get(decl.name)
            if decl.sort == "type":
                if not isinstance(item, int):
                    raise WasmlinkError(f"instance {decl.instance} exports no type "
                                        f"`{decl.name}`")
                scope.types.append(_Entry("wit", wit=item))
            elif decl.sort == "func":
                scope.funcs.append(item)
            elif decl.sort == "instance":
                scope.instances.append({})
        elif isinstance(decl, cm.CoreTypeDecl):
            pass
        elif isinstance(decl, cm.FuncType):
            scope.types.append(_Entry("func", decl, scope))
        elif isinstance(decl, cm.InstanceType):
            scope.types.append(_Entry("instance", decl, scope))
        elif isinstance(decl, cm.ComponentType):
            scope.types.append(_Entry("component", decl, scope))
        elif isinstance(decl, (cm.AliasCoreExport, cm.ModuleType)):
            pass
        else:
            scope.types.append(_Entry("defined", decl, scope))

    def extern(self, scope: _Scope, name: str, extern: cm.ExternType, is_import: bool,
               attributes=()) -> None:
        kind = extern.kind
        if kind == "type":
            tid = self.named_type(scope, name, extern, is_import)
            scope.exported[name] = tid
        elif kind == "func":
            func = self.function(scope, name, extern.index)
            scope.funcs.append(func)
            scope.exported[name] = func
            self.declare_function(scope, name, func, is_import)
        elif kind == "instance":
            entry = scope.type_entry(extern.index)
            if entry.kind != "instance":
                raise WasmlinkError(f"instance `{name}` has type index {extern.index}, a "
                                    f"{entry.kind} type, not an instance type")
            implements = next((a.interface for a in attributes
                               if isinstance(a, cm.Implements)), None)
            iid, exports = self.instance(scope, name, entry, implements)
            scope.instances.append(exports)
            if scope.world is not None:
                world = self.resolve.worlds[scope.world]
                key = name if split_qualified(name) is None else iid
                items = world.imports if is_import else world.exports
                items[key] = wm.WorldInterface(iid)
            elif not is_import:
                scope.results.append(("interface", iid))
        elif kind == "component":
            entry = scope.type_entry(extern.index)
            if entry.kind != "component":
                raise WasmlinkError(f"component `{name}` has type index {extern.index}, a "
                                    f"{entry.kind} type, not a component type")
            scope.components.append(entry)
            if scope.owner is None and not is_import:
                scope.results.append(("world", self.world(entry, name)))
            else:
                raise WasmlinkError(f"component `{name}` cannot be part of a WIT world")
        else:
            raise WasmlinkError(f"{'import' if is_import else 'export'} `{name}` is a {kind}: "
                                f"WIT has no {kind} items")

    def declare_function(self, scope: _Scope, name: str, func: wm.Function,
                         is_import: bool) -> None:
        if scope.owner is None:
            raise WasmlinkError(f"function `{name}` is declared outside any interface or world")
        kind, oid = scope.owner
        if kind == "interface":
            functions = self.resolve.interfaces[oid].functions
            if not (scope.reuse and name in functions):
                functions[name] = func
        else:
            world = self.resolve.worlds[oid]
            (world.imports if is_import else world.exports)[name] = wm.WorldFunction(func)

    def instance(self, scope: _Scope, name: str, entry: _Entry, implements: str | None):
        """Read an instance type as interface ``name``: returns (interface id, its exports)."""
        qualified = implements if implements is not None else (
            name if split_qualified(name) is not None else None)
        package = None
        if scope.world is not None:
            package = self.resolve.worlds[scope.world].package
        iid, existed = self.interface(qualified, package)
        inner = _Scope(entry.scope, ("interface", iid), reuse=existed)
        for decl in entry.value.decls:
            self.declare(inner, decl)
        return iid, inner.exported

    def world(self, entry: _Entry, qualified: str) -> int:
        parts = split_qualified(qualified)
        if parts is None:
            raise WasmlinkError(f"world `{qualified}` is not named ns:pkg/world[@version]")
        pkg_name, name = parts
        pid = self.package(pkg_name)
        if name in self.resolve.packages[pid].worlds:
            raise WasmlinkError(f"world `{qualified}` is defined more than once")
        wid = len(self.resolve.worlds)
        self.resolve.worlds.append(wm.World(name, package=pid))
        self.resolve.packages[pid].worlds[name] = wid
        inner = _Scope(entry.scope, ("world", wid), world=wid)
        for decl in entry.value.decls:
            self.declare(inner, decl)
        return wid

    # -- outer layouts -----------------------------------------------------------------------
    def wrapper(self, entry: _Entry, export_name: str) -> list:
        """A wrapper type (one interface or world with its dependencies imported)."""
        if entry.kind != "component":
            raise WasmlinkError(f"export `{export_name}` is not a component type: not a WIT "
                                f"package or world encoding")
        inner = _Scope(entry.scope)
        for decl in entry.value.decls:
            self.declare(inner, decl)
        return inner.results

    def package_component(self, component: cm.Component) -> list:
        """A component encoding WIT: every exported wrapper type, decoded in order."""
        scope = _Scope(None)
        results = []
        for section in component.sections:
            if isinstance(section, cm.TypeSection):
                for item in section.items:
                    self.declare(scope, item)
            elif isinstance(section, cm.ExportSection):
                for export in section.items:
                    if export.item.sort != "type":
                        raise WasmlinkError(f"export `{export.name}` is a {export.item.sort}: "
                                            f"a WIT encoding exports only types")
                    entry = scope.type_entry(export.item.index)
                    results += self.wrapper(entry, export.name)
                    scope.types.append(entry)      # exporting a type gives it a new index too
            elif not isinstance(section, cm.CustomSection):
                raise WasmlinkError(f"a WIT encoding has no {type(section).__name__}s")
        return results


def _run(f, *args):
    try:
        return f(*args)
    except RecursionError:
        raise WasmlinkError("types nested too deeply to decode") from None


def _encoding_of(component: cm.Component, base: int) -> str:
    for s in component.custom_sections(ENCODING_SECTION):
        data = bytes(s.payload)
        if len(data) != 2:
            raise ParseError(f"{ENCODING_SECTION} section of {len(data)} bytes: expected 2 "
                             f"(version, string encoding)", base, context=ENCODING_SECTION)
        if data[0] != CURRENT_VERSION:
            raise ParseError(f"unknown {ENCODING_SECTION} version 0x{data[0]:02x}: expected "
                             f"0x04", base, context=ENCODING_SECTION)
        if data[1] not in STRING_ENCODINGS:
            raise ParseError(f"unknown string encoding {data[1]}: expected 0 (utf8), 1 (utf16) "
                             f"or 2 (compact-utf16)", base, context=ENCODING_SECTION)
        return STRING_ENCODINGS[data[1]]
    return "utf8"        # wit-component's default when the section is absent


def decode_world_section(payload, *, offset: int = 0) -> tuple[Resolve, int, str]:
    """A `component-type` section's payload -> ``(resolve, world id, string encoding)``.

    ``offset`` is where the payload starts in its file, to make error offsets file-absolute.
    Both the current (a component) and the legacy (0x03) encodings are read."""
    data = memoryview(payload)
    try:
        if bytes(data[:4]) == b"\0asm":
            component = decode_component(data)
            encoding = _encoding_of(component, 0)
            decoder = Decoder()
            worlds = [i for kind, i in _run(decoder.package_component, component)
                      if kind == "world"]
            if len(worlds) != 1:
                raise WasmlinkError(f"component-type payload encodes {len(worlds)} worlds: "
                                    f"expected one")
            return decoder.resolve, worlds[0], encoding
        r = Reader(data, 0, None, "component-type section")
        version = r.byte("component-type version")
        if version != LEGACY_VERSION:
            raise r.error(f"unknown component-type encoding version 0x{version:02x}: expected "
                          f"a component (current) or 0x03 (legacy)", 0)
        byte = r.byte("string encoding")
        if byte not in STRING_ENCODINGS:
            raise r.error(f"unknown string encoding {byte}: expected 0 (utf8), 1 (utf16) or 2 "
                          f"(compact-utf16)", 1)
        world_name = r.name("world name")
        component = read_component(Reader(data, r.pos, None, "component preamble"),
                                   len(data), 0)
        decoder = Decoder()
        worlds = [i for kind, i in _run(decoder.package_component, component)
                  if kind == "world"]
        return decoder.resolve, _select(decoder.resolve, worlds, world_name), \
            STRING_ENCODINGS[byte]
    except ParseError as e:
        if e.offset is not None:
            e.offset += offset
        raise


def _select(resolve: Resolve, worlds: list, name: str) -> int:
    if split_qualified(name) is not None:
        pkg_name, name_only = split_qualified(name)
        matches = [w for w in worlds if resolve.worlds[w].name == name_only
                   and resolve.packages[resolve.worlds[w].package].name == pkg_name]
    else:
        matches = [w for w in worlds if resolve.worlds[w].name == name]
    if len(matches) != 1:
        found = ", ".join(f"`{resolve.worlds[w].name}`" for w in worlds) or "none"
        raise WasmlinkError(f"legacy component-type section names world `{name}`, which its "
                            f"package does not define uniquely (worlds: {found})")
    return matches[0]


# -- components -----------------------------------------------------------------------------

class _ComponentReader:
    """The world a component implements, read from its own index spaces.

    Imports carry their types, so they are read as a world's declarators are. An export names
    an item whose type must be found: a lifted function has its type; an instance made of
    inline exports has theirs; an instance of a nested component (wit-component's shims) has
    the exports of that component read with its imports bound to the instantiation's
    arguments, so a resource passed in stays that resource. Core items are not WIT and are
    skipped."""

    def __init__(self, decoder: Decoder):
        self.d = decoder

    def item(self, scope: _Scope, sortidx: cm.SortIdx):
        space = {"type": scope.types, "func": scope.funcs, "instance": scope.instances,
                 "component": scope.components}.get(sortidx.sort)
        if space is None:
            return None                               # core items and values: not WIT
        if not 0 <= sortidx.index < len(space):
            raise WasmlinkError(f"{sortidx.sort} index {sortidx.index} out of bounds")
        return space[sortidx.index]

    @staticmethod
    def push(scope: _Scope, sort: str, value) -> None:
        if isinstance(value, int) and sort == "type":
            value = _Entry("wit", wit=value)
        space = {"type": scope.types, "func": scope.funcs, "instance": scope.instances,
                 "component": scope.components}.get(sort)
        if space is not None:
            space.append(value)

    def read(self, component: cm.Component, scope: _Scope, args: dict | None) -> dict:
        exports: dict = {}
        for section in component.sections:
            if isinstance(section, cm.TypeSection):
                for item in section.items:
                    self.d.declare(scope, item)
            elif isinstance(section, cm.ImportSection):
                for imp in section.items:
                    if args is None:
                        self.d.extern(scope, imp.name, imp.type, True, imp.attributes)
                    elif imp.name not in args:
                        raise WasmlinkError(f"nested component import `{imp.name}` is not "
                                            f"supplied by its instantiation")
                    else:
                        self.push(scope, imp.type.kind, args[imp.name])
            elif isinstance(section, cm.AliasSection):
                for alias in section.items:
                    if isinstance(alias, cm.AliasExport):
                        if not 0 <= alias.instance < len(scope.instances):
                            raise WasmlinkError(f"instance index {alias.instance} out of bounds")
                        value = scope.instances[alias.instance].get(alias.name)
                        if value is None:
                            raise WasmlinkError(f"instance {alias.instance} has no export "
                                                f"`{alias.name}`")
                        self.push(scope, alias.sort, value)
                    elif isinstance(alias, cm.AliasOuter):
                        self.d.declare(scope, alias)
            elif isinstance(section, cm.CanonSection):
                for canon in section.items:
                    if isinstance(canon, cm.Lift):
                        scope.funcs.append(scope.type_entry(canon.type))
            elif isinstance(section, cm.ComponentSection):
                scope.components.append((section.component, scope))
            elif isinstance(section, cm.InstanceSection):
                for inst in section.items:
                    scope.instances.append(self.instance(scope, inst))
            elif isinstance(section, cm.ExportSection):
                for export in section.items:
                    value = self.item(scope, export.item)
                    if export.type is not None and export.type.kind == "func":
                        value = scope.type_entry(export.type.index)
                    if export.item.sort == "type":
                        # a type export is a new name for its type (wasmparser's `created`
                        # id): what refers to it sees the name, once the name is given
                        if isinstance(value, int):
                            value = _Entry("wit", wit=value)
                        value = _Entry("alias", value)
                    self.push(scope, export.item.sort, value)
                    if args is None:
                        self.world_export(scope, export, value)
                    else:
                        exports[export.name] = value
        return exports

    def instance(self, scope: _Scope, inst) -> dict:
        if isinstance(inst, cm.InlineExports):
            return {e.name: self.item(scope, e.item) for e in inst.exports}
        nested = self.item(scope, cm.SortIdx("component", inst.component))
        if not isinstance(nested, tuple):
            raise WasmlinkError("instantiating an imported component: its exports cannot be "
                                "read as WIT")
        component, defined_in = nested
        args = {a.name: self.item(scope, a.item) for a in inst.args}
        return self.read(component, _Scope(defined_in), args)

    def world_export(self, scope: _Scope, export: cm.Export, value) -> None:
        world = self.d.resolve.worlds[scope.world]
        sort = export.item.sort
        if sort == "func":
            world.exports[export.name] = wm.WorldFunction(
                self.d.function_of(scope, export.name, value))
        elif sort == "instance":
            if export.type is not None:
                self.d.extern(scope, export.name, export.type, False, export.attributes)
                return
            implements = next((a.interface for a in export.attributes
                               if isinstance(a, cm.Implements)), None)
            qualified = implements or (export.name if split_qualified(export.name) else None)
            iid, existed = self.d.interface(qualified, world.package)
            inner = _Scope(scope, ("interface", iid), reuse=existed)
            iface = self.d.resolve.interfaces[iid]
            for name, item in value.items():
                if isinstance(item, (int, _Entry)) and not (
                        isinstance(item, _Entry) and item.kind == "func"):
                    entry = item if isinstance(item, _Entry) else _Entry("wit", wit=item)
                    if name not in iface.types:
                        iface.types[name] = self.d.name_entry(entry, name, name,
                                                              ("interface", iid))
                    elif entry.kind == "defined" and entry.wit is None:
                        entry.wit = iface.types[name]
                elif isinstance(item, (wm.Function, _Entry)):
                    if name not in iface.functions:
                        iface.functions[name] = self.d.function_of(inner, name, item)
            key = iid if qualified is not None and implements is None else export.name
            world.exports[key] = wm.WorldInterface(iid)
        elif sort in ("type", "component", "value") or sort.startswith("core"):
            pass        # not part of a WIT world (wit-component exports types for bindings)


def decode_component_world(component_bytes, *, path: str | None = None) -> tuple[Resolve, int]:
    """The world a component implements: ``(resolve, world id)``, the world being
    ``root:component/root`` as wit-component names it."""
    component = decode_component(component_bytes, path=path)
    decoder = Decoder()
    pid = decoder.package(wm.PackageName("root", "component"))
    wid = len(decoder.resolve.worlds)
    decoder.resolve.worlds.append(wm.World("root", package=pid))
    decoder.resolve.packages[pid].worlds["root"] = wid
    scope = _Scope(None, ("world", wid), world=wid)
    try:
        _run(_ComponentReader(decoder).read, component, scope, None)
    except WasmlinkError as e:
        raise e.in_file(path) if path else e
    return decoder.resolve, wid
