"""Name resolution: syntax trees in, a :class:`Resolve` of ids out.

It runs in the order wit-parser's does so ids (and the JSON rendering of them) agree:

1. **Per package** (:class:`_PackageResolver`): foreign references (``use a:b/c.{t}``) get
   placeholder interfaces, worlds and ``Unknown`` types first; local interfaces and worlds are
   ordered by a topological sort of their ``use``/``include`` edges (ties broken by source order);
   within each interface or world the ``use``d names come first, then the type definitions in
   topological order; anonymous types (``list<u8>``) are interned per package.
2. **Packages** are pushed in dependency order: a depth-first walk over all packages sorted by
   name, dependencies first. A cycle between packages is an error.
3. **Append** (:meth:`Resolve._append`): placeholders are bound to the packages already present,
   gated items whose feature is off are dropped (a reference to one is an error), a reference to a
   resource outside ``type x = r`` becomes an interned ``own<r>`` handle, ``include``s are merged
   and worlds are *elaborated*: every interface a world item depends on through ``use`` becomes an
   import, ordered before its users.
"""
from __future__ import annotations

import heapq
import os
from pathlib import Path

from . import ast
from . import model as m
from .errors import WitError
from .lexer import Source, Span
from .parser import parse_source


# -- helpers ---------------------------------------------------------------------------------

