"""`component new`: a core module that implements a WIT world, wrapped into a component.

The pipeline, in the order the component's sections come out:

1. **bind**: every import and export of the module is matched, by name and core signature,
   to what the world defines (wit/core_names.py, legacy or cm32p2 names); anything else is an
   error naming the item and the core signature the world expects;
2. **imports**: the interfaces and functions the module uses (and the interfaces their types
   come from) are imported, typed as the world types them (wit/encode.py's encoder, writing
   into the component through builder.ComponentScope);
3. **core instances**: the module itself (its `component-type` sections removed) and, when an
   import needs the module's memory or `cabi_realloc`, the shim that breaks that cycle
   (shims.py); imports that need neither are lowered first and passed straight in; the module is
   instantiated, then the rest are lowered with its memory and the fixup fills the shim's table;
4. **exports**: each exported function is lifted with the options its type needs; an exported
   interface becomes an instance made by a small nested component that gives its functions and
   types their exported names (what the component model's export rules require).

Adapters (a module that turns, say, `wasi_snapshot_preview1` imports into WASI 0.2 imports) are
core modules instantiated alongside: see adapters.py.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from .. import __version__
from ..binary.module import Module
from ..binary.producers import (PROCESSED_BY, ProducersField, ProducersSection,
                                decode_producers, encode_producers)
from ..binary.types import FUNC, I32, MEMORY, FuncType
from ..component import model as cm
from ..component.encode import encode_component
from ..errors import LinkError
from ..wit import model as wm
from ..component.abi import flatten_function, has_pointers, has_strings
from ..wit.core_names import (core_items, function_options, function_shapes, shape,
                              short_version)
from ..wit.encode import WorldEncoder
from .builder import ComponentBuilder, ComponentScope
from .adapters import MAIN_MODULE, blank_dead_functions, inject_stack, realloc_via_memory_grow
from .shims import fixup_module, shim_module

STRING_OPTION = {"utf8": 0x00, "utf16": 0x01, "compact-utf16": 0x02}
OPT_MEMORY, OPT_REALLOC, OPT_POST_RETURN, OPT_ASYNC, OPT_CALLBACK = 0x03, 0x04, 0x05, 0x06, 0x07
CONTEXT_GET, CONTEXT_SET = 0x0A, 0x0B
CONTEXT_SLOTS = {"__wasm_get_stack_pointer": (CONTEXT_GET, 0),
                 "__wasm_set_stack_pointer": (CONTEXT_SET, 0)}
# the TLS base has no context slot of its own in Wasmtime yet: a global in a small module
TLS_BASE = {"__wasm_get_tls_base": "$get-tls-base", "__wasm_set_tls_base": "$set-tls-base"}


def trap_module(signature: FuncType) -> bytes:
    """Exports `trap`, a function of ``signature`` whose body is `unreachable`."""
    from .._native.leb128 import encode_u32
    from ..binary.encode import encode_name, encode_types

    def section(sid, payload):
        return bytes([sid]) + encode_u32(len(payload)) + payload
    return (b"\0asm\x01\0\0\0" + section(1, encode_types([signature]))
            + section(3, b"\x01\x00") + section(7, b"\x01" + encode_name("trap") + b"\x00\x00")
            + section(10, b"\x01\x03\x00\x00\x0b"))


def tls_base_module(width: int = I32) -> bytes:
    """Exports `$get-tls-base` and `$set-tls-base` over one mutable global of ``width``
    (i32, or i64 for wasm64)."""
    from .._native.leb128 import encode_u32
    from ..binary.encode import encode_name, encode_types

    def section(sid, payload):
        return bytes([sid]) + encode_u32(len(payload)) + payload
    types = encode_types([FuncType((), (width,)), FuncType((width,), ())])
    exports = (b"\x02" + encode_name("$get-tls-base") + b"\x00\x00"
               + encode_name("$set-tls-base") + b"\x00\x01")
    get_body = b"\x00\x23\x00\x0b"                  # global.get 0
    set_body = b"\x00\x20\x00\x24\x00\x0b"          # local.get 0, global.set 0
    code = b"\x02" + encode_u32(len(get_body)) + get_body + encode_u32(len(set_body)) + set_body
    return (b"\0asm\x01\0\0\0" + section(1, types) + section(3, b"\x02\x00\x01")
            + section(6, bytes([1, width, 1, 0x41 if width == I32 else 0x42, 0, 0x0b]))
            + section(7, exports)
            + section(10, code))


class Bound(NamedTuple):
    """A module import or export and the world item it implements."""
    module: str | None
    name: str
    item: object              # wit.core_names.CoreItem


def _signature_text(sig: FuncType) -> str:
    from ..binary.types import VALTYPE_NAMES
    p = " ".join(VALTYPE_NAMES.get(t, str(t)) for t in sig.params)
    r = " ".join(VALTYPE_NAMES.get(t, str(t)) for t in sig.results)
    return f"(func (param {p}) (result {r}))".replace(" (param )", "").replace(" (result )", "")


def _uses_standard_names(module: Module) -> bool:
    return any(i.module.startswith("cm32p2") for i in module.imports) or \
        any(e.name.startswith("cm32p2") for e in module.exports)


def type_at(module: Module, index: int, what: str) -> FuncType:
    types = module.types
    if not 0 <= index < len(types) or not isinstance(types[index], FuncType):
        raise LinkError(f"{what} names type {index}, which is not a function type of the "
                        f"module ({len(types)} types)", path=module.path)
    return types[index]


def function_type_of(module: Module, index: int) -> FuncType:
    imported = [i for i in module.imports if i.kind == FUNC]
    if index < len(imported):
        return type_at(module, imported[index].desc, f"function {index}")
    defined = index - len(imported)
    if not 0 <= defined < len(module.functions):
        raise LinkError(f"an export names function {index}, but the module has "
                        f"{len(imported) + len(module.functions)}", path=module.path)
    return type_at(module, module.functions[defined], f"function {index}")


class Link(NamedTuple):
    """A module import that another core module of the component satisfies (not the world):
    ``provider`` is "main" or an adapter's name; ``export`` what it exports; ``kind`` "func" or
    "memory"; ``signature`` the function's core type."""
    provider: str
    export: str
    kind: str
    signature: FuncType | None


