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

from typing import NamedTuple

from .. import __version__
from ..binary.module import Module
from ..binary.producers import (PROCESSED_BY, ProducersField, ProducersSection,
                                decode_producers, encode_producers)
from ..binary.types import FUNC, MEMORY, FuncType
from ..component import model as cm
from ..component.encode import encode_component
from ..errors import LinkError
from ..wit import model as wm
from ..wit.core_names import core_items, function_options
from ..wit.encode import WorldEncoder
from .builder import ComponentBuilder, ComponentScope
from .shims import fixup_module, shim_module

STRING_OPTION = {"utf8": 0x00, "utf16": 0x01, "compact-utf16": 0x02}
OPT_MEMORY, OPT_REALLOC, OPT_POST_RETURN = 0x03, 0x04, 0x05


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


def function_type_of(module: Module, index: int) -> FuncType:
    imported = [i for i in module.imports if i.kind == FUNC]
    if index < len(imported):
        return module.types[imported[index].desc]
    return module.types[module.functions[index - len(imported)]]


class Binding(NamedTuple):
    imports: list            # Bound, in the module's import order
    exports: dict            # role/name -> Bound
    scheme: str


def bind(module: Module, resolve, world_id: int, path: str = "module") -> Binding:
    """Match the module's imports and exports to the world (step 1)."""
    scheme = "standard" if _uses_standard_names(module) else "legacy"
    items = core_items(resolve, world_id, scheme)
    wanted_imports = {(i.module, i.name): i for i in items if i.direction == "import"}
    wanted_exports = {i.name: i for i in items if i.direction == "export"}
    world_name = resolve.worlds[world_id].name
    imports = []
    for imp in module.imports:
        item = wanted_imports.get((imp.module, imp.name))
        if item is None:
            raise LinkError(f"module imports `{imp.module}` `{imp.name}`, which world "
                            f"`{world_name}` does not define", path=path)
        if imp.kind != FUNC:
            raise LinkError(f"import `{imp.module}` `{imp.name}` must be a function", path=path)
        actual = module.types[imp.desc]
        if actual != item.signature:
            raise LinkError(f"import `{imp.module}` `{imp.name}` has type "
                            f"{_signature_text(actual)}, but world `{world_name}` gives it "
                            f"{_signature_text(item.signature)}", path=path)
        imports.append(Bound(imp.module, imp.name, item))
    exports = {}
    exported = {e.name: e for e in module.exports}
    for name, item in wanted_exports.items():
        e = exported.get(name)
        if e is None:
            if item.role == "func":
                raise LinkError(f"module does not export `{name}`, which world `{world_name}` "
                                f"exports (core type {_signature_text(item.signature)})", path=path)
            if item.role == "dtor":
                raise LinkError(f"module does not export `{name}`, the destructor of an "
                                f"exported resource", path=path)
            continue
        if item.kind == "memory":
            if e.kind != MEMORY:
                raise LinkError(f"export `{name}` must be a memory", path=path)
        else:
            if e.kind != FUNC:
                raise LinkError(f"export `{name}` must be a function", path=path)
            actual = function_type_of(module, e.index)
            if actual != item.signature:
                raise LinkError(f"export `{name}` has type {_signature_text(actual)}, but "
                                f"world `{world_name}` needs {_signature_text(item.signature)}",
                                path=path)
        exports[name] = Bound(None, name, item)
    return Binding(imports, exports, scheme)


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
    def __init__(self, module: Module, data, resolve, world_id: int, encoding: str, path: str,
                 adapters=(), realloc_via_memory_grow: bool = False):
        self.module, self.data = module, data
        self.adapters = list(adapters)
        self.realloc_via_memory_grow = realloc_via_memory_grow
        self.resolve, self.world_id = resolve, world_id
        self.encoding = encoding
        self.path = path
        self.world = resolve.worlds[world_id]
        self.binding = bind(module, resolve, world_id, path)
        self.b = ComponentBuilder()
        self.scope = ComponentScope(self.b)
        self.enc = WorldEncoder(resolve, world_id)

    # -- step 2: imports -------------------------------------------------------------------------
    def needed_interfaces(self) -> set:
        used = {b.item.interface for b in self.binding.imports if b.item.interface is not None}
        needed = set()
        stack = [k for k in used]
        while stack:
            key = stack.pop()
            if key in needed:
                continue
            needed.add(key)
            iface = key if isinstance(key, int) else self.world.imports[key].id
            for dep in self.resolve.interface_direct_deps(iface):
                stack.append(dep)
        # interfaces whose types the world's own functions or exports use
        return needed

    def emit_imports(self) -> None:
        needed = self.needed_interfaces()
        used_root = {b.item.function.name for b in self.binding.imports
                     if b.item.interface is None and b.item.function is not None}
        used_root_resources = {b.item.resource for b in self.binding.imports
                               if b.item.interface is None and b.item.resource is not None}
        for key, item in self.world.imports.items():
            if isinstance(item, wm.WorldInterface):
                if key in needed or item.id in needed:
                    self.enc._item(self.scope, key, item, cm.ImportDecl)
            elif isinstance(item, wm.WorldFunction):
                if item.func.name in used_root:
                    self.enc._item(self.scope, key, item, cm.ImportDecl)
            elif isinstance(item, wm.WorldType):
                td = self.resolve.types[item.id]
                target = td.kind.type if isinstance(td.kind, wm.Alias) else None
                owner = self.resolve.types[target].owner if isinstance(target, int) else None
                if (owner and owner[1] in needed) or item.id in used_root_resources \
                        or self._root_needs_type(item.id):
                    self.enc._item(self.scope, key, item, cm.ImportDecl)

    def _root_needs_type(self, tid: int) -> bool:
        """Does an exported or used root function mention world type ``tid``?"""
        funcs = [b.item.function for b in self.binding.imports
                 if b.item.interface is None and b.item.function is not None]
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
            items = value if isinstance(value, list) else [value]
            for v in items:
                inner = getattr(v, "type", v)
                if isinstance(inner, int) and self._mentions(inner, tid, depth + 1):
                    return True
        return False

    def imported_function(self, item) -> int:
        """The component-level func index of a world function the module imports."""
        if item.interface is None:
            return self.root_funcs[item.function.name]
        iface = item.interface if isinstance(item.interface, int) else \
            self.world.imports[item.interface].id
        instance = self.scope.instance_of[iface]
        key = (instance, item.function.name)
        if key not in self.aliased_funcs:
            self.aliased_funcs[key] = self.b.alias_export(instance, item.function.name, "func")
        return self.aliased_funcs[key]

    # -- steps 3 and 4 -----------------------------------------------------------------------
    def build(self) -> cm.Component:
        b = self.b
        self.aliased_funcs = {}
        self.emit_imports()
        self.root_funcs = self.scope.func_imports
        main = b.core_module(b"".join(bytes(c) for c in strip_component_types(self.module,
                                                                             self.data)))
        lowered: dict[tuple[str, str], int] = {}
        deferred = []                  # imports lowered with the module's memory, via the shim
        for bound in self.binding.imports:
            item = bound.item
            if item.role == "func":
                opts = function_options(self.resolve, item.function, "lower")
                if opts.memory or opts.realloc:
                    deferred.append(bound)
                    continue
                func = self.imported_function(item)
                lowered[bound.module, bound.name] = b.canon(
                    cm.Lower(func, _options(opts, None, None, self.encoding)))
            elif item.role == "resource-drop" and not bound.module.startswith(("[export]", "cm32p2|_ex_")):
                resource = self.enc.valtype(self.scope, item.resource)
                lowered[bound.module, bound.name] = b.canon(cm.ResourceDrop(resource))
            else:
                raise LinkError(f"`{bound.module}` `{bound.name}`: exported resources are not "
                                f"supported by wasmlink's component new yet", path=self.path)
        shim_instance = None
        if deferred:
            signatures = [self._core_type(bound) for bound in deferred]
            shim = b.core_module(shim_module(signatures, [f"{d.module}-{d.name}" for d in deferred]))
            shim_instance = b.core_instantiate(shim, [])
            for slot, bound in enumerate(deferred):
                lowered[bound.module, bound.name] = b.alias_core_export(shim_instance, str(slot),
                                                                        "core func")
        args = []
        by_module: dict[str, list] = {}
        for bound in self.binding.imports:
            by_module.setdefault(bound.module, []).append(bound)
        for module_name, bounds in by_module.items():
            instance = b.core_instance_of([(x.name, "core func", lowered[x.module, x.name])
                                           for x in bounds])
            args.append((module_name, instance))
        main_instance = b.core_instantiate(main, args)
        self.main_instance = main_instance
        exports = self.binding.exports
        names = {x.item.role: x.name for x in exports.values()}
        memory = realloc = None
        if "memory" in names:
            memory = b.alias_core_export(main_instance, names["memory"], "core memory")
        needs_memory = any(function_options(self.resolve, d.item.function, "lower").memory
                           for d in deferred)
        if needs_memory and memory is None:
            raise LinkError("module does not export a memory, which its imports need",
                            path=self.path)
        if deferred:
            realloc_needed = any(function_options(self.resolve, d.item.function, "lower").realloc
                                 for d in deferred)
            if realloc_needed:
                if "realloc" not in names:
                    raise LinkError("module does not export `cabi_realloc`, which its imports "
                                    "need (they return lists or strings)", path=self.path)
                realloc = b.alias_core_export(main_instance, names["realloc"], "core func")
            actual = []
            for bound in deferred:
                opts = function_options(self.resolve, bound.item.function, "lower")
                func = self.imported_function(bound.item)
                actual.append(b.canon(cm.Lower(func, _options(opts, memory, realloc,
                                                              self.encoding))))
            fixup = b.core_module(fixup_module([self._core_type(x) for x in deferred]))
            actual_instance = b.core_instance_of([(str(i), "core func", f)
                                                  for i, f in enumerate(actual)])
            b.core_instantiate(fixup, [("actual", actual_instance), ("shim", shim_instance)])
        self.memory, self.realloc = memory, realloc
        self.emit_exports()
        b.custom("producers", encode_producers(ProducersSection([ProducersField(
            PROCESSED_BY, [("wasmlink", __version__)])])))
        return b.finish()

    def _core_type(self, bound) -> FuncType:
        return bound.item.signature

    # -- exports -------------------------------------------------------------------------------
    def _lift(self, export_name: str, func, scope) -> int:
        b = self.b
        opts = function_options(self.resolve, func, "lift")
        names = self.binding.exports
        realloc = None
        if opts.realloc:
            if self.realloc is None:
                realloc_export = next((x.name for x in names.values() if x.item.role == "realloc"),
                                      None)
                if realloc_export is None:
                    raise LinkError(f"module does not export `cabi_realloc`, which `{export_name}`"
                                    f" needs (it takes lists or strings)", path=self.path)
                self.realloc = b.alias_core_export(self.main_instance, realloc_export,
                                                   "core func")
            realloc = self.realloc
        if opts.memory and self.memory is None:
            raise LinkError(f"module does not export a memory, which `{export_name}` needs",
                            path=self.path)
        post = None
        post_name = next((x.name for x in names.values() if x.item.role == "post-return"
                          and x.item.function is func), None)
        if post_name is not None:
            post = b.alias_core_export(self.main_instance, post_name, "core func")
        core = b.alias_core_export(self.main_instance, export_name, "core func")
        functype = self.enc._function(scope, func)
        return b.canon(cm.Lift(core, _options(opts, self.memory, realloc, self.encoding, post),
                               functype))

    def emit_exports(self) -> None:
        b = self.b
        names = self.binding.exports
        by_function = {id(x.item.function): x.name for x in names.values() if x.item.role == "func"}
        for item in self.world.exports.values():
            if isinstance(item, wm.WorldFunction):
                func_index = self._lift(by_function[id(item.func)], item.func, self.scope)
                b.export(item.func.name, "func", func_index)
        for key, item in self.world.exports.items():
            if isinstance(item, wm.WorldInterface):
                self._export_interface(key, item.id, by_function)

    def _export_interface(self, key, iface_id: int, by_function: dict) -> None:
        from .exported_interface import export_interface
        export_interface(self, key, iface_id, by_function)


def new_component(data, resolve=None, world_id: int | None = None, *, encoding: str | None = None,
                  path: str = "module", adapters=(), import_names=None,
                  realloc_via_memory_grow: bool = False) -> bytes:
    """The component wrapping core module ``data`` (bytes or memoryview). The world comes from
    the module's `component-type` sections unless given as (resolve, world_id). ``adapters``:
    (import module name, adapter bytes, path) triples; ``import_names``: {old: new} for the
    component's imports."""
    module = Module(data, 0, len(data), path=path)
    if resolve is None:
        from .world_of_module import world_of_module
        resolve, world_id, found_encoding = world_of_module(module, data, path)
        encoding = encoding or found_encoding
    wrapper = _Wrapper(module, data, resolve, world_id, encoding or "utf8", path,
                       adapters=adapters, realloc_via_memory_grow=realloc_via_memory_grow)
    wrapper.scope.renames = dict(import_names or {})
    component = wrapper.build()
    unused = set(wrapper.scope.renames) - wrapper.scope.renamed
    if unused:
        raise LinkError(f"--import-name {sorted(unused)[0]}=...: the component has no such "
                        f"import", path=path)
    return encode_component(component)
