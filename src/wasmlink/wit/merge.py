"""The union of two worlds: what `component new` does with a module's several component-type
sections.

The result lives in a copy of the first world's Resolve; the second world's items are mapped
into it one id at a time. An interface is the same interface when its qualified name
(``ns:pkg/iface@ver``) is, or for an inline ``import x: interface {...}`` when the world key is;
its types are unified by name (a type both sides define must be the same definition once its
references are mapped), and types or functions only one side has are added, after the first
side's. Anonymous types are compared by structure, named ones by identity, so ``use``d types
and resources stay one type. World imports and exports are unioned by key; the merged world is
then elaborated again, so an interface that gained a dependency still comes after it. Any
difference between two definitions of the same item is a :class:`WitError` naming the item.
"""
from __future__ import annotations

import copy

from . import model as wm
from .errors import WitError


def _kind_key(kind, type_key):
    if isinstance(kind, wm.Record):
        return ("record", tuple((f.name, type_key(f.type)) for f in kind.fields))
    if isinstance(kind, wm.Variant):
        return ("variant", tuple((c.name, type_key(c.type)) for c in kind.cases))
    if isinstance(kind, wm.Enum):
        return ("enum", tuple(c.name for c in kind.cases))
    if isinstance(kind, wm.Flags):
        return ("flags", tuple(f.name for f in kind.flags))
    if isinstance(kind, wm.Tuple):
        return ("tuple", tuple(type_key(t) for t in kind.types))
    if isinstance(kind, wm.Handle):
        return ("handle", kind.kind, type_key(kind.resource))
    if isinstance(kind, wm.Resource):
        return ("resource",)
    fields = tuple(v if isinstance(kind, wm.FixedSizeList) and name == "size" else type_key(v)
                   for name, v in vars(kind).items())
    return (type(kind).__name__,) + fields