DEDUP_MARK = "[duplicate-"


def rename_duplicate_imports(data):
    """A component may not contain a core module importing one name twice: the repeats are
    renamed `NAME[duplicate-K]` (nothing is renumbered; the component passes the same function
    under each name)."""
    from .._native.leb128 import encode_u32
    from ..binary.encode import encode_import_desc, encode_name
    module = Module(data, 0, len(data))
    seen: dict = {}
    renamed = []
    changed = False
    for imp in module.imports:
        key = (imp.module, imp.name)
        seen[key] = seen.get(key, 0) + 1
        name = imp.name if seen[key] == 1 else f"{imp.name}{DEDUP_MARK}{seen[key] - 1}]"
        changed |= name != imp.name
        renamed.append(encode_name(imp.module) + encode_name(name) + bytes([imp.kind])
                       + encode_import_desc(imp.kind, imp.desc))
    if not changed:
        return data
    section = module.section(2)
    payload = encode_u32(len(renamed)) + b"".join(renamed)
    return (bytes(data[:section.start]) + b"\x02" + encode_u32(len(payload)) + payload
            + bytes(data[section.end:]))


class CoreUnit:
    """One core module of the component: the main module or an adapter."""

    def __init__(self, tag: str, data, path: str, adapter: bool):
        self.tag, self.path, self.adapter = tag, path, adapter
        data = rename_duplicate_imports(data)
        self.data = data
        self.module = Module(data, 0, len(data), path=path)
        self.scheme = "standard" if _uses_standard_names(self.module) else "legacy"
        self.imports: list = []       # Bound (world items) and (module, name, Link)
        self.exported = {e.name: e for e in self.module.exports}
        self.instance: int | None = None

    def export_type(self, name: str) -> FuncType | None:
        e = self.exported.get(name)
        if e is None or e.kind != FUNC:
            return None
        return function_type_of(self.module, e.index)


def bind_imports(unit: CoreUnit, items_by_name: dict, world_name: str, links) -> None:
    """Step 1 for one module's imports: each is a world function (checked against the core
    signature the world gives it) or, through ``links(unit, import)``, another module's
    export."""
    for imp in unit.module.imports:
        renamed = imp.name                  # a repeat renamed NAME[duplicate-K]: NAME's item
        imp = imp._replace(name=imp.name.split(DEDUP_MARK)[0])
        link = links(unit, imp)
        if link is not None:
            unit.imports.append((imp.module, renamed, link))
            continue
        item = _compatible_version(items_by_name, imp.module, imp.name) or \
            items_by_name.get((imp.module, imp.name)) or _unit_async_item(imp)
        if item is None:
            raise LinkError(f"module imports `{imp.module}` `{imp.name}`, which world "
                            f"`{world_name}` does not define", path=unit.path)
        if imp.kind != FUNC:
            raise LinkError(f"import `{imp.module}` `{imp.name}` must be a function",
                            path=unit.path)
        actual = type_at(unit.module, imp.desc, f"import `{imp.module}` `{imp.name}`")
        if item.signature is None:      # (stream/future built-ins: Wasmtime checks the type)
            item = item._replace(signature=actual)
        elif actual != item.signature:
            raise LinkError(f"import `{imp.module}` `{imp.name}` has type "
                            f"{_signature_text(actual)}, but world `{world_name}` gives it "
                            f"{_signature_text(item.signature)}", path=unit.path)
        unit.imports.append(Bound(imp.module, renamed, item))


UNIT_ASYNC = re.compile(r"^\[(future|stream)-(new|read|write|cancel-read|cancel-write|"
                        r"drop-readable|drop-writable)-unit\]")


def _unit_async_item(imp):
    """`[future-read-unit]...`: a built-in on `future`/`stream` without a payload, a type the
    component defines for it (no world function names it)."""
    m = UNIT_ASYNC.match(imp.name)
    if m is None or imp.kind != FUNC:
        return None
    from ..wit.core_names import STREAM_BASE, STREAM_OPS, CoreItem
    kind, op = m.groups()
    return CoreItem("import", imp.module, imp.name, "func", None, "stream-op", None, None,
                    optional=True, builtin=(STREAM_BASE[kind] + STREAM_OPS[op], (kind, op)))


def _version_tuple(module: str) -> tuple:
    version = module.rpartition("@")[2].split("+")[0]
    core, _, pre = version.partition("-")
    nums = tuple(int(p) if p.isdigit() else 0 for p in core.split("."))
    return nums + ((1,) if not pre else (0,))


def _compatible_version(items_by_name: dict, module: str, name: str):
    """Semver-compatible versions of an interface are one interface, its newest version (as
    wit-component merges them): an import of `ns:pkg/iface@0.2.6` is the world's
    `ns:pkg/iface@0.2.12`, and a world importing both imports only the newer."""
    if "@" not in module:
        return None
    wanted = short_version(module)
    base = module.rpartition("@")[0]
    best = None
    for (m, n), item in items_by_name.items():
        if n == name and "@" in m and m.rpartition("@")[0] == base and short_version(m) == wanted:
            if best is None or _version_tuple(m) > _version_tuple(best[0]):
                best = (m, item)
    return None if best is None else best[1]


