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
from ..component.encode import encode_component
from ..errors import LinkError
from ..binary.producers import PROCESSED_BY, ProducersField, ProducersSection, encode_producers
from ..binary.types import FUNC, GLOBAL, MEMORY, TABLE, FuncType
from ..wit.core_names import core_items, function_options
from ..wit.encode import WorldEncoder
from .. import __version__
from .builder import ComponentBuilder, ComponentScope
from .new import Bound, CoreUnit, _Wrapper, _options, bind_exports, strip_component_types
from .shims import fixup_module, shim_module

CORE_SORT = {FUNC: "core func", GLOBAL: "core global", MEMORY: "core memory",
             TABLE: "core table", 4: "core tag"}


class _Linker(_Wrapper):
    """A `component new` wrapper whose core units are libraries wired by a LinkPlan."""

    def __init__(self, plan, libraries, resolve, world_id: int, encoding: str, path: str):
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
        self.adapters = []
        self.main = self.units[0]           # (the realloc and memory questions look here)
        world_name = self.world.name
        for unit in self.units:
            items = core_items(resolve, world_id, unit.scheme)
            wanted = {(i.module, i.name): i for i in items if i.direction == "import"}
            wiring = plan.wiring[unit.tag]
            for imp in unit.module.imports:
                source = wiring.get((imp.module, imp.name))
                if source is None:
                    raise LinkError(f"library `{unit.tag}` import `{imp.module}` `{imp.name}` "
                                    f"is not wired by the plan (a wasmlink bug)", path=unit.path)
                if source.kind != "world":
                    unit.imports.append((imp.module, imp.name, source))
                    continue
                item = wanted.get((imp.module, imp.name))
                if item is None:
                    raise LinkError(f"library `{unit.tag}` imports `{imp.module}` `{imp.name}`, "
                                    f"which world `{world_name}` does not define", path=unit.path)
                unit.imports.append(Bound(imp.module, imp.name, item))
        export_items = [i for i in core_items(resolve, world_id, "legacy")
                        if i.direction == "export"]
        self.exports = bind_exports(self.units, export_items, world_name)
        self.b = ComponentBuilder()
        self.scope = ComponentScope(self.b)
        self.enc = WorldEncoder(resolve, world_id)

    def exported_resources(self):
        self._exported_resource_ids = set()
        return []

    def realloc_for_imports(self, unit):
        """Lowered imports returning lists or strings allocate with the `cabi_realloc` some
        library exports (componentize-py's runtime, a wit-bindgen library)."""
        if "realloc" in self.reallocs:
            return self.reallocs["realloc"]
        owner = next((u for u in self.units if "cabi_realloc" in u.exported), None)
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
        self.emit_imports()
        main_module = b.core_module(self.plan.main_module)
        modules = {u.tag: b.core_module(b"".join(bytes(c) for c in strip_component_types(
            u.module, u.data))) for u in self.units}
        init_module = b.core_module(self.plan.init_module)
        main = b.core_instantiate(main_module, [])
        self.memory = b.alias_core_export(main, "memory", "core memory")
        provided: dict = {}
        slots = []
        for unit in self.units:
            for x in unit.imports:
                if not isinstance(x, Bound):
                    continue
                item = x.item
                if item.role == "func":
                    opts = function_options(self.resolve, item.function, "lower")
                    if opts.realloc:
                        slots.append((unit, x))
                        continue
                    provided[unit.tag, x.module, x.name] = b.canon(cm.Lower(
                        self.imported_function(item),
                        _options(opts, self.memory, None, self.encoding)))
                elif item.role == "resource-drop":
                    resource = self.enc.valtype(self.scope, item.resource)
                    provided[unit.tag, x.module, x.name] = b.canon(cm.ResourceDrop(resource))
                else:
                    raise LinkError(f"`{x.module}` `{x.name}`: not supported by wasmlink's "
                                    f"component link yet", path=unit.path)
        shim_instance = None
        if slots:
            shim = b.core_module(shim_module([x.item.signature for _, x in slots]))
            shim_instance = b.core_instantiate(shim, [])
            for n, (unit, x) in enumerate(slots):
                provided[unit.tag, x.module, x.name] = b.alias_core_export(shim_instance, str(n),
                                                                           "core func")
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
                    if isinstance(x, Bound):
                        exports.append((name, "core func", provided[unit.tag, module_name, name]))
                        continue
                    if x[2].kind == "stub":          # --stub-missing-functions: a trap
                        signature = unit.module.types[descs[module_name, name]]
                        exports.append((name, sort, self.trap_stub(signature)))
                        continue
                    exports.append((name, sort, self._source(x[2], sort, instances)))
                args.append((module_name, b.core_instance_of(exports)))
            unit.instance = instances[unit.tag] = b.core_instantiate(modules[unit.tag], args)
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
        if slots:
            actual = []
            for unit, x in slots:
                opts = function_options(self.resolve, x.item.function, "lower")
                actual.append(b.canon(cm.Lower(self.imported_function(x.item),
                                               _options(opts, self.memory,
                                                        self.realloc_for_imports(unit),
                                                        self.encoding))))
            fixup = b.core_module(fixup_module([x.item.signature for _, x in slots]))
            actual_instance = b.core_instance_of([(str(i), "core func", f)
                                                  for i, f in enumerate(actual)])
            b.core_instantiate(fixup, [("actual", actual_instance), ("shim", shim_instance)])
        self.emit_exports()
        b.custom("producers", encode_producers(ProducersSection([ProducersField(
            PROCESSED_BY, [("wasmlink", __version__)])])))
        return b.finish()

    def _source(self, source, sort: str, instances: dict) -> int:
        if source.kind == "main":
            return self.b.alias_core_export(instances["main"], source.name, sort)
        if source.kind == "library":
            if source.library not in instances:
                raise LinkError(f"library `{source.library}` is needed before it is "
                                f"instantiated (a cycle the plan did not break)", path=self.path)
            return self.b.alias_core_export(instances[source.library], source.name, sort)
        raise LinkError(f"unexpected import source {source!r}", path=self.path)


def _module(data):
    from ..binary.module import Module
    return Module(data, 0, len(data))


def link_component(libraries, *, dl_openable=(), stack_size: int = 1 << 20,
                   stub_missing_functions: bool = False, use_built_in_libdl: bool = False,
                   path: str = "component") -> bytes:
    """The component of ``libraries`` ((name, bytes, path) triples, in input order)."""
    from ..dynlink import plan_link
    from .world_of_module import world_of_module
    plan = plan_link(libraries, dl_openable=dl_openable, stack_size=stack_size,
                     stub_missing_functions=stub_missing_functions,
                     use_built_in_libdl=use_built_in_libdl)
    resolve = world = None
    encoding = "utf8"
    from ..wit.merge import merge_worlds
    for name, data, lib_path in libraries:
        try:
            r, w, e = world_of_module(data, lib_path)
        except LinkError:
            continue                       # a library without a world of its own
        if resolve is None:
            resolve, world, encoding = r, w, e
        else:
            resolve, world = merge_worlds(resolve, world, r, w)
    if resolve is None:
        from ..wit.resolve import Resolve
        resolve = Resolve()
        package = resolve.push_str("package root:component;\nworld root {}\n", "<empty>")
        world = resolve.select_world(package)
    linker = _Linker(plan, libraries, resolve, world, encoding, path)
    linker.scope.renames = {}
    return encode_component(linker.build())