def toposort(kind: str, deps: dict[str, list[ast.Id]]) -> list[str]:
    """Order `deps` dependencies first; among ready nodes the earliest in source order wins."""
    names = list(deps)
    index = {n: i for i, n in enumerate(names)}
    remaining = [0] * len(names)
    reverse: list[list[int]] = [[] for _ in names]
    for i, n in enumerate(names):
        remaining[i] = len(deps[n])
        for edge in deps[n]:
            j = index.get(edge.name)
            if j is None:
                raise edge.span.error(f"{kind} `{edge.name}` does not exist")
            reverse[j].append(i)
    heap = [i for i in range(len(names)) if remaining[i] == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        i = heapq.heappop(heap)
        order.append(names[i])
        for j in reverse[i]:
            remaining[j] -= 1
            if remaining[j] == 0:
                heapq.heappush(heap, j)
        reverse[i] = []
    if len(order) == len(names):
        return order
    for i, n in enumerate(names):
        if remaining[i] == 0:
            continue
        for edge in deps[n]:
            if remaining[index[edge.name]] != 0:
                raise edge.span.error(f"{kind} `{edge.name}` depends on itself")
    raise AssertionError("unreachable")


def process_docs(comments: list[str]) -> str | None:
    docs = []
    for c in comments:
        if c.startswith("/**"):
            body = c[3:-2] if c.endswith("*/") else c[3:]
        else:
            body = c.lstrip("/")
        docs.append(body.rstrip())
    nonempty = [d for d in docs if d]
    if not docs:
        return None
    ws = min((len(d) - len(d.lstrip()) for d in nonempty), default=0)
    if ws:
        pad = " " * ws
        docs = [d[ws:] if d.startswith(pad) else d for d in docs]
    out = []
    for d in docs:
        if not d:
            out.append("\n")
        else:
            lines = d.split("\n")
            for line in lines:
                out.append(line.rstrip("\r") + "\n")
    text = "".join(out).rstrip("\n")
    return text


def stability_of(attrs: list[ast.Attr]) -> m.Stability:
    attrs = [a for a in attrs if a.kind != "external-id"]
    kinds = [a.kind for a in attrs]
    if not attrs:
        return None
    if kinds == ["since"]:
        return m.Stable(attrs[0].value)
    if sorted(kinds) == ["deprecated", "since"]:
        since = next(a for a in attrs if a.kind == "since").value
        dep = next(a for a in attrs if a.kind == "deprecated").value
        return m.Stable(since, dep)
    if kinds == ["unstable"]:
        return m.Unstable(attrs[0].value)
    if sorted(kinds) == ["deprecated", "unstable"]:
        feat = next(a for a in attrs if a.kind == "unstable").value
        dep = next(a for a in attrs if a.kind == "deprecated").value
        return m.Unstable(feat, dep)
    if kinds == ["deprecated"]:
        raise attrs[0].span.error("must pair @deprecated with either @since or @unstable")
    raise attrs[1].span.error("unsupported combination of attributes")


def _pkg_name(p: ast.PackageName) -> m.PackageName:
    return m.PackageName(p.namespace, p.name, p.version)


def _for_each_path(decls: ast.DeclList, f) -> None:
    """Call f(owner_name, attrs, path, names, 'interface'|'world') for every path in a file."""
    for item in decls.items:
        if isinstance(item, ast.TopUse):
            f(None, item.attrs, item.path, None, "interface")
        elif isinstance(item, ast.Interface):
            for it in item.items:
                if isinstance(it, ast.Use):
                    f(item.name, it.attrs, it.path, it.names, "interface")
        elif isinstance(item, ast.World):
            for it in item.items:
                if isinstance(it, ast.ImportExport):
                    ext = it.extern
                    if ext.kind == "interface":
                        for sub in ext.items:
                            if isinstance(sub, ast.Use):
                                f(None, sub.attrs, sub.path, sub.names, "interface")
                    elif ext.kind in ("path", "implements"):
                        f(None, it.attrs, ext.path, None, "interface")
                elif isinstance(it, ast.Use):
                    f(None, it.attrs, it.path, it.names, "interface")
                elif isinstance(it, ast.Include):
                    f(item.name, it.attrs, it.path, None, "world")


def _collect_deps(ty: ast.Ty, out: list) -> None:
    if ty is None:
        return
    if ty.kind in ("name", "own", "borrow"):
        out.append(ty.name)
    elif ty.kind in ("record", "variant"):
        for c in ty.cases:
            _collect_deps(c.ty, out)
    else:
        for a in ty.args:
            _collect_deps(a, out)


# -- per-package resolution ------------------------------------------------------------------

class Unresolved:
    """One package after name resolution, with ids local to it (wit-parser's UnresolvedPackage)."""

    def __init__(self, name: m.PackageName, span: Span, docs):
        self.name, self.span, self.docs = name, span, docs
        self.types: list[m.TypeDef] = []
        self.type_spans: list[Span] = []
        self.interfaces: list[m.Interface] = []
        self.interface_spans: list[tuple[Span, list[Span]]] = []
        self.worlds: list[m.World] = []
        self.world_spans: list[dict] = []
        self.foreign_deps: dict[m.PackageName, dict[str, list]] = {}
        self.foreign_dep_spans: list[Span] = []
        self.required_resource_types: list[tuple[int, Span]] = []


class _PackageResolver:
    def __init__(self, name: ast.PackageName, docs: list[str], decl_lists: list[ast.DeclList]):
        self.u = Unresolved(_pkg_name(name), name.span, process_docs(docs))
        self.decl_lists = decl_lists
        self.anon: dict = {}
        self.interface_types: list[dict] = []
        self.foreign_interfaces: set[int] = set()
        self.ast_items: list[dict] = []
        self.package_items: dict = {}
        self.cur = 0
        self.type_lookup: dict = {}

    # arenas
    def alloc_interface(self, span: Span) -> int:
        self.interface_types.append({})
        self.u.interface_spans.append((span, []))
        self.u.interfaces.append(m.Interface(None))
        return len(self.u.interfaces) - 1

    def alloc_world(self, span: Span) -> int:
        self.u.world_spans.append({"span": span, "imports": [], "exports": [], "includes": []})
        self.u.worlds.append(m.World(""))
        return len(self.u.worlds) - 1

    def alloc_type(self, td: m.TypeDef, span: Span) -> int:
        self.u.types.append(td)
        self.u.type_spans.append(span)
        return len(self.u.types) - 1

    def resolve(self) -> Unresolved:
        self.populate_foreign_deps()
        iface_order, world_order = self.populate_ast_items()
        self.populate_foreign_types()
        iface_ast, world_ast = {}, {}
        for i, dl in enumerate(self.decl_lists):
            for item in dl.items:
                if isinstance(item, ast.Interface):
                    iface_ast[self.ast_items[i][item.name.name][1]] = (item, i)
                elif isinstance(item, ast.World):
                    world_ast[self.ast_items[i][item.name.name][1]] = (item, i)
        for id_ in iface_order:
            item, self.cur = iface_ast[id_]
            self.resolve_interface(id_, item.items, item.docs, item.attrs)
        for id_ in world_order:
            item, self.cur = world_ast[id_]
            self.resolve_world(id_, item)
        return self.u

    def populate_foreign_deps(self) -> None:
        u = self.u

        def visit(owner, attrs, path, names, kind):
            if path.package is None:
                return
            stab = stability_of(attrs)
            pname = _pkg_name(path.package)
            if pname not in u.foreign_deps:
                u.foreign_deps[pname] = {}
                u.foreign_dep_spans.append(path.package.span)
            deps = u.foreign_deps[pname]
            if path.name.name not in deps:
                if kind == "world":
                    item = ("world", self.alloc_world(path.name.span))
                else:
                    item = ("interface", self.alloc_interface(path.name.span))
                    self.foreign_interfaces.add(item[1])
                deps[path.name.name] = [item, []]
            deps[path.name.name][1].append(stab)

        for dl in self.decl_lists:
            _for_each_path(dl, visit)

    def populate_ast_items(self):
        package_items: dict[str, Span] = {}
        names: dict[str, object] = {}
        order: dict[str, list] = {}
        for dl in self.decl_lists:
            for item in dl.items:
                if isinstance(item, (ast.Interface, ast.World)):
                    n = item.name.name
                    if n in package_items:
                        raise item.name.span.error(f"duplicate item named `{n}`")
                    package_items[n] = item.name.span
                    order[n] = []
                    names[n] = item
        for dl in self.decl_lists:
            ns: dict[str, tuple] = {}
            for item in dl.items:
                if isinstance(item, ast.TopUse):
                    name = item.local_name
                    src = ("foreign", None) if item.path.package else ("local", item.path.name)
                else:
                    name = item.name
                    src = ("local", item.name)
                if name.name in ns:
                    raise name.span.error(f"duplicate name `{name.name}` in this file")
                ns[name.name] = src

            def visit(owner, attrs, path, names_, kind):
                if owner is None or path.package is not None:
                    return
                used = path.name
                if used.name in ns:
                    src = ns[used.name]
                    if src[0] == "foreign":
                        return
                    order[owner.name].append(src[1])
                elif used.name in package_items:
                    order[owner.name].append(used)
                else:
                    raise used.span.error(
                        f"interface or world `{used.name}` not found in package")

            _for_each_path(dl, visit)
        sorted_names = toposort("interface or world", order)
        ids: dict[str, tuple] = {}
        iface_order, world_order = [], []
        for n in sorted_names:
            if isinstance(names[n], ast.Interface):
                i = self.alloc_interface(package_items[n])
                self.u.interfaces[i].name = n
                ids[n] = ("interface", i)
                iface_order.append(i)
            else:
                w = self.alloc_world(package_items[n])
                self.u.worlds[w].name = n
                ids[n] = ("world", w)
                world_order.append(w)
        for dl in self.decl_lists:
            items = {}
            for item in dl.items:
                if isinstance(item, ast.TopUse):
                    if [a for a in item.attrs]:
                        raise item.span.error("attributes not allowed on top-level use")
                    name = item.local_name.name
                    if item.path.package is None:
                        target = ids.get(item.path.name.name)
                        if target is None:
                            raise item.path.name.span.error(
                                f"interface or world `{item.path.name.name}` does not exist")
                    else:
                        target = self.u.foreign_deps[_pkg_name(item.path.package)][
                            item.path.name.name][0]
                    items[name] = target
                else:
                    items[item.name.name] = ids[item.name.name]
                    self.package_items[item.name.name] = ids[item.name.name]
            self.ast_items.append(items)
        return iface_order, world_order

    def populate_foreign_types(self) -> None:
        for i, dl in enumerate(self.decl_lists):
            self.cur = i

            def visit(owner, attrs, path, names, kind):
                if names is None:
                    return
                stab = stability_of(attrs)
                item, span = self.resolve_path(path)
                iface = self.iface_of(item, path.name.name, span)
                if iface not in self.foreign_interfaces:
                    return
                lookup = self.interface_types[iface]
                for n in names:
                    if n.name.name in lookup:
                        continue
                    tid = self.alloc_type(m.TypeDef(m.Unknown(), n.name.name, ("interface", iface),
                                                    None, stab), n.name.span)
                    lookup[n.name.name] = (("type", tid), n.name.span)
                    self.u.interfaces[iface].types[n.name.name] = tid

            _for_each_path(dl, visit)

    def resolve_path(self, path: ast.UsePath):
        if path.package is None:
            name = path.name.name
            item = self.ast_items[self.cur].get(name) or self.package_items.get(name)
            if item is None:
                raise path.name.span.error(f"interface or world `{name}` does not exist")
            return item, path.name.span
        return self.u.foreign_deps[_pkg_name(path.package)][path.name.name][0], path.name.span

    @staticmethod
    def iface_of(item, name, span) -> int:
        if item[0] != "interface":
            raise span.error(f"name `{name}` is defined as a world, not an interface")
        return item[1]

    @staticmethod
    def world_of(item, name, span) -> int:
        if item[0] != "world":
            raise span.error(f"name `{name}` is defined as an interface, not a world")
        return item[1]

    # interfaces and worlds
    def resolve_interface(self, iid: int, items: list, docs, attrs) -> None:
        iface = self.u.interfaces[iid]
        iface.docs = process_docs(docs)
        iface.stability = stability_of(attrs)
        self.resolve_types(("interface", iid), [i for i in items
                                                if isinstance(i, (ast.Use, ast.TypeDef))])
        for name, (item, _) in self.type_lookup.items():
            iface.types[name] = item[1]
        funcs = []
        spans = self.u.interface_spans[iid][1]
        for it in items:
            if isinstance(it, ast.NamedFunc):
                self.define_name(it.name, ("item", "function"))
                kind = "async-freestanding" if it.func.is_async else "freestanding"
                funcs.append(self.resolve_function(it.docs, it.attrs, it.name.name, it.func, kind,
                                                   None, it.name.span))
                spans.append(it.name.span)
            elif isinstance(it, ast.TypeDef) and it.ty.kind == "resource":
                for f in it.ty.funcs:
                    funcs.append(self.resolve_resource_func(f, it.name))
                    spans.append(f.name.span)
        for f in funcs:
            iface.functions[f.name] = f
        self.interface_types[iid] = self.type_lookup
        self.type_lookup = {}

    def resolve_world(self, wid: int, world: ast.World) -> None:
        w = self.u.worlds[wid]
        spans = self.u.world_spans[wid]
        w.docs = process_docs(world.docs)
        w.stability = stability_of(world.attrs)
        self.resolve_types(("world", wid), [i for i in world.items
                                            if isinstance(i, (ast.Use, ast.TypeDef))])
        for inc in world.items:
            if isinstance(inc, ast.Include):
                stab = stability_of(inc.attrs)
                item, span = self.resolve_path(inc.path)
                target = self.world_of(item, inc.path.name.name, span)
                w.includes.append((stab, target, [(a.name, b.name) for a, b in inc.names], span))
                spans["includes"].append(span)
        for name, (item, span) in self.type_lookup.items():
            if name in w.imports:
                raise span.error(f"import `{name}` conflicts with prior import of same name")
            w.imports[name] = m.WorldType(item[1])
            spans["imports"].append(span)
        imported, exported = set(), set()
        for it in world.items:
            if isinstance(it, ast.TypeDef):
                if it.ty.kind == "resource":
                    for f in it.ty.funcs:
                        spans["imports"].append(f.name.span)
                        func = self.resolve_resource_func(f, it.name)
                        w.imports[func.name] = m.WorldFunction(func)
                continue
            if not isinstance(it, ast.ImportExport):
                continue
            ext = it.extern
            desc = it.direction
            if ext.kind == "interface":
                saved = self.type_lookup
                self.type_lookup = {}
                iid = self.alloc_interface(ext.name.span)
                self.resolve_interface(iid, ext.items, it.docs, it.attrs)
                self.type_lookup = saved
                item = m.WorldInterface(iid, self.u.interfaces[iid].stability)
                key = ext.name.name
            elif ext.kind == "func":
                kind = "async-freestanding" if ext.func.is_async else "freestanding"
                func = self.resolve_function(it.docs, it.attrs, ext.name.name, ext.func, kind,
                                             None, ext.name.span)
                item = m.WorldFunction(func)
                key = func.name
            else:
                target, span = self.resolve_path(ext.path)
                iid = self.iface_of(target, ext.path.name.name, span)
                item = m.WorldInterface(iid, stability_of(it.attrs), process_docs(it.docs))
                key = ext.name.name if ext.kind == "implements" else iid
            seen = imported if desc == "import" else exported
            if isinstance(item, m.WorldInterface) and ext.kind == "path":
                if item.id in seen:
                    raise ext.span.error(f"interface cannot be {desc}ed more than once")
                seen.add(item.id)
            dst = w.imports if desc == "import" else w.exports
            if key in dst:
                prev = dst[key]
                prev_kind = ("interface" if isinstance(prev, m.WorldInterface) else
                             "func" if isinstance(prev, m.WorldFunction) else "type")
                raise ext.span.error(f"{desc} `{key}` conflicts with prior {prev_kind} of same name")
            dst[key] = item
            spans["imports" if desc == "import" else "exports"].append(ext.span)
        self.type_lookup = {}

    def define_name(self, name: ast.Id, item) -> None:
        if name.name in self.type_lookup:
            raise name.span.error(f"name `{name.name}` is defined more than once")
        self.type_lookup[name.name] = (item, name.span)

    def resolve_types(self, owner, items) -> None:
        assert not self.type_lookup
        for it in items:
            if isinstance(it, ast.Use):
                self.resolve_use(owner, it)
        deps: dict[str, list] = {}
        defs: dict[str, ast.TypeDef | None] = {}
        for it in items:
            if isinstance(it, ast.TypeDef):
                if it.name.name in defs:
                    raise it.name.span.error(f"name `{it.name.name}` is defined more than once")
                defs[it.name.name] = it
                d: list = []
                if it.ty.kind != "resource":
                    _collect_deps(it.ty, d)
                deps[it.name.name] = d
            else:
                for n in it.names:
                    local = (n.as_ or n.name).name
                    deps[local] = []
                    defs[local] = None
        try:
            order = toposort("type", deps)
        except WitError as e:
            if e.message.startswith("type `float32`") or e.message.startswith("type `float64`"):
                e.message += (" (the `float32`/`float64` types have been renamed to "
                              "`f32`/`f64`)")
            raise
        for name in order:
            d = defs.pop(name)
            if d is None:
                continue
            stab = stability_of(d.attrs)
            kind = self.resolve_type_def(d.ty, stab)
            tid = self.alloc_type(m.TypeDef(kind, d.name.name, owner, process_docs(d.docs), stab),
                                  d.name.span)
            self.define_name(d.name, ("type", tid))

    def resolve_use(self, owner, u: ast.Use) -> None:
        item, span = self.resolve_path(u.path)
        src = self.iface_of(item, u.path.name.name, span)
        stab = stability_of(u.attrs)
        for n in u.names:
            lookup = self.interface_types[src]
            got = lookup.get(n.name.name)
            if got is None:
                raise n.name.span.error(f"name `{n.name.name}` is not defined")
            if got[0][0] == "item":
                raise n.name.span.error(f"cannot import {got[0][1]} `{n.name.name}`")
            local = n.as_ or n.name
            tid = self.alloc_type(m.TypeDef(m.Alias(got[0][1]), local.name, owner, None, stab),
                                  n.name.span)
            self.define_name(local, ("type", tid))

    def resolve_type_name(self, name: ast.Id) -> int:
        got = self.type_lookup.get(name.name)
        if got is None:
            raise name.span.error(f"name `{name.name}` is not defined")
        if got[0][0] == "item":
            raise name.span.error(f"cannot use {got[0][1]} `{name.name}` as a type")
        return got[0][1]

    def validate_resource(self, name: ast.Id) -> int:
        tid = self.resolve_type_name(name)
        cur = tid
        while True:
            kind = self.u.types[cur].kind
            if isinstance(kind, m.Resource):
                return tid
            if isinstance(kind, m.Alias) and isinstance(kind.type, int):
                cur = kind.type
                continue
            if isinstance(kind, m.Unknown):
                self.u.required_resource_types.append((cur, name.span))
                return tid
            raise name.span.error(f"type `{name.name}` used in a handle must be a resource")

    def resolve_type_def(self, ty: ast.Ty, stab) -> object:
        k = ty.kind
        if k in ("bool", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "f32", "f64",
                 "char", "string", "error-context"):
            return m.Alias(k)
        if k == "name":
            return m.Alias(self.resolve_type_name(ty.name))
        if k == "list":
            return m.List(self.resolve_type(ty.args[0], stab))
        if k == "fixed-length-list":
            return m.FixedSizeList(self.resolve_type(ty.args[0], stab), ty.size)
        if k == "map":
            key = self.resolve_type(ty.args[0], stab)
            value = self.resolve_type(ty.args[1], stab)
            if key not in ("bool", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "char",
                           "string"):
                raise ty.span.error("invalid map key type: map keys must be bool, u8, u16, u32, "
                                    "u64, s8, s16, s32, s64, char, or string")
            return m.Map(key, value)
        if k in ("own", "borrow"):
            return m.Handle(k, self.validate_resource(ty.name))
        if k == "resource":
            ctors = 0
            seen = set()
            for f in ty.funcs:
                if f.kind == "constructor":
                    ctors += 1
                    if ctors > 1:
                        raise f.name.span.error("duplicate constructors")
                else:
                    if f.name.name in seen:
                        raise f.name.span.error(f"duplicate function name `{f.name.name}`")
                    seen.add(f.name.name)
            return m.Resource()
        if k == "record":
            return m.Record([m.Field(c.name.name, self.resolve_type(c.ty, stab),
                                     process_docs(c.docs)) for c in ty.cases])
        if k == "flags":
            return m.Flags([m.Flag(c.name.name, process_docs(c.docs)) for c in ty.cases])
        if k == "tuple":
            return m.Tuple([self.resolve_type(a, stab) for a in ty.args])
        if k == "variant":
            if not ty.cases:
                raise ty.span.error("empty variant")
            return m.Variant([m.Case(c.name.name, self.resolve_opt(c.ty, stab),
                                     process_docs(c.docs)) for c in ty.cases])
        if k == "enum":
            if not ty.cases:
                raise ty.span.error("empty enum")
            return m.Enum([m.EnumCase(c.name.name, process_docs(c.docs)) for c in ty.cases])
        if k == "option":
            return m.Option(self.resolve_type(ty.args[0], stab))
        if k == "result":
            return m.Result(self.resolve_opt(ty.args[0], stab), self.resolve_opt(ty.args[1], stab))
        if k == "future":
            return m.Future(self.resolve_opt(ty.args[0], stab))
        if k == "stream":
            return m.Stream(self.resolve_opt(ty.args[0], stab))
        raise AssertionError(k)

    def resolve_opt(self, ty, stab):
        return None if ty is None else self.resolve_type(ty, stab)

    def find_stability(self, kind, stab):
        if stab is not None:
            return stab

        def of(t):
            if isinstance(t, int):
                return self.u.types[t].stability
            return None
        cands = []
        if isinstance(kind, (m.Alias, m.Option)):
            cands = [kind.type]
        elif isinstance(kind, m.Handle):
            cands = [kind.resource]
        elif isinstance(kind, m.Tuple):
            cands = kind.types
        elif isinstance(kind, (m.List, m.FixedSizeList)):
            cands = [kind.element]
        elif isinstance(kind, m.Map):
            cands = [kind.key, kind.value]
        elif isinstance(kind, (m.Future, m.Stream)):
            cands = [kind.type]
        elif isinstance(kind, m.Result):
            cands = [kind.ok, kind.err]
        for c in cands:
            s = of(c)
            if s is not None:
                return s
        return None

    def resolve_type(self, ty: ast.Ty, stab) -> m.Type:
        kind = self.resolve_type_def(ty, stab)
        return self.anon_type(kind, self.find_stability(kind, stab), ty.span)

    def anon_type(self, kind, stab, span) -> m.Type:
        if isinstance(kind, m.Alias):
            return kind.type
        if isinstance(kind, m.Handle):
            if kind.kind == "own":
                return kind.resource
            key = ("borrow", kind.resource)
        elif isinstance(kind, m.Tuple):
            key = ("tuple", tuple(kind.types))
        elif isinstance(kind, m.List):
            key = ("list", kind.element)
        elif isinstance(kind, m.FixedSizeList):
            key = ("fixed", kind.element, kind.size)
        elif isinstance(kind, m.Map):
            key = ("map", kind.key, kind.value)
        elif isinstance(kind, m.Option):
            key = ("option", kind.type)
        elif isinstance(kind, m.Result):
            key = ("result", kind.ok, kind.err)
        elif isinstance(kind, m.Future):
            key = ("future", kind.type)
        elif isinstance(kind, m.Stream):
            key = ("stream", kind.type)
        else:
            raise AssertionError(kind)
        tid = self.anon.get(key)
        if tid is None:
            tid = self.alloc_type(m.TypeDef(kind, None, None, None, stab), span)
            self.anon[key] = tid
        return tid

    def resolve_resource_func(self, f: ast.NamedFunc, resource: ast.Id) -> m.Function:
        rid = self.type_lookup[resource.name][0][1]
        a = "async-" if f.func.is_async else ""
        if f.kind == "method":
            name, kind = f"[method]{resource.name}.{f.name.name}", a + "method"
        elif f.kind == "static":
            name, kind = f"[static]{resource.name}.{f.name.name}", a + "static"
        else:
            name, kind = f"[constructor]{resource.name}", "constructor"
        return self.resolve_function(f.docs, f.attrs, name, f.func, kind, rid, f.name.span)

    def resolve_function(self, docs, attrs, name, func: ast.Func, kind, resource, span):
        stab = stability_of(attrs)
        params: dict[str, m.Type] = {}
        if kind.endswith("method"):
            borrow = m.Handle("borrow", resource)
            params["self"] = self.anon_type(borrow, self.find_stability(borrow, None), span)
        for pname, pty in func.params:
            if pname.name in params:
                raise pname.span.error(f"param `{pname.name}` is defined more than once")
            params[pname.name] = self.resolve_type(pty, None)
        if kind == "constructor":
            if func.result is None:
                result = resource
            else:
                result = self.resolve_type(func.result, None)
                td = self.u.types[result] if isinstance(result, int) else None
                if td is None or not isinstance(td.kind, m.Result):
                    raise func.result.span.error(
                        "if a constructor return type is declared it must be a `result`")
                if td.kind.ok != resource:
                    sp = func.result.args[0].span if func.result.args[0] else func.result.span
                    raise sp.error("the `ok` type must be the resource being constructed")
        else:
            result = self.resolve_opt(func.result, None)
        return m.Function(name, kind, list(params.items()), result, resource,
                          process_docs(docs), stab)


# -- parsing files into package groups -------------------------------------------------------

class _Group:
    """The packages of one file or directory: the main one plus `package x:y { }` blocks."""

    def __init__(self):
        self.main: Unresolved | None = None
        self.nested: list[Unresolved] = []
        self.paths: list[str] = []


def _parse_group(sources: list[Source]) -> _Group:
    files = [(s, parse_source(s)) for s in sources]
    group = _Group()
    group.paths = [s.path for s in sources]
    main_name = None
    main_docs: list[str] = []
    decls = []
    for src, f in files:
        if f.package is not None:
            n = f.package.name
            if main_name is not None and _pkg_name(n) != _pkg_name(main_name):
                raise n.span.error(f"package identifier `{n}` does not match previous package "
                                   f"name of `{main_name}`")
            main_name = n
            if f.package.docs:
                if main_docs:
                    raise n.span.error("found doc comments on multiple 'package' items")
                main_docs = f.package.docs
        for nested in f.nested:
            group.nested.append(_PackageResolver(nested.decl.name, nested.decl.docs,
                                                 [nested.decls]).resolve())
        if f.package is None and f.nested and f.decls.items:
            item = f.decls.items[0]
            sp = item.span if isinstance(item, ast.TopUse) else item.name.span
            raise sp.error("WIT files with nested packages must declare a root package "
                           "with `package x:y;` first, or put all items in package blocks")
        decls.append(f.decls)
    if main_name is None:
        if group.nested and not any(d.items for d in decls):
            group.main = group.nested.pop()
            return group
        where = sources[0].path if sources else "<empty>"
        raise WitError("no `package` header was found in any WIT file for this package",
                       path=where)
    group.main = _PackageResolver(main_name, main_docs, decls).resolve()
    return group


def _read_source(path: Path) -> Source:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise WitError(f"cannot read: {e.strerror}", path=str(path)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise WitError("input file is not valid utf-8", path=str(path)) from None
    return Source(str(path), text)


# -- the Resolve -----------------------------------------------------------------------------

class Resolve:
    """All packages resolved together; see the module docstring for the order of work."""

    def __init__(self, *, features=(), all_features: bool = False):
        self.types: list[m.TypeDef] = []
        self.interfaces: list[m.Interface] = []
        self.worlds: list[m.World] = []
        self.packages: list[m.Package] = []
        self.package_names: dict[m.PackageName, int] = {}
        self.features = set(features)
        self.all_features = all_features

    # -- entry points ----------------------------------------------------------------------

    def push_path(self, path) -> int:
        """Push a WIT file or a directory (its `*.wit` files plus `deps/`); returns the main
        package id."""
        path = Path(path)
        if not path.exists():
            raise WitError("no such file or directory", path=str(path))
        if path.is_dir():
            main = self._parse_dir(path)
            deps = []
            deps_dir = path / "deps"
            if deps_dir.is_dir():
                for entry in sorted(os.listdir(deps_dir)):
                    p = deps_dir / entry
                    if p.is_dir():
                        deps.append(self._parse_dir(p))
                    elif p.suffix == ".wit":
                        deps.append(_parse_group([_read_source(p)]))
            return self._push_groups(main, deps)
        return self._push_groups(_parse_group([_read_source(path)]), [])

    def push_with_deps(self, main, deps=()) -> int:
        """Push package `main` (a file or directory) together with `deps` (files or directories,
        each one package plus its nested ones), resolving them in dependency order."""
        def group(p):
            p = Path(p)
            return self._parse_dir(p) if p.is_dir() else _parse_group([_read_source(p)])
        return self._push_groups(group(main), [group(d) for d in deps])

    def push_texts(self, main: tuple[str, str], deps=()) -> int:
        """Like :meth:`push_with_deps` for in-memory files given as ``(path, text)`` pairs."""
        return self._push_groups(_parse_group([Source(*main)]),
                                 [_parse_group([Source(*d)]) for d in deps])

    def push_str(self, text: str, path: str = "<string>") -> int:
        return self._push_groups(_parse_group([Source(path, text)]), [])

    def push_file(self, path) -> int:
        return self._push_groups(_parse_group([_read_source(Path(path))]), [])

    @staticmethod
    def _parse_dir(path: Path) -> _Group:
        sources = [_read_source(path / n) for n in sorted(os.listdir(path))
                   if n.endswith(".wit") and (path / n).is_file()]
        if not sources:
            raise WitError("no `package` header was found in any WIT file for this package",
                           path=str(path))
        return _parse_group(sources)

    def _push_groups(self, main: _Group, deps: list[_Group]) -> int:
        by_name: dict[m.PackageName, Unresolved] = {}
        for group in [main] + deps:
            for pkg in group.nested + [group.main]:
                if pkg.name in by_name:
                    prev = by_name[pkg.name]
                    raise pkg.span.error(f"package {pkg.name} is defined in two different "
                                         f"locations: {pkg.span.where()} and {prev.span.where()}")
                by_name[pkg.name] = pkg
        order: list[m.PackageName] = []
        done: set = set()
        visiting: set = set()

        def visit(pkg: Unresolved):
            if pkg.name in done:
                return
            for i, dep in enumerate(pkg.foreign_deps):
                if dep in visiting:
                    raise pkg.foreign_dep_spans[i].error("package depends on itself")
                visiting.add(dep)
                if dep in by_name:
                    visit(by_name[dep])
                visiting.discard(dep)
            done.add(pkg.name)
            order.append(pkg.name)

        for name in sorted(by_name, key=m.PackageName.sort_key):
            visit(by_name[name])
        main_id = None
        for name in order:
            pid = self._append(by_name[name])
            if by_name[name] is main.main:
                main_id = pid
        return main_id

    # -- stability -------------------------------------------------------------------------

    def include_stability(self, stab, pkg_id: int, span: Span | None) -> bool:
        if stab is None:
            return True
        if isinstance(stab, m.Stable):
            if pkg_id >= len(self.packages):
                return True
            pkg = self.packages[pkg_id].name
            if pkg.version is None:
                msg = (f"package [{pkg}] contains a feature gate with a version specifier, "
                       "so it must have a version")
                raise span.error(msg) if span else WitError(msg)
            if m._version_key(stab.since) > m._version_key(pkg.version):
                msg = (f"feature gate cannot reference unreleased version {stab.since} of "
                       f"package [{pkg}] (current version {pkg.version})")
                raise span.error(msg) if span else WitError(msg)
            return True
        return stab.feature in self.features or self.all_features

    # -- appending one package -------------------------------------------------------------

    def _append(self, u: Unresolved) -> int:
        if u.name in self.package_names:
            raise u.span.error(f"attempting to re-add package `{u.name}` when it's already "
                               "present in this `Resolve`")
        pid = len(self.packages)
        self.packages.append(m.Package(u.name, u.docs))
        self.package_names[u.name] = pid
        r = _Remap(self, u, pid)
        r.append()
        return pid

    # -- queries ---------------------------------------------------------------------------

    def type_interface_dep(self, tid: int) -> int | None:
        td = self.types[tid]
        if not (isinstance(td.kind, m.Alias) and isinstance(td.kind.type, int)):
            return None
        other = self.types[td.kind.type]
        if td.owner == other.owner:
            return None
        if other.owner and other.owner[0] == "interface":
            return other.owner[1]
        return None

    def interface_direct_deps(self, iid: int) -> list[int]:
        out = []
        for tid in self.interfaces[iid].types.values():
            d = self.type_interface_dep(tid)
            if d is not None:
                out.append(d)
        return out

    def id_of(self, iid: int) -> str | None:
        iface = self.interfaces[iid]
        if iface.name is None or iface.package is None:
            return None
        return self.packages[iface.package].name.interface_id(iface.name)

    def name_world_key(self, key) -> str:
        return key if isinstance(key, str) else (self.id_of(key) or "<unnamed>")

    def select_world(self, pkg_id: int, name: str | None = None) -> int:
        pkg = self.packages[pkg_id]
        if name is None:
            if len(pkg.worlds) != 1:
                raise WitError(f"package `{pkg.name}` has {len(pkg.worlds)} worlds; "
                               "name the one to use")
            return next(iter(pkg.worlds.values()))
        if ":" in name:
            ns, rest = name.split(":", 1)
            pkgname, _, world = rest.rpartition("/")
            version = None
            if "@" in world:
                world, version = world.split("@", 1)
            pid = self.package_names.get(m.PackageName(ns, pkgname, version))
            if pid is None or world not in self.packages[pid].worlds:
                raise WitError(f"world `{name}` not found")
            return self.packages[pid].worlds[world]
        if name not in pkg.worlds:
            raise WitError(f"world `{name}` not found in package `{pkg.name}`")
        return pkg.worlds[name]

    # -- elaboration -----------------------------------------------------------------------

    def _sort_key(self, item) -> int:
        if isinstance(item, m.WorldInterface):
            return 0
        if isinstance(item, m.WorldType):
            td = self.types[item.id]
            if isinstance(td.kind, m.Alias) and isinstance(td.kind.type, int) and \
                    self.types[td.kind.type].owner != td.owner:
                return 1
            return 2
        return 3 if item.func.resource is None else 4

    def elaborate_world(self, wid: int) -> None:
        world = self.worlds[wid]
        new_imports: dict = {}
        items = sorted(world.imports.items(), key=lambda kv: self._sort_key(kv[1]))
        for key, item in items:
            if isinstance(item, m.WorldInterface):
                self._elaborate_import(new_imports, key, item.id, item.stability, item)
            elif isinstance(item, m.WorldFunction):
                new_imports[key] = item
            else:
                dep = self.type_interface_dep(item.id)
                if dep is not None:
                    self._elaborate_import(new_imports, dep, dep, self.types[item.id].stability)
                new_imports[key] = item
        new_exports: dict = {}
        export_ifaces: list = []
        for key, item in world.exports.items():
            if isinstance(item, m.WorldInterface):
                export_ifaces.append((item.id, key, item))
            else:
                new_exports[key] = item
        exported_ids = {e[0] for e in export_ifaces}
        required: set = set()

        def add_export(iid, key, is_export, stab, orig=None) -> bool:
            if key in new_exports:
                return is_export
            if not is_export and iid in required:
                return True
            for dep in self.interface_direct_deps(iid):
                if not add_export(dep, dep, is_export and dep in exported_ids, stab):
                    return False
            item = orig if orig is not None else m.WorldInterface(iid, stab)
            if is_export:
                if iid in required:
                    return False
                new_exports[key] = item
            else:
                required.add(iid)
                if key not in new_imports:
                    new_imports[key] = item
            return True

        for iid, key, orig in export_ifaces:
            if not add_export(iid, key, True, orig.stability, orig):
                raise WitError(f"failed to elaborate world imports/exports of `{world.name}`: "
                               f"interface `{self.name_world_key(key)}` transitively depends on "
                               "an interface in incompatible ways")
        world.imports = dict(sorted(new_imports.items(), key=lambda kv: self._sort_key(kv[1])))
        world.exports = new_exports

    def _elaborate_import(self, imports, key, iid, stab, orig=None) -> None:
        if key in imports:
            return
        for dep in self.interface_direct_deps(iid):
            self._elaborate_import(imports, dep, dep, stab)
        imports[key] = orig if orig is not None else m.WorldInterface(iid, stab)


def _rename(original: str, old: str, new: str) -> str | None:
    if original == old:
        return new
    if "]" not in original:
        return None
    kind, rest = original.split("]", 1)
    if "." in rest:
        name, tail = rest.split(".", 1)
        if name == old:
            return f"{kind}]{new}.{tail}"
        return None
    if rest == old:
        return f"{kind}]{new}"
    return None


class _Remap:
    """Moves one :class:`Unresolved` into a :class:`Resolve`, rewriting its local ids."""

    def __init__(self, resolve: Resolve, u: Unresolved, pid: int):
        self.r, self.u, self.pid = resolve, u, pid
        self.types: list[int | None] = []
        self.interfaces: list[int | None] = []
        self.worlds: list[int | None] = []
        self.own_handles: dict[int, int] = {}

    def _map(self, table, idx, desc, span):
        got = table[idx]
        if got is None:
            msg = (f"found a reference to a {desc} which is excluded due to its feature not "
                   "being activated")
            raise span.error(msg) if span else WitError(msg)
        return got

    def map_type(self, t, span):
        return self._map(self.types, t, "type", span)

    def map_iface(self, i, span):
        return self._map(self.interfaces, i, "interface", span)

    def map_world(self, w, span):
        return self._map(self.worlds, w, "world", span)

    def append(self) -> None:
        r, u, pid = self.r, self.u, self.pid
        self.process_foreign_deps()
        n_types, n_ifaces, n_worlds = len(self.types), len(self.interfaces), len(self.worlds)
        for i in range(n_types, len(u.types)):
            td, span = u.types[i], u.type_spans[i]
            if not r.include_stability(td.stability, pid, span):
                self.types.append(None)
                continue
            self.update_typedef(td, span)
            r.types.append(td)
            new = len(r.types) - 1
            if td.name is None and td.owner is None and isinstance(td.kind, m.Handle) \
                    and td.kind.kind == "own":
                new = self.own_handles.setdefault(td.kind.resource, new)
            self.types.append(new)
        for i in range(n_ifaces, len(u.interfaces)):
            iface = u.interfaces[i]
            span, fspans = u.interface_spans[i]
            if not r.include_stability(iface.stability, pid, span):
                self.interfaces.append(None)
                continue
            iface.package = pid
            self.update_interface(iface, span, fspans)
            r.interfaces.append(iface)
            self.interfaces.append(len(r.interfaces) - 1)
        for i in range(n_types, len(u.types)):
            new = self.types[i]
            if new is None:
                continue
            owner = r.types[new].owner
            if owner and owner[0] == "interface" and not isinstance(owner, _Mapped):
                r.types[new].owner = _Mapped(("interface", self.map_iface(owner[1],
                                                                           u.type_spans[i])))
        for i in range(n_worlds, len(u.worlds)):
            world, spans = u.worlds[i], u.world_spans[i]
            if not r.include_stability(world.stability, pid, spans["span"]):
                self.worlds.append(None)
                continue
            self.update_world(world, spans)
            r.worlds.append(world)
            self.worlds.append(len(r.worlds) - 1)
        for i in range(n_types, len(u.types)):
            new = self.types[i]
            if new is None:
                continue
            owner = r.types[new].owner
            if owner and owner[0] == "world" and not isinstance(owner, _Mapped):
                r.types[new].owner = _Mapped(("world", self.map_world(owner[1], u.type_spans[i])))
        for i in range(n_types, len(u.types)):
            new = self.types[i]
            if new is not None and isinstance(r.types[new].owner, _Mapped):
                r.types[new].owner = tuple(r.types[new].owner)
        for i in range(n_worlds, len(u.worlds)):
            wid = self.worlds[i]
            if wid is None:
                continue
            self.process_includes(wid, u.world_spans[i])
            try:
                r.elaborate_world(wid)
            except WitError as e:
                if e.path is None:
                    raise u.world_spans[i]["span"].error(e.message) from None
                raise
        for i in range(n_ifaces, len(u.interfaces)):
            iid = self.interfaces[i]
            if iid is None:
                continue
            iface = r.interfaces[iid]
            iface.package = pid
            if iface.name is not None:
                r.packages[pid].interfaces[iface.name] = iid
        for i in range(n_worlds, len(u.worlds)):
            wid = self.worlds[i]
            if wid is None:
                continue
            r.worlds[wid].package = pid
            r.packages[pid].worlds[r.worlds[wid].name] = wid

    def process_foreign_deps(self) -> None:
        r, u = self.r, self.u
        iface_pkg, world_pkg = {}, {}
        for i, (pname, items) in enumerate(u.foreign_deps.items()):
            for name, (item, stabs) in items.items():
                target = iface_pkg if item[0] == "interface" else world_pkg
                target[item[1]] = (pname, name, u.foreign_dep_spans[i], stabs)
        for i, iface in enumerate(u.interfaces):
            if i not in iface_pkg:
                break
            pname, name, dep_span, stabs = iface_pkg[i]
            if pname not in r.package_names:
                known = ", ".join(str(p) for p in r.package_names) or "none"
                raise dep_span.error(f"package '{pname}' not found. known packages: {known}")
            span = u.interface_spans[i][0]
            if not any(r.include_stability(s, self.pid, span) for s in stabs):
                self.interfaces.append(None)
                continue
            pkg = r.packages[r.package_names[pname]]
            if name not in pkg.interfaces:
                raise span.error("interface not found in package")
            self.interfaces.append(pkg.interfaces[name])
        for i, world in enumerate(u.worlds):
            if i not in world_pkg:
                break
            pname, name, dep_span, stabs = world_pkg[i]
            if pname not in r.package_names:
                raise dep_span.error("package not found")
            span = u.world_spans[i]["span"]
            if not any(r.include_stability(s, self.pid, span) for s in stabs):
                self.worlds.append(None)
                continue
            pkg = r.packages[r.package_names[pname]]
            if name not in pkg.worlds:
                raise span.error("world not found in package")
            self.worlds.append(pkg.worlds[name])
        for i, td in enumerate(u.types):
            if not isinstance(td.kind, m.Unknown):
                break
            span = u.type_spans[i]
            if not r.include_stability(td.stability, self.pid, span):
                self.types.append(None)
                continue
            iid = self.map_iface(td.owner[1], None)
            found = r.interfaces[iid].types.get(td.name)
            if found is None:
                raise span.error(f"type `{td.name}` not defined in interface")
            self.types.append(found)
        for tid, span in u.required_resource_types:
            try:
                cur = self.map_type(tid, span)
            except WitError:
                continue
            while True:
                kind = r.types[cur].kind
                if isinstance(kind, m.Alias) and isinstance(kind.type, int):
                    cur = kind.type
                elif isinstance(kind, m.Resource):
                    break
                else:
                    raise span.error("type used in a handle must be a resource")

    def update_typedef(self, td: m.TypeDef, span) -> None:
        k = td.kind
        if isinstance(k, m.Handle):
            k.resource = self.map_type(k.resource, span)
        elif isinstance(k, m.Record):
            for f in k.fields:
                f.type = self.update_ty(f.type, span)
        elif isinstance(k, m.Tuple):
            k.types = [self.update_ty(t, span) for t in k.types]
        elif isinstance(k, m.Variant):
            for c in k.cases:
                if c.type is not None:
                    c.type = self.update_ty(c.type, span)
        elif isinstance(k, (m.List, m.FixedSizeList)):
            k.element = self.update_ty(k.element, span)
        elif isinstance(k, m.Option):
            k.type = self.update_ty(k.type, span)
        elif isinstance(k, (m.Future, m.Stream)):
            if k.type is not None:
                k.type = self.update_ty(k.type, span)
        elif isinstance(k, m.Map):
            k.key = self.update_ty(k.key, span)
            k.value = self.update_ty(k.value, span)
        elif isinstance(k, m.Result):
            if k.ok is not None:
                k.ok = self.update_ty(k.ok, span)
            if k.err is not None:
                k.err = self.update_ty(k.err, span)
        elif isinstance(k, m.Alias):
            if isinstance(k.type, int):
                k.type = self.map_type(k.type, span)

    def update_ty(self, t, span):
        if not isinstance(t, int):
            return t
        t = self.map_type(t, span)
        cur = t
        types = self.r.types
        while isinstance(types[cur].kind, m.Alias) and isinstance(types[cur].kind.type, int):
            cur = types[cur].kind.type
        if isinstance(types[cur].kind, m.Resource):
            if t not in self.own_handles:
                types.append(m.TypeDef(m.Handle("own", t)))
                self.own_handles[t] = len(types) - 1
            return self.own_handles[t]
        return t

    def update_interface(self, iface: m.Interface, span, fspans) -> None:
        r = self.r
        iface.types = {n: self.map_type(t, span) for n, t in iface.types.items()
                       if self.types[t] is not None}
        funcs = {}
        for (name, f), fspan in zip(iface.functions.items(), fspans):
            if not r.include_stability(f.stability, self.pid, fspan):
                continue
            self.update_function(f, fspan)
            funcs[name] = f
        iface.functions = funcs

    def update_function(self, f: m.Function, span) -> None:
        if f.resource is not None:
            f.resource = self.map_type(f.resource, span)
        f.params = [(n, self.update_ty(t, span)) for n, t in f.params]
        if f.result is not None:
            f.result = self.update_ty(f.result, span)
            if self.has_borrow(f.result):
                raise span.error("function returns a type which contains a `borrow<T>` which "
                                 "is not supported")

    def has_borrow(self, t, seen=None) -> bool:
        if not isinstance(t, int):
            return False
        k = self.r.types[t].kind
        if isinstance(k, m.Handle):
            return k.kind == "borrow"
        if isinstance(k, m.Alias):
            return self.has_borrow(k.type)
        if isinstance(k, m.Record):
            return any(self.has_borrow(f.type) for f in k.fields)
        if isinstance(k, m.Variant):
            return any(self.has_borrow(c.type) for c in k.cases if c.type is not None)
        if isinstance(k, m.Tuple):
            return any(self.has_borrow(x) for x in k.types)
        if isinstance(k, (m.List, m.FixedSizeList)):
            return self.has_borrow(k.element)
        if isinstance(k, (m.Option, m.Future, m.Stream)):
            return self.has_borrow(k.type)
        if isinstance(k, m.Map):
            return self.has_borrow(k.key) or self.has_borrow(k.value)
        if isinstance(k, m.Result):
            return self.has_borrow(k.ok) or self.has_borrow(k.err)
        return False

    def update_world(self, world: m.World, spans) -> None:
        r = self.r
        items = [(k, v, s, True) for (k, v), s in zip(world.imports.items(), spans["imports"])]
        items += [(k, v, s, False) for (k, v), s in zip(world.exports.items(), spans["exports"])]
        world.imports, world.exports = {}, {}
        for key, item, span, is_import in items:
            if isinstance(item, m.WorldType):
                item.id = self.map_type(item.id, span)
                stab = r.types[item.id].stability
            elif isinstance(item, m.WorldInterface):
                stab = item.stability
            else:
                stab = item.func.stability
            if not r.include_stability(stab, self.pid, span):
                continue
            if isinstance(key, int):
                key = self.map_iface(key, span)
            if isinstance(item, m.WorldInterface):
                item.id = self.map_iface(item.id, span)
            elif isinstance(item, m.WorldFunction):
                self.update_function(item.func, span)
            (world.imports if is_import else world.exports)[key] = item

    def process_includes(self, wid: int, spans) -> None:
        r = self.r
        world = r.worlds[wid]
        includes, world.includes = world.includes, []
        for stab, target, names, span in includes:
            if not r.include_stability(stab, self.pid, span):
                continue
            self.resolve_include(wid, self.map_world(target, span), names, span)
        for label, items in (("import", world.imports), ("export", world.exports)):
            seen: dict[str, str] = {}
            for key in items:
                if isinstance(key, str):
                    low = key.lower()
                    if low in seen and seen[low] != key:
                        raise spans["span"].error(
                            f"{label} `{key}` conflicts with {label} `{seen[low]}` "
                            "(kebab-case identifiers are case-insensitive)")
                    seen[low] = key

    def resolve_include(self, wid, inc_id, names, span) -> None:
        r = self.r
        world, inc = r.worlds[wid], r.worlds[inc_id]
        pending = list(names)
        for key in list(inc.imports) + list(inc.exports):
            if isinstance(key, str):
                pending = [n for n in pending if _rename(key, *n) is None]
        if pending:
            raise span.error(f"no import or export kebab-name `{pending[0][0]}`. Note that an "
                             "ID does not support renaming")
        cloner = _Cloner(r, ("world", inc_id), ("world", wid))
        for label, src, dst in (("import", inc.imports, world.imports),
                                ("export", inc.exports, world.exports)):
            for key, item in list(src.items()):
                if isinstance(key, str):
                    new_key = next((x for x in (_rename(key, *n) for n in names) if x), key)
                    new_item = cloner.world_item(item)
                    if isinstance(new_item, m.WorldFunction):
                        new_item.func.name = new_key
                    elif isinstance(new_item, m.WorldType):
                        r.types[new_item.id].name = new_key
                    if new_key in dst:
                        raise span.error(f"{label} of `{new_key}` shadows previously "
                                         f"{label}ed items")
                    dst[new_key] = new_item
                else:
                    if key not in dst:
                        dst[key] = m.WorldInterface(item.id, item.stability, item.docs)


class _Mapped(tuple):
    """An owner already rewritten to a Resolve id (so a second pass leaves it alone)."""


class _Cloner:
    """Copies world-owned types (and what refers to them) when a world is `include`d."""

    def __init__(self, resolve: Resolve, old_owner, new_owner):
        self.r, self.old, self.new = resolve, old_owner, new_owner
        self.map: dict[int, int] = {}

    def type_id(self, t: int) -> int:
        if t in self.map:
            return self.map[t]
        td = self.r.types[t]
        if td.owner is not None and td.owner != self.old:
            return t
        if td.owner is None and not self._refers_to_old(t):
            return t
        import copy
        new = copy.deepcopy(td)
        if new.owner == self.old and not isinstance(new.kind, m.Resource):
            new.owner = self.new
        elif new.owner == self.old:
            new.owner = self.new
        self._update_kind(new.kind)
        self.r.types.append(new)
        self.map[t] = len(self.r.types) - 1
        return self.map[t]

    def _refers_to_old(self, t) -> bool:
        if not isinstance(t, int):
            return False
        td = self.r.types[t]
        if td.owner == self.old:
            return True
        if td.owner is not None:
            return False
        k = td.kind
        return any(self._refers_to_old(x) for x in _kind_types(k))

    def ty(self, t):
        return self.type_id(t) if isinstance(t, int) else t

    def _update_kind(self, k) -> None:
        if isinstance(k, m.Alias):
            k.type = self.ty(k.type)
        elif isinstance(k, m.Handle):
            k.resource = self.type_id(k.resource)
        elif isinstance(k, m.Record):
            for f in k.fields:
                f.type = self.ty(f.type)
        elif isinstance(k, m.Variant):
            for c in k.cases:
                c.type = self.ty(c.type) if c.type is not None else None
        elif isinstance(k, m.Tuple):
            k.types = [self.ty(x) for x in k.types]
        elif isinstance(k, (m.List, m.FixedSizeList)):
            k.element = self.ty(k.element)
        elif isinstance(k, (m.Option, m.Future, m.Stream)):
            k.type = self.ty(k.type) if k.type is not None else None
        elif isinstance(k, m.Map):
            k.key, k.value = self.ty(k.key), self.ty(k.value)
        elif isinstance(k, m.Result):
            k.ok = self.ty(k.ok) if k.ok is not None else None
            k.err = self.ty(k.err) if k.err is not None else None

    def world_item(self, item):
        import copy
        if isinstance(item, m.WorldType):
            return m.WorldType(self.type_id(item.id))
        if isinstance(item, m.WorldFunction):
            f = copy.deepcopy(item.func)
            if f.resource is not None:
                f.resource = self.type_id(f.resource)
            f.params = [(n, self.ty(t)) for n, t in f.params]
            f.result = self.ty(f.result) if f.result is not None else None
            return m.WorldFunction(f)
        return m.WorldInterface(item.id, item.stability, item.docs)


def _kind_types(k) -> list:
    if isinstance(k, m.Alias):
        return [k.type]
    if isinstance(k, m.Handle):
        return [k.resource]
    if isinstance(k, m.Record):
        return [f.type for f in k.fields]
    if isinstance(k, m.Variant):
        return [c.type for c in k.cases if c.type is not None]
    if isinstance(k, m.Tuple):
        return list(k.types)
    if isinstance(k, (m.List, m.FixedSizeList)):
        return [k.element]
    if isinstance(k, (m.Option, m.Future, m.Stream)):
        return [k.type] if k.type is not None else []
    if isinstance(k, m.Map):
        return [k.key, k.value]
    if isinstance(k, m.Result):
        return [x for x in (k.ok, k.err) if x is not None]
    return []