def bind_exports(units: list, items: list, world_name: str) -> dict:
    """Step 1 for exports: each core export the world's exports need, found in the module
    (main or adapter) that has it. Returns core export name -> (unit, CoreItem)."""
    found = {}
    main = units[0]
    alternatives = {}
    for item in items:
        if item.optional:
            alternatives.setdefault(id(item.function), []).append(item)
    for item in items:
        if item.optional:
            continue
        owner = next((u for u in units if item.name in u.exported), None)
        if owner is None and item.role == "func" and id(item.function) in alternatives:
            # an async function lifted with the async ABI (and maybe its callback)
            alts = alternatives[id(item.function)]
            chosen = next((a for a in alts if a.role in ("async-lift", "async-lift-stackful")
                           and any(a.name in u.exported for u in units)), None)
            if chosen is not None:
                item = chosen
                owner = next(u for u in units if item.name in u.exported)
                callback = next((a for a in alts if a.role == "callback"), None)
                if item.role == "async-lift" and callback is not None:
                    if callback.name not in owner.exported:
                        raise LinkError(f"module exports `{item.name}` but not its callback "
                                        f"`{callback.name}`", path=owner.path)
                    found[callback.name] = (owner, callback)
        if owner is None:
            if item.role == "func":
                raise LinkError(f"module does not export `{item.name}`, which world "
                                f"`{world_name}` exports (core type "
                                f"{_signature_text(item.signature)})", path=main.path)
            continue                      # (a resource's destructor is optional)
        if item.role in ("memory", "realloc", "initialize") and owner is not main:
            continue                      # adapters' own memory/realloc are not the component's
        e = owner.exported[item.name]
        if item.kind == "memory":
            if e.kind != MEMORY:
                raise LinkError(f"export `{item.name}` must be a memory", path=owner.path)
        else:
            actual = owner.export_type(item.name)
            if actual is None:
                raise LinkError(f"export `{item.name}` must be a function", path=owner.path)
            if actual != item.signature:
                raise LinkError(f"export `{item.name}` has type {_signature_text(actual)}, but "
                                f"world `{world_name}` needs {_signature_text(item.signature)}",
                                path=owner.path)
        found[item.name] = (owner, item)
    return found


def _options(opts, memory: int | None, realloc: int | None, encoding: str,
             post_return: int | None = None) -> cm.CanonOptions:
    items = []
    if opts.memory:
        items.append(cm.CanonOpt(OPT_MEMORY, memory))
    if opts.realloc and realloc is not None:
        items.append(cm.CanonOpt(OPT_REALLOC, realloc))
    if opts.string_encoding:
        items.append(cm.CanonOpt(STRING_OPTION[encoding]))
    if post_return is not None:
        items.append(cm.CanonOpt(OPT_POST_RETURN, post_return))
    return cm.CanonOptions(tuple(items))


def memory_module_of(memory_type) -> bytes:
    """A module defining one memory of ``memory_type`` and exporting it as `$memory`."""
    from .._native.leb128 import encode_u32
    from ..binary.encode import encode_limits, encode_name
    memories = b"\x01" + encode_limits(memory_type.limits)
    exports = b"\x01" + encode_name("$memory") + b"\x02\x00"
    return (b"\0asm\x01\0\0\0" + b"\x05" + encode_u32(len(memories)) + memories
            + b"\x07" + encode_u32(len(exports)) + exports)


def strip_component_types(module: Module, data) -> list:
    """The module's bytes as chunks, its `component-type*` sections left out and `producers`
    naming wasmlink as a processor."""
    chunks = [bytes(data[module.start:module.start + 8])]
    seen_producers = False
    for s in module.sections:
        if s.id == 0 and s.name.startswith("component-type"):
            continue
        if s.id == 0 and s.name == "producers":
            seen_producers = True
            section = decode_producers(data, s.contents, s.end - s.contents)
            chunks.append(_producers_section(section))
            continue
        chunks.append(data[s.start:s.end])
    if not seen_producers:
        chunks.append(_producers_section(ProducersSection([])))
    return chunks


def _producers_section(section: ProducersSection) -> bytes:
    from .._native.leb128 import encode_u32
    from ..binary.encode import encode_name
    fields = [f for f in section.fields if f.name != PROCESSED_BY]
    processed = [v for f in section.fields if f.name == PROCESSED_BY for v in f.values
                 if v[0] != "wasmlink"]
    processed.insert(0, ("wasmlink", __version__))
    fields.append(ProducersField(PROCESSED_BY, processed))
    body = encode_name("producers") + encode_producers(ProducersSection(fields))
    return b"\x00" + encode_u32(len(body)) + body


