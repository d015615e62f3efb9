"""`component link`: `dylink.0` libraries kept as separate core modules in one component
(shared-everything dynamic linking), around the plan wasmlink.dynlink makes.

The plan gives the synthesized main module (memory, table, stack pointer, each library's bases
and GOT entries), the order to instantiate the libraries in, where each of their imports comes
from, and the init module that fills the GOT and the table and runs data relocations and
constructors. This module turns it into a component the way `component new` builds one
(new.py, whose binding, import, lowering and lifting it reuses): the libraries' worlds
(their `component-type*` sections) are merged; the world functions libraries import are lowered
with the main module's memory (through the shim when they need a `cabi_realloc`, which only a
library instantiated later exports); the world's exports are lifted from the library that
exports them.
"""
from __future__ import annotations

from ..component import model as cm
from ..component.encode import component_chunks, encode_component
from ..errors import LinkError
from ..binary.producers import PROCESSED_BY, ProducersField, ProducersSection, encode_producers
from ..binary.types import FUNC, GLOBAL, I32, MEMORY, TABLE, FuncType
from ..wit.core_names import core_items, function_options
from ..wit.encode import WorldEncoder
from .. import __version__
from .builder import ComponentBuilder, ComponentScope
from .adapters import MAIN_MODULE, blank_dead_functions, inject_stack, realloc_via_memory_grow
from .new import (CONTEXT_GET, CONTEXT_SET, Bound, CoreUnit, Link, _Wrapper, _options,
                  bind_exports, bind_imports, strip_component_types)
from .shims import fixup_module, shim_module

CORE_SORT = {FUNC: "core func", GLOBAL: "core global", MEMORY: "core memory",
             TABLE: "core table", 4: "core tag"}