class _Merger:
    """Maps the items of ``src`` into ``into`` (a Resolve that the merge may extend)."""

    def __init__(self, into, src):
        self.r = into
        self.src = src
        self.types: dict[int, int] = {}
        self.interfaces: dict[int, int] = {}
        self.qualified = {into.id_of(i): i for i in range(len(into.interfaces))
                          if into.id_of(i) is not None}
        self.anonymous = {}
        for tid, td in enumerate(into.types):
            if td.name is None:
                self.anonymous.setdefault(self.kind_key(td.kind), tid)
        self.pending: list[tuple[int, int, str]] = []   # (src id, existing id, what) to compare

    # -- structural keys in the target -------------------------------------------------------
    def type_key(self, t):
        if t is None or isinstance(t, str):
            return t
        td = self.r.types[t]
        if td.name is not None:
            return ("named", t)
        return self.kind_key(td.kind)

    def kind_key(self, kind):
        return _kind_key(kind, self.type_key)

    # -- mapping -----------------------------------------------------------------------------
    def package(self, spid: int | None) -> int | None:
        if spid is None:
            return None
        src = self.src.packages[spid]
        pid = self.r.package_names.get(src.name)
        if pid is None:
            pid = len(self.r.packages)
            self.r.packages.append(wm.Package(src.name, src.docs))
            self.r.package_names[src.name] = pid
        return pid

    def ty(self, t):
        if t is None or isinstance(t, str):
            return t
        if t in self.types:
            return self.types[t]
        td = self.src.types[t]
        if td.name is None:
            kind = self.kind(td.kind)
            key = self.kind_key(kind)
            tid = self.anonymous.get(key)
            if tid is None:
                tid = len(self.r.types)
                self.r.types.append(wm.TypeDef(kind, None, None, td.docs, td.stability))
                self.anonymous[key] = tid
            self.types[t] = tid
            return tid
        if td.owner is not None and td.owner[0] == "interface":
            self.interface(td.owner[1])
            return self.types[t]
        raise WitError(f"type `{td.name}` belongs to a world other than the one being merged")

    def kind(self, k):
        k = copy.copy(k)
        if isinstance(k, wm.Record):
            k.fields = [wm.Field(f.name, self.ty(f.type), f.docs) for f in k.fields]
        elif isinstance(k, wm.Variant):
            k.cases = [wm.Case(c.name, self.ty(c.type), c.docs) for c in k.cases]
        elif isinstance(k, wm.Enum):
            k.cases = list(k.cases)
        elif isinstance(k, wm.Flags):
            k.flags = list(k.flags)
        elif isinstance(k, wm.Tuple):
            k.types = [self.ty(t) for t in k.types]
        elif isinstance(k, wm.Handle):
            k.resource = self.ty(k.resource)
        elif isinstance(k, (wm.Alias, wm.Option)):
            k.type = self.ty(k.type)
        elif isinstance(k, (wm.List, wm.FixedSizeList)):
            k.element = self.ty(k.element)
        elif isinstance(k, wm.Map):
            k.key, k.value = self.ty(k.key), self.ty(k.value)
        elif isinstance(k, wm.Result):
            k.ok, k.err = self.ty(k.ok), self.ty(k.err)
        elif isinstance(k, (wm.Future, wm.Stream)):
            k.type = self.ty(k.type)
        return k

    def function(self, f: wm.Function) -> wm.Function:
        return wm.Function(f.name, f.kind, [(n, self.ty(t)) for n, t in f.params],
                           self.ty(f.result), self.ty(f.resource), f.docs, f.stability)

    def function_key(self, f: wm.Function):
        return (f.kind, tuple((n, self.type_key(t)) for n, t in f.params),
                self.type_key(f.result), self.type_key(f.resource))

    def named_types(self, src_types: dict, target: dict, owner, what: str) -> list:
        """Unify ``src_types`` (name -> src id) with ``target`` (name -> id, extended in
        place): names first, so that the definitions can refer to each other."""
        new = []
        for name, stid in src_types.items():
            if name in target:
                self.types[stid] = target[name]
                self.pending.append((stid, target[name], f"type `{name}` of {what}"))
            else:
                td = self.src.types[stid]
                tid = len(self.r.types)
                self.r.types.append(wm.TypeDef(None, name, owner, td.docs, td.stability))
                target[name] = tid
                self.types[stid] = tid
                new.append((stid, tid))
        return new

    def fill(self, new: list) -> None:
        for stid, tid in new:
            self.r.types[tid].kind = self.kind(self.src.types[stid].kind)

    def interface(self, siid: int, target: int | None = None, package: int | None = None) -> int:
        if siid in self.interfaces:
            return self.interfaces[siid]
        src = self.src.interfaces[siid]
        qualified = self.src.id_of(siid)
        if target is None and qualified is not None:
            target = self.qualified.get(qualified)
        if target is None:
            target = len(self.r.interfaces)
            pid = self.package(src.package) if qualified is not None else package
            self.r.interfaces.append(wm.Interface(src.name, docs=src.docs,
                                                  stability=src.stability, package=pid))
            if qualified is not None:
                self.r.packages[pid].interfaces[src.name] = target
                self.qualified[qualified] = target
        self.interfaces[siid] = target
        iface = self.r.interfaces[target]
        what = f"interface `{qualified or src.name or 'inline'}`"
        self.fill(self.named_types(src.types, iface.types, ("interface", target), what))
        for name, f in src.functions.items():
            mapped = self.function(f)
            if name not in iface.functions:
                iface.functions[name] = mapped
            elif self.function_key(mapped) != self.function_key(iface.functions[name]):
                raise WitError(f"cannot merge worlds: function `{name}` of {what} has "
                               f"different signatures")
        return target

    def check(self) -> None:
        for stid, tid, what in self.pending:
            if self.kind_key(self.kind(self.src.types[stid].kind)) != \
                    self.kind_key(self.r.types[tid].kind):
                raise WitError(f"cannot merge worlds: {what} is defined differently")
        self.pending = []

    # -- worlds ------------------------------------------------------------------------------
    def world(self, swid: int, wid: int) -> None:
        src, world = self.src.worlds[swid], self.r.worlds[wid]
        what = f"world `{world.name}`"
        src_types = {k: item.id for k, item in src.imports.items()
                     if isinstance(item, wm.WorldType)}
        target_types = {}
        for key, item in world.imports.items():
            if isinstance(item, wm.WorldType):
                target_types[key] = item.id
            elif key in src_types:
                raise WitError(f"cannot merge worlds: import `{key}` of {what} is a type in "
                               f"one world and not in the other")
        new = self.named_types(src_types, target_types, ("world", wid), what)
        for stid, tid in new:
            world.imports[self.r.types[tid].name] = wm.WorldType(tid)
        for direction in ("imports", "exports"):
            items = getattr(world, direction)
            for key, item in getattr(src, direction).items():
                if isinstance(item, wm.WorldType):
                    continue
                self.item(items, key, item, wid, f"{direction[:-1]} `"
                          f"{self.src.name_world_key(key)}` of {what}")
        self.fill(new)
        self.check()

    def item(self, items: dict, key, item, wid: int, what: str) -> None:
        if isinstance(item, wm.WorldFunction):
            mapped = self.function(item.func)
            prev = items.get(key)
            if prev is None:
                items[key] = wm.WorldFunction(mapped)
            elif not isinstance(prev, wm.WorldFunction) or \
                    self.function_key(prev.func) != self.function_key(mapped):
                raise WitError(f"cannot merge worlds: {what} is defined differently")
            return
        if isinstance(key, int):
            iid = self.interface(key)
            if iid not in items:
                items[iid] = copy.copy(item)
                items[iid].id = iid
            return
        prev = items.get(key)
        if prev is not None and not isinstance(prev, wm.WorldInterface):
            raise WitError(f"cannot merge worlds: {what} is an interface in one world and a "
                           f"function in the other")
        inline = self.src.interfaces[item.id].name is None
        if prev is not None and inline != (self.r.interfaces[prev.id].name is None):
            raise WitError(f"cannot merge worlds: {what} names different interfaces")
        iid = self.interface(item.id, target=prev.id if prev is not None and inline else None,
                             package=self.r.worlds[wid].package)
        if prev is None:
            items[key] = wm.WorldInterface(iid, item.stability, item.docs)
        elif prev.id != iid:
            raise WitError(f"cannot merge worlds: {what} names different interfaces")


def merge_worlds(resolve_a, world_a: int, resolve_b, world_b: int, *, in_place: bool = False):
    """The union of world ``world_a`` of ``resolve_a`` and ``world_b`` of ``resolve_b``:
    ``(resolve, world id)``, a new Resolve (neither input is changed) holding the first
    world's name and package; with ``in_place``, ``resolve_a`` itself, grown (for a caller
    folding many worlds into one it owns: the copy is most of a merge's cost). Raises WitError
    naming the first item defined differently."""
    resolve = resolve_a if in_place else copy.deepcopy(resolve_a)
    merger = _Merger(resolve, resolve_b)
    merger.world(world_b, world_a)
    resolve.elaborate_world(world_a)
    return resolve, world_a