class _Wrapper:
    def __init__(self, module_data, resolve, world_id: int, encoding: str, path: str,
                 adapters=(), realloc_via_memory_grow: bool = False):
        self.resolve, self.world_id = resolve, world_id
        self.encoding = encoding
        self.path = path
        self.world = resolve.worlds[world_id]
        self.realloc_via_memory_grow = realloc_via_memory_grow
        self.main = CoreUnit("main", module_data, path, adapter=False)
        self.adapters = [CoreUnit(name, data, apath, adapter=True) for name, data, apath in adapters]
        self.units = [self.main] + self.adapters
        self.imported_memory = None
        self.tls_instance = None
        by_tag = {u.tag: u for u in self.adapters}
        world_name = self.world.name
        for unit in self.units:
            items = core_items(resolve, world_id, unit.scheme)
            wanted = {(i.module, i.name): i for i in items if i.direction == "import"}
            bind_imports(unit, wanted, world_name, lambda u, imp: self._link(u, imp, by_tag))
        # every world export, from whichever module has it (each module by its own scheme)
        export_items = [i for i in core_items(resolve, world_id, self.main.scheme)
                        if i.direction == "export"]
        if any(a.scheme != self.main.scheme for a in self.adapters):
            export_items += [i for a in self.adapters if a.scheme != self.main.scheme
                             for i in core_items(resolve, world_id, a.scheme)
                             if i.direction == "export" and i.role in ("func", "post-return")]
        self.exports = bind_exports(self.units, export_items, world_name)
        self.dead: set[tuple[str, str, str]] = set()     # (adapter, module, name) never reached
        self._collect_adapter_garbage()
        self.b = ComponentBuilder()
        self.scope = ComponentScope(self.b)
        self.enc = WorldEncoder(resolve, world_id)

    def _link(self, unit: CoreUnit, imp, adapters: dict):
        """An import another core module satisfies, or None."""
        if not unit.adapter and imp.module in adapters:
            adapter = adapters[imp.module]
            sig = adapter.export_type(imp.name)
            if sig is None:
                raise LinkError(f"module imports `{imp.module}` `{imp.name}`, which adapter "
                                f"`{imp.module}` does not export", path=unit.path)
            actual = type_at(unit.module, imp.desc, f"import `{imp.module}` `{imp.name}`")
            if actual != sig:
                raise LinkError(f"import `{imp.module}` `{imp.name}` has type "
                                f"{_signature_text(actual)}, but adapter `{imp.module}` exports "
                                f"it as {_signature_text(sig)}", path=unit.path)
            return Link(adapter.tag, imp.name, "func", sig)
        if unit.adapter and imp.module == "env" and imp.kind == MEMORY and imp.name == "memory":
            return Link("main", "memory", "memory", None)
        if imp.module == "env" and imp.name in TLS_BASE and imp.kind == FUNC:
            sig = type_at(unit.module, imp.desc, f"import `{imp.module}` `{imp.name}`")
            return Link("tls-base", TLS_BASE[imp.name], "func", (sig.results or sig.params)[0])
        if imp.module == "env" and imp.name in CONTEXT_SLOTS and imp.kind == FUNC:
            # wasm-ld's thread-context symbols: the component's context slots 0 (stack
            # pointer) and 1 (TLS base), through canon context.get/set
            op, slot = CONTEXT_SLOTS[imp.name]
            sig = type_at(unit.module, imp.desc, f"import `{imp.module}` `{imp.name}`")
            width = (sig.results or sig.params or (I32,))[0]      # i64 for wasm64
            return Link("builtin", imp.name, "func", (op, slot, width))
        if not unit.adapter and imp.kind == MEMORY:
            # a module that imports its memory gets one the component defines for it
            if self.imported_memory is not None:
                raise LinkError("module imports more than one memory", path=unit.path)
            self.imported_memory = (imp.module, imp.name, imp.desc)
            return Link("memory-module", "$memory", "memory", None)
        if unit.adapter and imp.module == MAIN_MODULE:
            sig = self.main.export_type(imp.name)
            if sig is None and imp.name == "cabi_realloc":
                return Link("memory.grow", "cabi_realloc", "func", None)
            if sig is None:
                raise LinkError(f"adapter imports `{MAIN_MODULE}` `{imp.name}`, which the main "
                                f"module does not export", path=unit.path)
            return Link("main", imp.name, "func", sig)
        return None

    def _collect_adapter_garbage(self) -> None:
        """An adapter's imports that nothing the component uses can reach are left out (their
        interfaces are not imported; a trapping stub fills the slot), and an adapter nothing
        uses is left out whole, as wit-component's adapter GC has it."""
        from .reachability import live_functions
        kept = [self.main]
        for adapter in self.adapters:
            roots = [name for module_name, name, link in
                     (x for x in self.main.imports if not isinstance(x, Bound))
                     if module_name == adapter.tag]
            roots += [n for n, (u, i) in self.exports.items() if u is adapter]
            if not roots:
                continue                          # unused: the component does without it
            roots += [n for n in ("cabi_import_realloc", "cabi_export_realloc")
                      if n in adapter.exported]
            try:
                live = live_functions(adapter.module, adapter.data, roots)
            except (ValueError, IndexError):
                live = None                       # code we cannot walk: keep everything
            kept.append(adapter)
            adapter.live = live
            if live is None:
                continue
            index = 0
            for imp in adapter.module.imports:
                if imp.kind != FUNC:
                    continue
                if index not in live:
                    self.dead.add((adapter.tag, imp.module, imp.name))
                index += 1
        self.adapters = kept[1:]
        self.units = kept

    def world_imports(self):
        return [x for u in self.units for x in u.imports
                if isinstance(x, Bound) and (u.tag, x.module, x.name) not in self.dead]

    # -- step 2: imports -------------------------------------------------------------------------
    def _iface_id(self, key) -> int:
        if isinstance(key, int):
            return key
        item = self.world.imports.get(key) or self.world.exports[key]
        return item.id

    def compute_live(self) -> None:
        """What the component imports, as wit-component trims it: the functions the modules
        import, and the types reachable from them and from everything exported."""
        live_functions: dict[int, set] = {}
        roots = []
        live_types: set = set()
        for x in self.world_imports():
            item = x.item
            if item.role == "stream-op":
                # `[future-read-0]f` names f only to say which future type it means: that type
                # is live, f itself is not imported (as wit-component has it)
                if isinstance(item.builtin[1][0], int):
                    roots.append(item.builtin[1][0])
                continue
            if item.role == "task-return":
                continue        # an export's: its types are the export's, no import's
            if item.interface is not None and item.function is not None:
                iface = self._iface_id(item.interface)
                live_functions.setdefault(iface, set()).add(item.function.name)
            if item.function is not None:
                roots += [t for _, t in item.function.params] + [item.function.result]
                if item.function.resource is not None:     # [static]r.f names r
                    roots.append(item.function.resource)
            if item.resource is not None:
                roots.append(item.resource)
        # the world's own `use`s are imports too
        roots += [item.id for item in self.world.imports.values() if isinstance(item, wm.WorldType)]
        import_roots, roots = roots, []
        for item in self.world.exports.values():
            funcs = [item.func] if isinstance(item, wm.WorldFunction) else \
                list(self.resolve.interfaces[item.id].functions.values()) \
                if isinstance(item, wm.WorldInterface) else []
            if isinstance(item, wm.WorldInterface):
                roots += list(self.resolve.interfaces[item.id].types.values())
            for f in funcs:
                roots += [t for _, t in f.params] + [f.result]
        self.import_live_types = self._reachable(import_roots)
        self.export_live_types = self._reachable(roots)
        live_types = self.import_live_types | self.export_live_types
        self.enc.live_functions = live_functions
        self.enc.live_types = live_types
        self.live_functions, self.live_types = live_functions, live_types

    def _reachable(self, roots) -> set:
        found: set = set()
        stack = [t for t in roots if isinstance(t, int)]
        while stack:
            t = stack.pop()
            if t in found:
                continue
            found.add(t)
            kind = self.resolve.types[t].kind
            for value in vars(kind).values():
                for v in (value if isinstance(value, list) else [value]):
                    inner = getattr(v, "type", v)
                    if isinstance(inner, int):
                        stack.append(inner)
                    elif isinstance(v, int):
                        stack.append(v)
        return found

    def needed_interfaces(self) -> set:
        """Interfaces with a live function or a live type (the rest are left out); a type that
        exports use, of an interface the world exports too, comes from that export."""
        exported = {i.id for i in self.world.exports.values() if isinstance(i, wm.WorldInterface)}
        needed = set(self.live_functions)
        for types, skip in ((self.import_live_types, set()), (self.export_live_types, exported)):
            for t in types:
                owner = self.resolve.types[t].owner
                if owner and owner[0] == "interface" and owner[1] not in skip:
                    needed.add(owner[1])
        return needed

    def emit_imports(self) -> None:
        self.compute_live()
        needed = self.needed_interfaces()
        bound = self.world_imports()
        used_root = {x.item.function.name for x in bound if x.item.interface is None
                     and x.item.function is not None
                     and x.item.role not in ("stream-op", "task-return")}
        used_root_resources = {x.item.resource for x in bound
                               if x.item.interface is None and x.item.resource is not None}
        for key, item in self.world.imports.items():
            if isinstance(item, wm.WorldInterface):
                if item.id in needed:
                    self.enc._item(self.scope, key, item, cm.ImportDecl)
            elif isinstance(item, wm.WorldFunction):
                if item.func.name in used_root:
                    self.enc._item(self.scope, key, item, cm.ImportDecl)
            elif isinstance(item, wm.WorldType):
                td = self.resolve.types[item.id]
                target = td.kind.type if isinstance(td.kind, wm.Alias) else None
                owner = self.resolve.types[target].owner if isinstance(target, int) else None
                # world-level `use`s stay whenever their interface is imported
                if (owner and owner[1] in needed) or item.id in self.live_types \
                        or item.id in used_root_resources:
                    self.enc._item(self.scope, key, item, cm.ImportDecl)

    def _root_needs_type(self, tid: int) -> bool:
        """Does an exported or used root function mention world type ``tid``?"""
        funcs = [x.item.function for x in self.world_imports()
                 if x.item.interface is None and x.item.function is not None]
        funcs += [i.func for i in self.world.exports.values() if isinstance(i, wm.WorldFunction)]
        for f in funcs:
            types = [t for _, t in f.params] + ([f.result] if f.result is not None else [])
            if any(self._mentions(t, tid) for t in types):
                return True
        return False

    def _mentions(self, ty, tid: int, depth: int = 0) -> bool:
        if ty == tid:
            return True
        if not isinstance(ty, int) or depth > 50:
            return False
        kind = self.resolve.types[ty].kind
        for value in vars(kind).values():
            for v in (value if isinstance(value, list) else [value]):
                inner = getattr(v, "type", v)
                if isinstance(inner, int) and self._mentions(inner, tid, depth + 1):
                    return True
        return False

    def imported_function(self, item) -> int:
        """The component-level func index of a world function a module imports."""
        if item.interface is None:
            return self.scope.func_imports[item.function.name]
        iface = item.interface if isinstance(item.interface, int) else \
            self.world.imports[item.interface].id
        instance = self.scope.instance_of[iface]
        key = (instance, item.function.name)
        if key not in self.aliased_funcs:
            self.aliased_funcs[key] = self.b.alias_export(instance, item.function.name, "func")
        return self.aliased_funcs[key]

    # -- step 3: core instances ----------------------------------------------------------------
    def build(self) -> cm.Component:
        b = self.b
        self.aliased_funcs = {}
        self.emit_imports()
        modules = {}
        for unit in self.units:
            chunks = strip_component_types(unit.module, unit.data)
            data = b"".join(bytes(c) for c in chunks)
            if unit.adapter:
                if getattr(unit, "live", None) is not None:
                    data = blank_dead_functions(data, unit.live)
                data = inject_stack(data)
            modules[unit.tag] = b.core_module(data)
        # what each import becomes: lowered now, or a shim slot filled after instantiation
        provided: dict[tuple[str, str, str], int] = {}     # (unit, module, name) -> core func
        slots = []                      # (unit, module, name, signature, how)
        direct = []                     # (unit, Bound) lowered before any instance exists
        for unit in self.units:
            for x in unit.imports:
                if isinstance(x, Bound) and (unit.tag, x.module, x.name) in self.dead:
                    provided[unit.tag, x.module, x.name] = self.trap_stub(x.item.signature)
                    continue
                if isinstance(x, Bound):
                    item = x.item
                    if item.role == "func":
                        opts = function_options(self.resolve, item.function, "lower")
                        if opts.memory or opts.realloc:
                            slots.append((unit, x.module, x.name, item.signature, ("lower", x)))
                            continue
                    elif item.role in ("async-lower", "builtin", "task-return", "stream-op") and \
                            self._async_needs_memory(item):
                        slots.append((unit, x.module, x.name, item.signature, ("canon", x)))
                        continue
                    direct.append((unit, x))
                else:
                    module_name, name, link = x
                    adapter_tags = {a.tag for a in self.adapters}
                    if link.provider in adapter_tags and link.kind == "func" and not unit.adapter:
                        slots.append((unit, module_name, name, link.signature, ("adapter", link)))
        # exported resources' destructors are the module's exports: through the shim too
        resources = self.exported_resources()
        for tid, dtor in resources:
            if dtor is not None:
                slots.append((self.main, None, dtor, FuncType((I32,), ()), ("dtor", dtor)))
        shim_instance = None
        slot_funcs = []
        if slots:
            shim = b.core_module(shim_module([s[3] for s in slots],
                                             [f"{s[1]}-{s[2]}" for s in slots]))
            shim_instance = b.core_instantiate(shim, [])
            for n, (unit, module_name, name, _, _) in enumerate(slots):
                slot_funcs.append(b.alias_core_export(shim_instance, str(n), "core func"))
                if module_name is not None:
                    provided[unit.tag, module_name, name] = slot_funcs[-1]
        for n, (tid, dtor) in enumerate(resources):
            dtor_func = None
            if dtor is not None:
                dtor_func = next(f for f, s_ in zip(slot_funcs, slots)
                                 if s_[4] == ("dtor", dtor))
            self.scope.named[tid] = b.type(cm.ResourceType(I32, dtor_func))
        for unit, x in direct:
            item = x.item
            if item.role == "func":
                opts = function_options(self.resolve, item.function, "lower")
                func = self.imported_function(item)
                provided[unit.tag, x.module, x.name] = b.canon(
                    cm.Lower(func, _options(opts, None, None, self.encoding)))
            elif item.role in ("async-lower", "builtin", "task-return", "stream-op"):
                provided[unit.tag, x.module, x.name] = self._async_canon(unit, item, None)
            elif item.resource in self._exported_resource_ids:
                resource = self.scope.named[item.resource]
                canon = {"resource-new": cm.ResourceNew, "resource-rep": cm.ResourceRep,
                         "resource-drop": cm.ResourceDrop}[item.role]
                provided[unit.tag, x.module, x.name] = b.canon(canon(resource))
            elif item.role == "resource-drop":
                resource = self.enc.valtype(self.scope, item.resource)
                provided[unit.tag, x.module, x.name] = b.canon(cm.ResourceDrop(resource))
            else:
                raise LinkError(f"`{x.module}` `{x.name}`: not supported by wasmlink's "
                                f"component new yet", path=unit.path)
        # the main module, then each adapter
        memory = None
        if self.imported_memory is not None:
            memory_module = b.core_module(memory_module_of(self.imported_memory[2]))
            memory = b.alias_core_export(b.core_instantiate(memory_module, []), "$memory",
                                         "core memory")
        grow_realloc = None
        for unit in self.units:
            args = []
            by_module: dict[str, list] = {}
            for x in unit.imports:
                module_name, name = (x.module, x.name) if isinstance(x, Bound) else x[:2]
                by_module.setdefault(module_name, []).append((name, x))
            for module_name, entries in by_module.items():
                exports = []
                seen_names = set()
                for name, x in entries:
                    if name in seen_names:        # a module may import one function twice
                        continue
                    seen_names.add(name)
                    if isinstance(x, Bound) or (unit.tag, module_name, name) in provided:
                        exports.append((name, "core func", provided[unit.tag, module_name, name]))
                        continue
                    link = x[2]
                    if link.provider == "tls-base":
                        if self.tls_instance is None:
                            self.tls_instance = b.core_instantiate(
                                b.core_module(tls_base_module(link.signature)), [])
                        exports.append((name, "core func", b.alias_core_export(
                            self.tls_instance, link.export, "core func")))
                    elif link.provider == "builtin":
                        op, slot, width = link.signature
                        exports.append((name, "core func", b.canon(
                            cm.CanonBuiltin(op, (width, slot)))))
                    elif link.kind == "memory":
                        exports.append((name, "core memory", memory))
                    elif link.provider == "memory.grow":
                        if grow_realloc is None:
                            env = b.core_instance_of([("memory", "core memory", memory)])
                            grower = b.core_instantiate(b.core_module(realloc_via_memory_grow()),
                                                        [("env", env)])
                            grow_realloc = b.alias_core_export(grower, "cabi_realloc",
                                                               "core func")
                        exports.append((name, "core func", grow_realloc))
                    else:
                        exports.append((name, "core func", b.alias_core_export(
                            self.main.instance, link.export, "core func")))
                args.append((module_name, b.core_instance_of(exports)))
            unit.instance = b.core_instantiate(modules[unit.tag], args)
            if unit is self.main:
                memory_export = next((n for n, (u, i) in self.exports.items()
                                      if u is unit and i.role == "memory"), None)
                if self.imported_memory is not None:
                    pass                        # the memory it imports is the component's
                elif memory_export is not None:
                    memory = b.alias_core_export(unit.instance, memory_export, "core memory")
                elif self._memory_needed(slots):
                    raise LinkError("module does not export a memory, which its imports and "
                                    "adapters need", path=self.path)
        self.memory = memory
        self.reallocs: dict[str, int] = {}
        if slots:
            actual = []
            for unit, module_name, name, _, (how, what) in slots:
                if how == "dtor":
                    actual.append(b.alias_core_export(self.main.instance, what, "core func"))
                    continue
                if how == "canon":
                    actual.append(self._async_canon(unit, what.item, memory))
                    continue
                if how == "adapter":
                    owner = next(a for a in self.adapters if a.tag == what.provider)
                    actual.append(b.alias_core_export(owner.instance, what.export, "core func"))
                    continue
                opts = function_options(self.resolve, what.item.function, "lower")
                realloc = self.realloc_for_imports(unit) if opts.realloc else None
                actual.append(b.canon(cm.Lower(self.imported_function(what.item),
                                               _options(opts, memory, realloc, self.encoding))))
            fixup = b.core_module(fixup_module([s[3] for s in slots]))
            actual_instance = b.core_instance_of([(str(i), "core func", f)
                                                  for i, f in enumerate(actual)])
            b.core_instantiate(fixup, [("actual", actual_instance), ("shim", shim_instance)])
        self.emit_exports()
        b.custom("producers", encode_producers(ProducersSection([ProducersField(
            PROCESSED_BY, [("wasmlink", __version__)])])))
        return b.finish()

    # -- the async ABI's imports -----------------------------------------------------------------
    def _async_needs_memory(self, item) -> bool:
        if item.role == "builtin" and "table" in item.builtin[1]:
            return True                 # the module's table: after it is instantiated
        if item.role == "stream-op":
            return item.builtin[1][1] in ("read", "write")
        if item.role == "builtin":
            return "memory" in item.builtin[1]
        if item.role == "task-return":
            return any(has_pointers(t) for t in function_shapes(self.resolve, item.function)[1]) \
                or len(item.signature.params) > 1 and item.signature.params == (I32,)
        params, results = function_shapes(self.resolve, item.function)
        sig = flatten_function(params, results, "lower", async_=True)
        return sig.params_indirect or sig.results_indirect or \
            any(has_pointers(t) for t in (*params, *results))

    def _async_canon(self, unit, item, memory) -> int:
        """The core function an async-ABI import is: an async lowering, `task.return`, or one
        of the built-ins (waitable sets, subtasks, error contexts, context slots...)."""
        b = self.b
        if item.role == "async-lower":
            opts = function_options(self.resolve, item.function, "lower")
            realloc = self.realloc_for_imports(unit) if opts.realloc and memory is not None \
                else None
            needs = self._async_needs_memory(item)
            options = _options(opts._replace(memory=needs), memory, realloc, self.encoding)
            options = cm.CanonOptions(options.items + (cm.CanonOpt(OPT_ASYNC),))
            return b.canon(cm.Lower(self.imported_function(item), options))
        if item.role == "task-return":
            func = item.function
            if func.result is not None:
                self._define_exported_types(func.result)
            result = None if func.result is None else self.enc.valtype(self.scope, func.result)
            opts = function_options(self.resolve, func, "lift")
            items = []
            if memory is not None:
                items.append(cm.CanonOpt(OPT_MEMORY, memory))
            if any(has_strings(t) for t in function_shapes(self.resolve, func)[1]):
                items.append(cm.CanonOpt(STRING_OPTION[self.encoding]))
            del opts
            return b.canon(cm.CanonBuiltin(0x09, (result, cm.CanonOptions(tuple(items)))))
        opcode, recipe = item.builtin
        if item.role == "stream-op":
            tid, op = recipe
            if isinstance(tid, str):            # a payload-less future or stream
                if not hasattr(self, "_unit_types"):
                    self._unit_types = {}
                if tid not in self._unit_types:
                    t = cm.FutureType(None) if tid == "future" else cm.StreamType(None)
                    self._unit_types[tid] = b.type(t)
                type_index = self._unit_types[tid]
                tid = None
            else:
                type_index = self.enc.valtype(self.scope, tid)
            if op in ("new", "drop-readable", "drop-writable"):
                return b.canon(cm.CanonBuiltin(opcode, (type_index,)))
            if op in ("cancel-read", "cancel-write"):
                return b.canon(cm.CanonBuiltin(opcode, (type_index, False)))
            payload = None if tid is None else getattr(self.resolve.types[tid].kind, "type", None)
            shapes = [] if payload is None else [shape(self.resolve, payload)]
            opts = [cm.CanonOpt(OPT_MEMORY, memory)]
            if op == "read" and any(has_pointers(t) for t in shapes):
                opts.append(cm.CanonOpt(OPT_REALLOC, self.realloc_for_imports(unit)))
            if any(has_strings(t) for t in shapes):
                opts.append(cm.CanonOpt(STRING_OPTION[self.encoding]))
            return b.canon(cm.CanonBuiltin(opcode, (type_index, cm.CanonOptions(tuple(opts)))))
        if not recipe:
            return b.canon(cm.CanonBuiltin(opcode, ()))
        if recipe[0] == "thread-start":      # thread.new-indirect: start type, module's table
            start_type = b.core_type(FuncType((I32,), ()))
            owner = getattr(self, "table_instance", None)     # component link: its main
            table = b.alias_core_export(self.main.instance if owner is None else owner,
                                        "__indirect_function_table", "core table")
            return b.canon(cm.CanonBuiltin(opcode, (start_type, table)))
        if recipe[0] == "no-cancel":
            immediates = (False,) + ((memory,) if "memory" in recipe else ())
        elif recipe[0] == "sync":
            immediates = (False,)
        elif recipe[0] == "i32":
            immediates = (I32, recipe[1])
        else:                                  # ("options", "memory", ["realloc",] encoding)
            opts = [cm.CanonOpt(OPT_MEMORY, memory)]
            if "realloc" in recipe:
                opts.append(cm.CanonOpt(OPT_REALLOC, self.realloc_for_imports(unit)))
            opts.append(cm.CanonOpt({"utf8": 0x00, "utf16": 0x01, "latin1+utf16": 0x02}[recipe[-1]]))
            immediates = (cm.CanonOptions(tuple(opts)),)
        return b.canon(cm.CanonBuiltin(opcode, immediates))

    def _define_exported_types(self, ty) -> None:
        """The named types of exported interfaces that ``ty`` reaches, defined in the component
        now: a `task.return` names them before the module is instantiated, as wit-component
        defines them (export_interface defines the interface's types again for its lifts)."""
        from .exported_interface import _named_dependencies
        exported = {i.id for i in self.world.exports.values() if isinstance(i, wm.WorldInterface)}
        order: list = []
        _named_dependencies(self.resolve, ty, order, set())
        for tid in order:
            td = self.resolve.types[tid]
            if tid in self.scope.named or isinstance(td.kind, wm.Resource) or \
                    not td.owner or td.owner[0] != "interface" or td.owner[1] not in exported:
                continue
            if isinstance(td.kind, wm.Alias):
                target = self.enc.valtype(self.scope, td.kind.type)
                self.scope.named[tid] = target if isinstance(target, int) else \
                    self.b.type(cm.PrimitiveType(target))
            else:
                self.scope.named[tid] = self.b.type(self.enc._defined(self.scope, td.kind))

    def exported_resources(self) -> list[tuple[int, str | None]]:
        """(resource type id, its destructor's core export or None) of each resource an
        exported interface defines, in world order."""
        out = []
        dtors = {i.resource: n for n, (u, i) in self.exports.items() if i.role == "dtor"}
        for item in self.world.exports.values():
            if isinstance(item, wm.WorldInterface):
                for tid in self.resolve.interfaces[item.id].types.values():
                    if isinstance(self.resolve.types[tid].kind, wm.Resource):
                        out.append((tid, dtors.get(tid)))
        self._exported_resource_ids = {tid for tid, _ in out}
        return out

    def trap_stub(self, signature: FuncType) -> int:
        """A core function of ``signature`` that traps: what a dead adapter import gets."""
        if not hasattr(self, "_stubs"):
            self._stubs = {}
        if signature not in self._stubs:
            module = self.b.core_module(trap_module(signature))
            instance = self.b.core_instantiate(module, [])
            self._stubs[signature] = self.b.alias_core_export(instance, "trap", "core func")
        return self._stubs[signature]

    def _memory_needed(self, slots) -> bool:
        for u in self.adapters:
            if any(not isinstance(x, Bound) and x[2].kind == "memory" for x in u.imports):
                return True
        return any(how == "lower" and function_options(self.resolve, what.item.function,
                                                       "lower").memory
                   for _, _, _, _, (how, what) in slots)

    def realloc_for_imports(self, unit: CoreUnit) -> int:
        """The realloc that lowered imports returning lists or strings allocate with: the main
        module's `cabi_realloc`, an adapter's `cabi_import_realloc`."""
        if unit.tag in self.reallocs:
            return self.reallocs[unit.tag]
        if unit.adapter or "cabi_import_realloc" in unit.exported:
            name = "cabi_import_realloc"   # (a module may keep separate import/export reallocs)
        else:
            name = self._main_realloc_name()
        if name is None or name not in unit.exported:
            raise LinkError(f"module does not export `{name or 'cabi_realloc'}`, which its "
                            f"imports need (they return lists or strings)", path=unit.path)
        self.reallocs[unit.tag] = self.b.alias_core_export(unit.instance, name, "core func")
        return self.reallocs[unit.tag]

    def _main_realloc_name(self) -> str | None:
        return next((n for n, (u, i) in self.exports.items()
                     if u is self.main and i.role == "realloc"), None)

    # -- step 4: exports -------------------------------------------------------------------------
    def _lift(self, export_name: str, func, scope) -> int:
        b = self.b
        owner, export_item = self.exports[export_name]
        is_async = export_item.role in ("async-lift", "async-lift-stackful")
        opts = function_options(self.resolve, func, "lift")
        if is_async:                   # results go through task.return, not memory
            opts = opts._replace(post_return=False)
        realloc = None
        if opts.realloc:
            if owner.adapter:
                name = "cabi_export_realloc" if "cabi_export_realloc" in owner.exported else \
                    "cabi_import_realloc"
                realloc = b.alias_core_export(owner.instance, name, "core func")
            elif "cabi_export_realloc" in owner.exported:
                if "export-realloc" not in self.reallocs:
                    self.reallocs["export-realloc"] = b.alias_core_export(
                        owner.instance, "cabi_export_realloc", "core func")
                realloc = self.reallocs["export-realloc"]
            else:
                if self._main_realloc_name() is None:
                    raise LinkError(f"module does not export `cabi_realloc`, which "
                                    f"`{export_name}` needs (it takes lists or strings)",
                                    path=self.path)
                realloc = self.realloc_for_imports(owner)
        if opts.memory and self.memory is None:
            raise LinkError(f"module does not export a memory, which `{export_name}` needs",
                            path=self.path)
        post = None
        post_name = next((n for n, (u, i) in self.exports.items()
                          if i.role == "post-return" and i.function is func and u is owner), None)
        if post_name is not None and not is_async:
            post = b.alias_core_export(owner.instance, post_name, "core func")
        core = b.alias_core_export(owner.instance, export_name, "core func")
        functype = self.enc._function(scope, func)
        options = _options(opts, self.memory, realloc, self.encoding, post)
        if is_async:
            extra = [cm.CanonOpt(OPT_ASYNC)]
            callback = next((n for n, (u, i) in self.exports.items()
                             if i.role == "callback" and i.function is func and u is owner), None)
            if export_item.role == "async-lift" and callback is not None:
                extra.append(cm.CanonOpt(OPT_CALLBACK,
                                         b.alias_core_export(owner.instance, callback,
                                                             "core func")))
            options = cm.CanonOptions(options.items + tuple(extra))
        return b.canon(cm.Lift(core, options, functype))

    def emit_exports(self) -> None:
        b = self.b
        by_function = {id(i.function): n for n, (u, i) in self.exports.items()
                       if i.role in ("func", "async-lift", "async-lift-stackful")}
        for item in self.world.exports.values():
            if isinstance(item, wm.WorldFunction):
                b.export(item.func.name, "func", self._lift(by_function[id(item.func)],
                                                             item.func, self.scope))
        for key, item in self.world.exports.items():
            if isinstance(item, wm.WorldInterface):
                from .exported_interface import export_interface
                export_interface(self, key, item.id, by_function)


def new_component(data, resolve=None, world_id: int | None = None, *, encoding: str | None = None,
                  path: str = "module", adapters=(), import_names=None,
                  realloc_via_memory_grow: bool = False) -> bytes:
    """The component wrapping core module ``data`` (bytes or memoryview). The world comes from
    the module's `component-type` sections unless given as (resolve, world_id). ``adapters``:
    (import module name, adapter bytes, path) triples; ``import_names``: {old: new} for the
    component's imports."""
    if resolve is None:
        from .world_of_module import world_of_module
        resolve, world_id, found_encoding = world_of_module(data, path, adapters)
        encoding = encoding or found_encoding
    wrapper = _Wrapper(data, resolve, world_id, encoding or "utf8", path,
                       adapters=adapters, realloc_via_memory_grow=realloc_via_memory_grow)
    wrapper.scope.renames = dict(import_names or {})
    component = wrapper.build()
    unused = set(wrapper.scope.renames) - wrapper.scope.renamed
    if unused:
        raise LinkError(f"--import-name {sorted(unused)[0]}=...: the component has no such "
                        f"import", path=path)
    return encode_component(component)