class _Linker(_Wrapper):
    """A `component new` wrapper whose core units are libraries wired by a LinkPlan."""

    def __init__(self, plan, libraries, resolve, world_id: int, encoding: str, path: str,
                 adapters=(), import_libraries: bool = False):
        self.import_libraries = import_libraries
        self.resolve, self.world_id = resolve, world_id
        self.encoding = encoding
        self.path = path
        self.world = resolve.worlds[world_id]
        self.plan = plan
        self.realloc_via_memory_grow = False
        self.imported_memory = None
        self.tls_instance = None
        self.dead = set()
        by_name = {name: (data, lib_path) for name, data, lib_path in libraries}
        self.units = [CoreUnit(name, by_name[name][0], by_name[name][1], adapter=False)
                      for name in plan.order]
        self.libraries = list(self.units)
        self.adapters = [CoreUnit(name, data, apath, adapter=True) for name, data, apath in adapters]
        adapter_names = {a.tag: a for a in self.adapters}
        self.main = self.units[0]           # (the realloc and memory questions look here)
        world_name = self.world.name
        items_of_scheme: dict = {}         # the world's core items depend on the scheme only

        def core_items_for(scheme):
            if scheme not in items_of_scheme:
                items_of_scheme[scheme] = core_items(resolve, world_id, scheme)
            return items_of_scheme[scheme]
        for unit in self.units:
            items = core_items_for(unit.scheme)
            wanted = {(i.module, i.name): i for i in items if i.direction == "import"}
            wiring = plan.wiring[unit.tag]
            for imp in unit.module.imports:
                source = wiring.get((imp.module, imp.name))
                if source is None:
                    raise LinkError(f"library `{unit.tag}` import `{imp.module}` `{imp.name}` "
                                    f"is not wired by the plan (a wasmlink bug)", path=unit.path)
                if source.kind == "world" and imp.module in adapter_names:
                    adapter = adapter_names[imp.module]
                    sig = adapter.export_type(imp.name)
                    if sig is None:
                        raise LinkError(f"library `{unit.tag}` imports `{imp.module}` "
                                        f"`{imp.name}`, which adapter `{imp.module}` does not "
                                        f"export", path=unit.path)
                    unit.imports.append((imp.module, imp.name, Link(adapter.tag, imp.name, "func",
                                                                    sig)))
                    continue
                if source.kind != "world":
                    unit.imports.append((imp.module, imp.name, source))
                    continue
                item = wanted.get((imp.module, imp.name))
                if item is None:
                    raise LinkError(f"library `{unit.tag}` imports `{imp.module}` `{imp.name}`, "
                                    f"which world `{world_name}` does not define", path=unit.path)
                unit.imports.append(Bound(imp.module, imp.name, item))
        # adapters: their world imports, the main memory, and what they ask of "the main
        # module" (cabi_realloc: whichever library exports it)
        for adapter in self.adapters:
            items = core_items_for(adapter.scheme)
            wanted = {(i.module, i.name): i for i in items if i.direction == "import"}
            bind_imports(adapter, wanted, world_name, self._adapter_link)
        export_items = [i for i in core_items_for("legacy") if i.direction == "export"]
        self.exports = bind_exports(self.units + self.adapters, export_items, world_name)
        self.dead = set()
        self._collect_adapter_garbage()
        self.units = self.libraries + self.adapters
        self.b = ComponentBuilder()
        self.scope = ComponentScope(self.b)
        self.enc = WorldEncoder(resolve, world_id)

    def _adapter_link(self, unit, imp):
        if imp.module == "env" and imp.kind == MEMORY and imp.name == "memory":
            return Link("main", "memory", "memory", None)
        if imp.module == MAIN_MODULE:
            owner = next((u for u in self.libraries if imp.name in u.exported), None)
            if owner is None and imp.name == "cabi_realloc":
                return Link("memory.grow", "cabi_realloc", "func", None)
            if owner is None:
                raise LinkError(f"adapter imports `{MAIN_MODULE}` `{imp.name}`, which no "
                                f"library exports", path=unit.path)
            return Link(f"library:{owner.tag}", imp.name, "func", owner.export_type(imp.name))
        return None

    def _collect_adapter_garbage(self) -> None:
        """As in `component new`, from every library's imports of the adapter."""
        from .reachability import live_functions
        kept = []
        for adapter in self.adapters:
            roots = [name for lib in self.libraries for x in lib.imports
                     if not isinstance(x, Bound) and isinstance(x[2], Link)
                     and x[2].provider == adapter.tag for name in [x[2].export]]
            roots += [n for n, (u, i) in self.exports.items() if u is adapter]
            if not roots:
                continue
            roots += [n for n in ("cabi_import_realloc", "cabi_export_realloc")
                      if n in adapter.exported]
            try:
                live = live_functions(adapter.module, adapter.data, roots)
            except (ValueError, IndexError):
                live = None
            adapter.live = live
            kept.append(adapter)
            if live is None:
                continue
            index = 0
            for imp in adapter.module.imports:
                if imp.kind != FUNC:
                    continue
                if index not in live:
                    self.dead.add((adapter.tag, imp.module, imp.name))
                index += 1
        self.adapters = kept

    def exported_resources(self):
        return []

    def _async_needs_realloc(self, item) -> bool:
        """An async-ABI import whose canon options name a realloc: made after the libraries."""
        if item.role == "builtin":
            return "realloc" in item.builtin[1] or "table" in item.builtin[1]
        if item.role == "stream-op":
            return item.builtin[1][1] == "read"
        if item.role == "async-lower":
            return function_options(self.resolve, item.function, "lower").realloc
        return False

    def _link_exported_resources(self) -> list:
        """(type id, destructor export or None, the library exporting it) per resource an
        exported interface defines."""
        from ..wit import model as wm
        dtors = {i.resource: (n, u) for n, (u, i) in self.exports.items() if i.role == "dtor"}
        out = []
        for item in self.world.exports.values():
            if isinstance(item, wm.WorldInterface):
                for tid in self.resolve.interfaces[item.id].types.values():
                    if isinstance(self.resolve.types[tid].kind, wm.Resource):
                        name, owner = dtors.get(tid, (None, None))
                        out.append((tid, name, owner))
        self._exported_resource_ids = {tid for tid, _, _ in out}
        return out

    def _grow_realloc(self) -> int:
        if "grow" not in self.reallocs:
            env = self.b.core_instance_of([("memory", "core memory", self.memory)])
            grower = self.b.core_instantiate(self.b.core_module(realloc_via_memory_grow()),
                                             [("env", env)])
            self.reallocs["grow"] = self.b.alias_core_export(grower, "cabi_realloc", "core func")
        return self.reallocs["grow"]

    def realloc_for_imports(self, unit):
        """Lowered imports returning lists or strings allocate with the `cabi_realloc` some
        library exports (componentize-py's runtime, a wit-bindgen library); an adapter's own
        with its `cabi_import_realloc`."""
        if unit.adapter:
            key = f"adapter:{unit.tag}"
            if key not in self.reallocs:
                self.reallocs[key] = self.b.alias_core_export(unit.instance,
                                                              "cabi_import_realloc", "core func")
            return self.reallocs[key]
        if "realloc" in self.reallocs:
            return self.reallocs["realloc"]
        owner = next((u for u in self.libraries if "cabi_realloc" in u.exported), None)
        if owner is None:
            raise LinkError("no library exports `cabi_realloc`, which the world's imports "
                            "need (they return lists or strings)", path=self.path)
        self.reallocs["realloc"] = self.b.alias_core_export(owner.instance, "cabi_realloc",
                                                            "core func")
        return self.reallocs["realloc"]

    def _main_realloc_name(self):
        return "cabi_realloc" if any("cabi_realloc" in u.exported for u in self.units) else None

    # -- the component ---------------------------------------------------------------------
    def build(self) -> cm.Component:
        b = self.b
        self.aliased_funcs = {}
        self.reallocs = {}
        self.context_builtins = {}
        self.emit_imports()
        main_module = b.core_module(self.plan.main_module)
        modules = {}
        for u in self.units:
            if self.import_libraries and not u.adapter:
                # the library itself, unchanged, imported by its content hash: a runtime
                # supplies it (and shares its compiled code between components)
                from ..component.names import integrity_name_of
                from .module_type import module_type_of
                module_type = b.core_type(module_type_of(u.data))
                modules[u.tag] = b.import_(integrity_name_of(bytes(u.data)),
                                           cm.ExternType("module", module_type))
                continue
            data = b"".join(bytes(c) for c in strip_component_types(u.module, u.data))
            if u.adapter:
                if getattr(u, "live", None) is not None:
                    data = blank_dead_functions(data, u.live)
                data = inject_stack(data)
            modules[u.tag] = b.core_module(data)
        init_module = b.core_module(self.plan.init_module)
        main_args: dict = {}
        for (module_name, name), source in self.plan.main_wiring.items():
            main_args.setdefault(module_name, []).append(
                (name, "core func", self._source(source, "core func", {})))
        main = b.core_instantiate(main_module, [(m, b.core_instance_of(items))
                                                for m, items in main_args.items()])
        self.table_instance = main
        self.memory = b.alias_core_export(main, "memory", "core memory")
        provided: dict = {}
        slots = []                    # (unit, import or ("dtor", export)): filled by the fixup
        direct = []                   # (unit, Bound): lowered now, with the main memory
        for unit in self.units:
            for x in unit.imports:
                if not isinstance(x, Bound):
                    link = x[2]
                    if isinstance(link, Link) and link.provider in {a.tag for a in self.adapters}:
                        slots.append((unit, x))          # an adapter's export: filled later
                    continue
                if (unit.tag, x.module, x.name) in self.dead:
                    provided[unit.tag, x.module, x.name] = self.trap_stub(x.item.signature)
                    continue
                if x.item.role == "func" and \
                        function_options(self.resolve, x.item.function, "lower").realloc:
                    slots.append((unit, x))              # needs a library's cabi_realloc
                    continue
                if self._async_needs_realloc(x.item):
                    slots.append((unit, x))
                    continue
                direct.append((unit, x))
        # exported resources: their types exist before any library (which may create them),
        # their destructors are library exports, reached through the shim
        resources = self._link_exported_resources()
        for tid, dtor, owner in resources:
            if dtor is not None:
                slots.append((owner, ("dtor", dtor)))
        shim_instance = None
        slot_funcs = []
        if slots:
            shim = b.core_module(shim_module([_slot_signature(x) for _, x in slots]))
            shim_instance = b.core_instantiate(shim, [])
            for n, (unit, x) in enumerate(slots):
                slot_funcs.append(b.alias_core_export(shim_instance, str(n), "core func"))
                if isinstance(x, tuple) and x[0] == "dtor":
                    continue
                key = (x.module, x.name) if isinstance(x, Bound) else x[:2]
                provided[(unit.tag,) + tuple(key)] = slot_funcs[-1]
        for tid, dtor, owner in resources:
            dtor_func = None
            if dtor is not None:
                dtor_func = next(f for f, (u, x) in zip(slot_funcs, slots) if x == ("dtor", dtor))
            self.scope.named[tid] = b.type(cm.ResourceType(I32, dtor_func))
        exported_ids = {tid for tid, _, _ in resources}
        for unit, x in direct:
            item = x.item
            if item.role == "func":
                opts = function_options(self.resolve, item.function, "lower")
                provided[unit.tag, x.module, x.name] = b.canon(cm.Lower(
                    self.imported_function(item), _options(opts, self.memory, None, self.encoding)))
            elif item.role in ("async-lower", "builtin", "task-return", "stream-op"):
                provided[unit.tag, x.module, x.name] = self._async_canon(unit, item, self.memory)
            elif item.resource in exported_ids:
                canon = {"resource-new": cm.ResourceNew, "resource-rep": cm.ResourceRep,
                         "resource-drop": cm.ResourceDrop}[item.role]
                provided[unit.tag, x.module, x.name] = b.canon(canon(self.scope.named[item.resource]))
            elif item.role == "resource-drop":
                resource = self.enc.valtype(self.scope, item.resource)
                provided[unit.tag, x.module, x.name] = b.canon(cm.ResourceDrop(resource))
            else:
                raise LinkError(f"`{x.module}` `{x.name}`: not supported by wasmlink's "
                                f"component link yet", path=unit.path)
        instances = {"main": main}
        for unit in self.units:
            module_types = {(i.module, i.name): i.kind for i in unit.module.imports}
            descs = {(i.module, i.name): i.desc for i in unit.module.imports}
            args = []
            by_module: dict = {}
            for x in unit.imports:
                module_name, name = (x.module, x.name) if isinstance(x, Bound) else x[:2]
                by_module.setdefault(module_name, []).append((name, x))
            for module_name, entries in by_module.items():
                exports = []
                for name, x in entries:
                    sort = CORE_SORT[module_types[module_name, name]]
                    if isinstance(x, Bound) or (unit.tag, module_name, name) in provided:
                        exports.append((name, "core func", provided[unit.tag, module_name, name]))
                        continue
                    link = x[2]
                    if isinstance(link, Link):          # an adapter's link to the libraries
                        if link.kind == "memory":
                            exports.append((name, "core memory", self.memory))
                        elif link.provider == "memory.grow":
                            exports.append((name, "core func", self._grow_realloc()))
                        else:
                            exports.append((name, "core func", b.alias_core_export(
                                instances[link.provider.split(":", 1)[1]], link.export,
                                "core func")))
                        continue
                    if x[2].kind == "stub":          # --stub-missing-functions: a trap
                        signature = unit.module.types[descs[module_name, name]]
                        exports.append((name, sort, self.trap_stub(signature)))
                        continue
                    exports.append((name, sort, self._source(x[2], sort, instances)))
                args.append((module_name, b.core_instance_of(exports)))
            unit.instance = instances[unit.tag] = b.core_instantiate(modules[unit.tag], args)
        # the shim's slots filled before the init module runs constructors (which may call them)
        if slots:
            actual = []
            for unit, x in slots:
                if isinstance(x, tuple) and x[0] == "dtor":
                    actual.append(b.alias_core_export(unit.instance, x[1], "core func"))
                    continue
                if not isinstance(x, Bound):
                    link = x[2]
                    actual.append(b.alias_core_export(instances[link.provider], link.export,
                                                      "core func"))
                    continue
                if x.item.role in ("async-lower", "builtin", "task-return", "stream-op"):
                    actual.append(self._async_canon(unit, x.item, self.memory))
                    continue
                opts = function_options(self.resolve, x.item.function, "lower")
                realloc = self.realloc_for_imports(unit) if opts.realloc else None
                actual.append(b.canon(cm.Lower(self.imported_function(x.item),
                                               _options(opts, self.memory, realloc,
                                                        self.encoding))))
            fixup = b.core_module(fixup_module([_slot_signature(x) for _, x in slots]))
            actual_instance = b.core_instance_of([(str(i), "core func", f)
                                                  for i, f in enumerate(actual)])
            b.core_instantiate(fixup, [("actual", actual_instance), ("shim", shim_instance)])
        # the init module: GOT entries, table slots, data relocations and constructors
        init_types = {(i.module, i.name): i.kind for i in
                      _module(self.plan.init_module).imports}
        by_module = {}
        for (module_name, name), source in self.plan.init_wiring.items():
            by_module.setdefault(module_name, []).append((name, source))
        args = []
        for module_name, entries in by_module.items():
            exports = [(name, CORE_SORT[init_types[module_name, name]],
                        self._source(source, CORE_SORT[init_types[module_name, name]], instances))
                       for name, source in entries]
            args.append((module_name, b.core_instance_of(exports)))
        b.core_instantiate(init_module, args)
        self.emit_exports()
        b.custom("producers", encode_producers(ProducersSection([ProducersField(
            PROCESSED_BY, [("wasmlink", __version__)])])))
        return b.finish()

    def _source(self, source, sort: str, instances: dict) -> int:
        if source.kind == "context":             # wasip3's stack pointer and TLS table
            if source.name not in self.context_builtins:
                op, slot = source.name.split()
                self.context_builtins[source.name] = self.b.canon(cm.CanonBuiltin(
                    CONTEXT_GET if op == "context.get" else CONTEXT_SET, (I32, int(slot))))
            return self.context_builtins[source.name]
        if source.kind == "main":
            return self.b.alias_core_export(instances["main"], source.name, sort)
        if source.kind == "library":
            if source.library not in instances:
                raise LinkError(f"library `{source.library}` is needed before it is "
                                f"instantiated (a cycle the plan did not break)", path=self.path)
            return self.b.alias_core_export(instances[source.library], source.name, sort)
        raise LinkError(f"unexpected import source {source!r}", path=self.path)


