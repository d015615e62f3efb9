"""Render a :class:`Resolve` as the JSON wit-parser's serde output uses (its ui tests' shape).

Fields are emitted in wit-parser's order and optional ones (docs, stability, a function's result)
are left out when empty, so ``json.dumps(resolve_to_json(r), indent=2)`` can be compared as text.
"""
from __future__ import annotations

from . import model as m


def _stability(s) -> dict | None:
    if s is None:
        return None
    if isinstance(s, m.Stable):
        body = {"since": s.since}
        if s.deprecated:
            body["deprecated"] = s.deprecated
        return {"stable": body}
    body = {"feature": s.feature}
    if s.deprecated:
        body["deprecated"] = s.deprecated
    return {"unstable": body}


def _extras(d: dict, docs, stability) -> dict:
    if docs is not None:
        d["docs"] = {"contents": docs}
    if stability is not None:
        d["stability"] = _stability(stability)
    return d


def _kind(k):
    if isinstance(k, m.Resource):
        return "resource"
    if isinstance(k, m.Alias):
        return {"type": k.type}
    if isinstance(k, m.Record):
        return {"record": {"fields": [_extras({"name": f.name, "type": f.type}, f.docs, None)
                                      for f in k.fields]}}
    if isinstance(k, m.Variant):
        return {"variant": {"cases": [_extras({"name": c.name, "type": c.type}, c.docs, None)
                                      for c in k.cases]}}
    if isinstance(k, m.Enum):
        return {"enum": {"cases": [_extras({"name": c.name}, c.docs, None) for c in k.cases]}}
    if isinstance(k, m.Flags):
        return {"flags": {"flags": [_extras({"name": f.name}, f.docs, None) for f in k.flags]}}
    if isinstance(k, m.Tuple):
        return {"tuple": {"types": list(k.types)}}
    if isinstance(k, m.List):
        return {"list": k.element}
    if isinstance(k, m.FixedSizeList):
        return {"fixed-length-list": [k.element, k.size]}
    if isinstance(k, m.Map):
        return {"map": [k.key, k.value]}
    if isinstance(k, m.Option):
        return {"option": k.type}
    if isinstance(k, m.Result):
        return {"result": {"ok": k.ok, "err": k.err}}
    if isinstance(k, m.Future):
        return {"future": k.type}
    if isinstance(k, m.Stream):
        return {"stream": k.type}
    if isinstance(k, m.Handle):
        return {"handle": {k.kind: k.resource}}
    raise AssertionError(k)


def function_to_json(f: m.Function) -> dict:
    kind = f.kind if f.resource is None else {f.kind: f.resource}
    d = {"name": f.name, "kind": kind,
         "params": [{"name": n, "type": t} for n, t in f.params]}
    if f.result is not None:
        d["result"] = f.result
    return _extras(d, f.docs, f.stability)


def _world_item(item) -> dict:
    if isinstance(item, m.WorldInterface):
        body = {"id": item.id}
        if item.stability is not None:
            body["stability"] = _stability(item.stability)
        return {"interface": body}
    if isinstance(item, m.WorldFunction):
        return {"function": function_to_json(item.func)}
    return {"type": item.id}


def _key(k) -> str:
    return f"interface-{k}" if isinstance(k, int) else k


def resolve_to_json(r) -> dict:
    worlds = []
    for w in r.worlds:
        d = {"name": w.name,
             "imports": {_key(k): _world_item(v) for k, v in w.imports.items()},
             "exports": {_key(k): _world_item(v) for k, v in w.exports.items()},
             "package": w.package}
        worlds.append(_extras(d, w.docs, w.stability))
    interfaces = []
    for i in r.interfaces:
        d = {"name": i.name, "types": dict(i.types),
             "functions": {n: function_to_json(f) for n, f in i.functions.items()}}
        _extras(d, i.docs, i.stability)
        d["package"] = i.package
        interfaces.append(d)
    types = []
    for t in r.types:
        owner = None if t.owner is None else {t.owner[0]: t.owner[1]}
        types.append(_extras({"name": t.name, "kind": _kind(t.kind), "owner": owner},
                             t.docs, t.stability))
    packages = []
    for p in r.packages:
        d = {"name": str(p.name)}
        if p.docs is not None:
            d["docs"] = {"contents": p.docs}
        d["interfaces"] = dict(p.interfaces)
        d["worlds"] = dict(p.worlds)
        packages.append(d)
    return {"worlds": worlds, "interfaces": interfaces, "types": types, "packages": packages}
