"""Exporting an interface from a component being built by `component new`.

The component model requires the types in an export's type to be exported (or imported) names,
so an instance cannot simply be assembled from lifted functions whose types point at the
component's private type definitions. As wit-component does, the functions and types go
through a small nested component: it imports each type (`import-type-<name>`, bound `eq` to
its own copy of the definition, or `sub resource`) and each lifted function
(`import-func-<name>`), and exports them again under their interface names, the functions
ascribed types that name the exported types. The outer component instantiates it with the
real types and functions and exports the instance under the interface's name.
"""
from __future__ import annotations

from ..component import model as cm
from ..errors import LinkError
from ..wit import model as wm
from .builder import ComponentBuilder, ComponentScope


def _named_dependencies(resolve, ty, out: list, seen: set) -> None:
    """Named types reachable from ``ty``, dependencies first."""
    if not isinstance(ty, int) or ty in seen:
        return
    td = resolve.types[ty]
    kind = td.kind
    inner = []
    if isinstance(kind, (wm.Record,)):
        inner = [f.type for f in kind.fields]
    elif isinstance(kind, wm.Variant):
        inner = [c.type for c in kind.cases]
    elif isinstance(kind, wm.Tuple):
        inner = list(kind.types)
    elif isinstance(kind, (wm.List, wm.FixedSizeList)):
        inner = [kind.element]
    elif isinstance(kind, wm.Map):
        inner = [kind.key, kind.value]
    elif isinstance(kind, wm.Option):
        inner = [kind.type]
    elif isinstance(kind, wm.Result):
        inner = [kind.ok, kind.err]
    elif isinstance(kind, (wm.Future, wm.Stream)):
        inner = [kind.type]
    elif isinstance(kind, wm.Handle):
        inner = [kind.resource]
    elif isinstance(kind, wm.Alias):
        inner = [kind.type]
    if td.name is not None:
        seen.add(ty)
    for t in inner:
        _named_dependencies(resolve, t, out, seen)
    if td.name is not None:
        out.append(ty)


def _kebab(name: str) -> str:
    """`[method]r.m` -> `method-r-m`: import names must be kebab-case labels."""
    return name.replace("[", "").replace("]", "-").replace(".", "-")


def export_interface(w, key, iface_id: int, by_function: dict) -> None:
    resolve, b, enc = w.resolve, w.b, w.enc
    iface = resolve.interfaces[iface_id]
    # 1. the interface's own types, defined in the outer component so the lifts can use them
    # (its resources already are: resource.new and friends needed them before the module)
    for tid in iface.types.values():
        td = resolve.types[tid]
        if isinstance(td.kind, wm.Resource) or tid in w.scope.named:
            continue                   # (a task.return before the module may have needed it)
        if isinstance(td.kind, wm.Alias):
            target = enc.valtype(w.scope, td.kind.type)
            w.scope.named[tid] = target if isinstance(target, int) else \
                b.type(cm.PrimitiveType(target))
        else:
            w.scope.named[tid] = b.type(enc._defined(w.scope, td.kind))
    # 2. the functions, lifted
    functions = sorted(iface.functions.values(), key=lambda f: f.resource is None)
    lifted = [(f, w._lift(by_function[id(f)], f, w.scope)) for f in functions]

    # 3. the nested component that names them
    nb = ComponentBuilder()
    ns = ComponentScope(nb)
    args = []
    order: list = []
    seen: set = set()
    for tid in iface.types.values():
        _named_dependencies(resolve, tid, order, seen)
    for f in functions:
        for _, t in f.params:
            _named_dependencies(resolve, t, order, seen)
        _named_dependencies(resolve, f.result, order, seen)
    used_names: set = set()
    for tid in order:
        td = resolve.types[tid]
        arg = f"import-type-{td.name}"
        n = 1
        while arg in used_names:
            n += 1
            arg = f"import-type-{td.name}{n}"
        used_names.add(arg)
        if isinstance(td.kind, wm.Resource):
            extern = cm.ExternType("type", None, "sub resource")
        elif isinstance(td.kind, wm.Alias):
            target = enc.valtype(ns, td.kind.type)
            if isinstance(target, str):
                target = nb.type(cm.PrimitiveType(target))
            extern = cm.ExternType("type", target, "eq")
        else:
            extern = cm.ExternType("type", nb.type(enc._defined(ns, td.kind)), "eq")
        ns.named[tid] = nb.import_(arg, extern)
        outer = w.scope.named.get(tid)
        if outer is None:
            outer = enc.valtype(w.scope, tid)
        args.append((arg, "type", outer))
    imported_funcs = []
    for f, lifted_index in lifted:
        functype = enc._function(ns, f)
        arg = f"import-func-{_kebab(f.name)}"
        imported_funcs.append(nb.import_(arg, cm.ExternType("func", functype)))
        args.append((arg, "func", lifted_index))
    # exports: the interface's types under their names, each a fresh definition naming the
    # types exported before it (an export's type may only name exported or imported types),
    # resources and types `use`d from elsewhere as imported; then the functions, typed with them
    ns.anonymous = {}
    for name, tid in iface.types.items():
        td = resolve.types[tid]
        if isinstance(td.kind, wm.Resource):
            source = ns.named[tid]
        elif isinstance(td.kind, wm.Alias):
            target = enc.valtype(ns, td.kind.type)
            source = target if isinstance(target, int) else nb.type(cm.PrimitiveType(target))
        else:
            source = nb.type(enc._defined(ns, td.kind))
        ns.named[tid] = nb.export(name, "type", source)
    ns.anonymous = {}
    for (f, _), imported in zip(lifted, imported_funcs):
        functype = enc._function(ns, f)
        nb.export(f.name, "func", imported, cm.ExternType("func", functype))
    component = b.component(nb.finish())
    instance = b.instantiate(component, args)
    iface_name = resolve.id_of(iface_id)
    if isinstance(key, int):
        exported = b.export(iface_name, "instance", instance)
    elif iface_name is not None:
        exported = b.export(key, "instance", instance, None, 2, (cm.Implements(iface_name),))
    else:
        exported = b.export(key, "instance", instance)
    # from now on the interface's types are those of the exported instance: later exports
    # that `use` them must name exported types, not this component's private definitions
    w.scope.instance_of[iface_id] = exported
    for tid in iface.types.values():
        w.scope.named.pop(tid, None)
    w.scope.anonymous = {}          # (anonymous types built on the private ones, too)