def _needed(data) -> list[str]:
    from ..binary.dylink import decode_dylink
    module = _module(data)
    section = module.custom("dylink.0")
    if section is None:
        return []
    return decode_dylink(data, section.contents, section.end - section.contents).needed


def _worlds_of(units) -> dict:
    """name -> (resolve, world id, encoding) of each library or adapter that has a world."""
    from .world_of_module import world_of_module
    worlds = {}
    for name, data, path in units:
        try:
            worlds[name] = world_of_module(data, path)
        except LinkError:
            continue                       # a library without a world of its own
    return worlds


def _used_libraries(libraries, dl_openable, worlds) -> list:
    """The libraries the component needs, as wit-component keeps them: those whose world
    exports something, the dl-openable ones, and everything those need; the rest are left
    out (a library nothing reaches cannot run)."""
    if len(libraries) <= 1:
        return list(libraries)
    by_name = {name: (data, path) for name, data, path in libraries}

    def exports_something(name) -> bool:
        if name not in worlds:
            return False
        resolve, world, _ = worlds[name]
        return bool(resolve.worlds[world].exports)
    roots = [name for name, data, path in libraries
             if name in dl_openable or exports_something(name)]
    if not roots:
        return list(libraries)
    # a library reaches those it `needs` and those defining symbols it imports
    modules = {name: _module(data) for name, data, _ in libraries}
    providers: dict = {}            # symbol -> every library defining it (all are kept: the
    for name, _, _ in libraries:    # plan then warns of the duplicate, naming both)
        for e in modules[name].exports:
            providers.setdefault(e.name, []).append(name)
    kept: set = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in kept or name not in by_name:
            continue
        kept.add(name)
        stack.extend(_needed(by_name[name][0]))
        for imp in modules[name].imports:
            if imp.module in ("env", "GOT.mem", "GOT.func") and imp.name in providers:
                stack.extend(providers[imp.name])
    return [lib for lib in libraries if lib[0] in kept]


