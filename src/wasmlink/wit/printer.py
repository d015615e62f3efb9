"""Print resolved packages back to WIT in wasm-tools' canonical style.

The layout follows ``wit-component``'s printer so its ``*.wit.print`` files compare as text:
two-space indentation; in an interface the ``use`` lines come first, grouped by source
interface, then each type and each function separated by a blank line, with resource methods
inside their ``resource`` block; in a world the interface and function imports come first without
blank lines, then ``use``s and types, then exports. Keywords used as names get a ``%`` prefix.
Documentation is always written as ``///`` lines, gates as ``@since``/``@unstable``/``@deprecated``.
"""
from __future__ import annotations

from . import model as m
from .lexer import KEYWORDS


def escape(name: str) -> str:
    return f"%{name}" if name in KEYWORDS else name


class _Out:
    def __init__(self):
        self.lines: list[str] = []
        self.indent = 0

    def line(self, text: str) -> None:
        self.lines.append("  " * self.indent + text if text else "")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


class WitPrinter:
    def __init__(self, resolve):
        self.r = resolve
        self.out = _Out()
        self.any_items = False

    # -- small pieces ----------------------------------------------------------------------

    def docs(self, docs: str | None) -> None:
        if docs is None:
            return
        for line in docs.split("\n"):
            self.out.line(f"/// {line}" if line else "///")

    def stability(self, s) -> None:
        if isinstance(s, m.Stable):
            self.out.line(f"@since(version = {s.since})")
        elif isinstance(s, m.Unstable):
            self.out.line(f"@unstable(feature = {s.feature})")
        if s is not None and s.deprecated:
            self.out.line(f"@deprecated(version = {s.deprecated})")

    def new_item(self) -> None:
        if self.any_items:
            self.out.line("")
        self.any_items = True

    def type_name(self, t) -> str:
        if isinstance(t, str):
            return t
        td = self.r.types[t]
        if td.name is not None:
            return escape(td.name)
        return self.anon_type(td.kind)

    def anon_type(self, k) -> str:
        tn = self.type_name
        if isinstance(k, m.Handle):
            return tn(k.resource) if k.kind == "own" else f"borrow<{tn(k.resource)}>"
        if isinstance(k, m.Tuple):
            return f"tuple<{', '.join(tn(x) for x in k.types)}>"
        if isinstance(k, m.Option):
            return f"option<{tn(k.type)}>"
        if isinstance(k, m.Result):
            if k.ok is None and k.err is None:
                return "result"
            if k.err is None:
                return f"result<{tn(k.ok)}>"
            if k.ok is None:
                return f"result<_, {tn(k.err)}>"
            return f"result<{tn(k.ok)}, {tn(k.err)}>"
        if isinstance(k, m.List):
            return f"list<{tn(k.element)}>"
        if isinstance(k, m.FixedSizeList):
            return f"list<{tn(k.element)}, {k.size}>"
        if isinstance(k, m.Map):
            return f"map<{tn(k.key)}, {tn(k.value)}>"
        if isinstance(k, (m.Future, m.Stream)):
            word = "future" if isinstance(k, m.Future) else "stream"
            return word if k.type is None else f"{word}<{tn(k.type)}>"
        if isinstance(k, m.Alias):
            return tn(k.type)
        raise ValueError(f"cannot print anonymous {type(k).__name__}")

    def function_sig(self, f: m.Function) -> str:
        prefix = "async " if f.kind.startswith("async") else ""
        word = "constructor" if f.kind == "constructor" else "func"
        params = f.params[1:] if f.kind.endswith("method") else f.params
        sig = f"{prefix}{word}(" + ", ".join(f"{escape(n)}: {self.type_name(t)}"
                                              for n, t in params) + ")"
        if f.result is not None:
            if f.kind == "constructor":
                rk = self.r.types[f.result].kind if isinstance(f.result, int) else None
                if not isinstance(rk, m.Result):
                    return sig
            sig += f" -> {self.type_name(f.result)}"
        return sig

    def path_to_interface(self, iid: int, cur_pkg: int) -> str:
        iface = self.r.interfaces[iid]
        if iface.package == cur_pkg:
            return escape(iface.name)
        pkg = self.r.packages[iface.package].name
        v = f"@{pkg.version}" if pkg.version else ""
        return f"{escape(pkg.namespace)}:{escape(pkg.name)}/{escape(iface.name)}{v}"

    # -- types -----------------------------------------------------------------------------

    def print_types(self, owner, types, resource_funcs, cur_pkg) -> None:
        to_declare, to_import = [], []
        for name, tid in types:
            td = self.r.types[tid]
            if isinstance(td.kind, m.Alias) and isinstance(td.kind.type, int):
                other = self.r.types[td.kind.type]
                if other.owner is not None and other.owner != owner:
                    if to_import and to_import[-1][0] == other.owner and \
                            to_import[-1][1] == td.stability:
                        to_import[-1][2].append((name, other.name))
                    else:
                        to_import.append((other.owner, td.stability, [(name, other.name)]))
                    continue
            to_declare.append(tid)
        for src, stab, names in to_import:
            self.any_items = True
            self.stability(stab)
            parts = [escape(mine) if mine == theirs else f"{escape(theirs)} as {escape(mine)}"
                     for mine, theirs in names]
            self.out.line(f"use {self.path_to_interface(src[1], cur_pkg)}.{{{', '.join(parts)}}};")
        for tid in to_declare:
            self.new_item()
            td = self.r.types[tid]
            self.docs(td.docs)
            self.stability(td.stability)
            if isinstance(td.kind, m.Resource):
                self.print_resource(tid, resource_funcs.get(tid, []))
            else:
                self.declare_type(td)

    def print_resource(self, tid: int, funcs) -> None:
        name = escape(self.r.types[tid].name)
        if not funcs:
            self.out.line(f"resource {name};")
            return
        self.out.line(f"resource {name} {{")
        self.out.indent += 1
        for f in funcs:
            self.docs(f.docs)
            self.stability(f.stability)
            if f.kind == "constructor":
                self.out.line(self.function_sig(f) + ";")
            elif f.kind.endswith("static"):
                self.out.line(f"{escape(f.item_name)}: static {self.function_sig(f)};")
            else:
                self.out.line(f"{escape(f.item_name)}: {self.function_sig(f)};")
        self.out.indent -= 1
        self.out.line("}")

    def _block(self, head: str, members: list[tuple[str | None, str]]) -> None:
        self.out.line(f"{head} {{")
        self.out.indent += 1
        for docs, text in members:
            self.docs(docs)
            self.out.line(text)
        self.out.indent -= 1
        self.out.line("}")

    def declare_type(self, td: m.TypeDef) -> None:
        k, name = td.kind, escape(td.name)
        if isinstance(k, m.Record):
            self._block(f"record {name}", [(f.docs, f"{escape(f.name)}: {self.type_name(f.type)},")
                                           for f in k.fields])
        elif isinstance(k, m.Flags):
            self._block(f"flags {name}", [(f.docs, f"{escape(f.name)},") for f in k.flags])
        elif isinstance(k, m.Enum):
            self._block(f"enum {name}", [(c.docs, f"{escape(c.name)},") for c in k.cases])
        elif isinstance(k, m.Variant):
            self._block(f"variant {name}", [
                (c.docs, f"{escape(c.name)}({self.type_name(c.type)}),"
                 if c.type is not None else f"{escape(c.name)},") for c in k.cases])
        elif isinstance(k, m.Handle):
            self.out.line(f"type {name} = {k.kind}<{self.type_name(k.resource)}>;")
        else:
            self.out.line(f"type {name} = {self.anon_type(k)};")

    # -- interfaces and worlds -------------------------------------------------------------

    def print_interface_body(self, iid: int) -> None:
        prev = self.any_items
        self.any_items = False
        iface = self.r.interfaces[iid]
        resource_funcs: dict[int, list] = {}
        free = []
        for f in iface.functions.values():
            if f.resource is not None:
                resource_funcs.setdefault(f.resource, []).append(f)
            else:
                free.append(f)
        self.print_types(("interface", iid), list(iface.types.items()), resource_funcs,
                         iface.package)
        for f in free:
            self.new_item()
            self.docs(f.docs)
            self.stability(f.stability)
            self.out.line(f"{escape(f.name)}: {self.function_sig(f)};")
        self.any_items = prev

    def print_world_item(self, key, item, cur_pkg, desc) -> None:
        if isinstance(item, m.WorldInterface):
            iface = self.r.interfaces[item.id]
            self.docs(iface.docs if iface.name is None and isinstance(key, str) else item.docs)
        else:
            self.docs(item.func.docs)
        stab = item.stability if isinstance(item, m.WorldInterface) else item.func.stability
        self.stability(stab)
        if isinstance(key, str):
            if isinstance(item, m.WorldFunction):
                self.out.line(f"{desc} {escape(key)}: {self.function_sig(item.func)};")
                return
            iface = self.r.interfaces[item.id]
            if iface.name is not None:
                self.out.line(f"{desc} {escape(key)}: "
                              f"{self.path_to_interface(item.id, cur_pkg)};")
                return
            self.out.line(f"{desc} {escape(key)}: interface {{")
            self.out.indent += 1
            self.print_interface_body(item.id)
            self.out.indent -= 1
            self.out.line("}")
            return
        self.out.line(f"{desc} {self.path_to_interface(key, cur_pkg)};")

    def print_world_body(self, wid: int) -> None:
        prev = self.any_items
        self.any_items = False
        world = self.r.worlds[wid]
        types, resource_funcs, funcs = [], {}, []
        for key, item in world.imports.items():
            if isinstance(item, m.WorldType):
                types.append((key, item.id))
                continue
            if isinstance(item, m.WorldFunction):
                if item.func.resource is not None:
                    resource_funcs.setdefault(item.func.resource, []).append(item.func)
                else:
                    funcs.append((key, item))
                continue
            self.print_world_item(key, item, world.package, "import")
            self.any_items = True
        self.print_types(("world", wid), types, resource_funcs, world.package)
        for key, item in funcs:
            self.print_world_item(key, item, world.package, "import")
            self.any_items = True
        if world.exports:
            self.new_item()
        for key, item in world.exports.items():
            self.print_world_item(key, item, world.package, "export")
        self.any_items = prev

    def print_package(self, pid: int) -> str:
        pkg = self.r.packages[pid]
        self.docs(pkg.docs)
        n = pkg.name
        version = f"@{n.version}" if n.version else ""
        self.out.line(f"package {escape(n.namespace)}:{escape(n.name)}{version};")
        self.out.line("")
        for name, iid in pkg.interfaces.items():
            iface = self.r.interfaces[iid]
            self.docs(iface.docs)
            self.stability(iface.stability)
            self.out.line(f"interface {escape(name)} {{")
            self.out.indent += 1
            self.print_interface_body(iid)
            self.out.indent -= 1
            self.out.line("}")
            self.out.line("")
        for name, wid in pkg.worlds.items():
            world = self.r.worlds[wid]
            self.docs(world.docs)
            self.stability(world.stability)
            self.out.line(f"world {escape(name)} {{")
            self.out.indent += 1
            self.print_world_body(wid)
            self.out.indent -= 1
            self.out.line("}")
        return self.out.text()


def print_package(resolve, pkg_id: int) -> str:
    """WIT text of one package of `resolve`, in wasm-tools' canonical layout."""
    return WitPrinter(resolve).print_package(pkg_id)