def _slot_signature(x) -> FuncType:
    if isinstance(x, Bound):
        return x.item.signature
    if x[0] == "dtor":
        return FuncType((I32,), ())
    return x[2].signature


def _module(data):
    from ..binary.module import Module
    return Module(data, 0, len(data))


def link_component(libraries, *, dl_openable=(), stack_size: int = 1 << 20,
                   stub_missing_functions: bool = False, use_built_in_libdl: bool = False,
                   adapters=(), path: str = "component", warn=None,
                   import_libraries: bool = False, chunks: bool = False):
    """The component of ``libraries`` ((name, bytes, path) triples, in input order), as bytes,
    or with ``chunks`` as the list of pieces whose concatenation it is (the libraries' own
    bytes among them, so that writing a 10 MB component copies it once, not twice);
    ``warn(message)`` hears of duplicate symbols resolved by input order."""
    from ..dynlink import plan_link
    worlds = _worlds_of([*libraries, *adapters])
    libraries = _used_libraries(libraries, dl_openable, worlds)
    plan = plan_link(libraries, dl_openable=dl_openable, stack_size=stack_size,
                     stub_missing_functions=stub_missing_functions,
                     use_built_in_libdl=use_built_in_libdl)
    for message in plan.warnings:
        if warn is not None:
            warn(message)
    from ..dynlink.plan import BUILT_IN_LIBDL, built_in_libdl
    if BUILT_IN_LIBDL in plan.order and not any(n == BUILT_IN_LIBDL for n, _, _ in libraries):
        libraries = [*libraries, (BUILT_IN_LIBDL, built_in_libdl(), "<built-in libdl.so>")]
    resolve = world = None
    encoding = "utf8"
    from ..wit.merge import merge_worlds
    # worlds merge in instantiation order, as wit-component adds the libraries to its encoder
    # in that order: a library's interfaces come after those of the libraries it needs
    for name in [*plan.order, *(name for name, _, _ in adapters)]:
        if name not in worlds:
            continue
        r, w, e = worlds[name]
        if resolve is None:
            resolve, world, encoding = r, w, e
        else:                              # each resolve was decoded for this link alone
            resolve, world = merge_worlds(resolve, world, r, w, in_place=True)
    if resolve is None:
        from ..wit.resolve import Resolve
        resolve = Resolve()
        package = resolve.push_str("package root:component;\nworld root {}\n", "<empty>")
        world = resolve.select_world(package)
    linker = _Linker(plan, libraries, resolve, world, encoding, path, adapters=adapters,
                     import_libraries=import_libraries)
    linker.scope.renames = {}
    component = linker.build()
    return component_chunks(component) if chunks else encode_component(component)
