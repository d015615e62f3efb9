"""Building a component item by item, the index spaces kept as it goes (the shape of
wasm-encoder's ComponentBuilder): each method appends one definition and returns its index in
its sort's space; consecutive items of one kind share a section. `finish` gives the model
that component/encode.py writes.

`ComponentScope` lets the WIT world encoder (wit/encode.py) emit into a real component rather
than into a component type: its type definitions, instance-type imports and alias exports
become type, import and alias sections here, with the same index bookkeeping.
"""
from __future__ import annotations

from ..component import model as cm

SORT_OF_EXTERN = {"module": "core module", "func": "func", "value": "value", "type": "type",
                  "component": "component", "instance": "instance"}


class ComponentBuilder:
    def __init__(self):
        self.sections: list = []
        self._open_kind = None
        self._open_items: list = []
        self.counts: dict[str, int] = {}

    # -- bookkeeping ---------------------------------------------------------------------------
    def _next(self, sort: str) -> int:
        n = self.counts.get(sort, 0)
        self.counts[sort] = n + 1
        return n

    def _item(self, section_cls, item) -> None:
        if self._open_kind is not section_cls:
            self._flush()
            self._open_kind = section_cls
        self._open_items.append(item)

    def _flush(self) -> None:
        if self._open_kind is not None:
            self.sections.append(self._open_kind(tuple(self._open_items)))
        self._open_kind, self._open_items = None, []

    def _whole(self, section) -> None:
        self._flush()
        self.sections.append(section)

    def count(self, sort: str) -> int:
        return self.counts.get(sort, 0)

    # -- definitions ---------------------------------------------------------------------------
    def core_module(self, data) -> int:
        self._whole(cm.CoreModuleSection(data))
        return self._next("core module")

    def core_instantiate(self, module: int, args: list[tuple[str, int]]) -> int:
        self._item(cm.CoreInstanceSection, cm.CoreInstantiate(
            module, tuple(cm.CoreInstantiateArg(n, i) for n, i in args)))
        return self._next("core instance")

    def core_instance_of(self, exports: list[tuple[str, str, int]]) -> int:
        """A core instance made of (name, core sort, index) exports."""
        self._item(cm.CoreInstanceSection, cm.CoreInlineExports(
            tuple(cm.CoreInlineExport(n, s, i) for n, s, i in exports)))
        return self._next("core instance")

    def alias_core_export(self, instance: int, name: str, sort: str) -> int:
        self._item(cm.AliasSection, cm.AliasCoreExport(sort, instance, name))
        return self._next(sort)

    def alias_export(self, instance: int, name: str, sort: str) -> int:
        self._item(cm.AliasSection, cm.AliasExport(sort, instance, name))
        return self._next(sort)

    def alias_outer(self, count: int, index: int, sort: str) -> int:
        self._item(cm.AliasSection, cm.AliasOuter(sort, count, index))
        return self._next(sort)

    def core_type(self, t) -> int:
        self._item(cm.CoreTypeSection, t)
        return self._next("core type")

    def type(self, t) -> int:
        self._item(cm.TypeSection, t)
        return self._next("type")

    def import_(self, name: str, extern: cm.ExternType, name_form: int = 0,
                attributes: tuple = ()) -> int:
        self._item(cm.ImportSection, cm.Import(name, extern, name_form, attributes))
        return self._next(SORT_OF_EXTERN[extern.kind])

    def canon(self, definition) -> int:
        self._item(cm.CanonSection, definition)
        return self._next("func" if isinstance(definition, cm.Lift) else "core func")

    def instantiate(self, component: int, args: list[tuple[str, str, int]]) -> int:
        self._item(cm.InstanceSection, cm.Instantiate(
            component, tuple(cm.InstantiateArg(n, cm.SortIdx(s, i)) for n, s, i in args)))
        return self._next("instance")

    def instance_of(self, exports: list[tuple[str, str, int]]) -> int:
        self._item(cm.InstanceSection, cm.InlineExports(
            tuple(cm.InlineExport(n, cm.SortIdx(s, i)) for n, s, i in exports)))
        return self._next("instance")

    def export(self, name: str, sort: str, index: int, ascribed: cm.ExternType | None = None,
               name_form: int = 0, attributes: tuple = ()) -> int:
        self._item(cm.ExportSection, cm.Export(name, cm.SortIdx(sort, index), ascribed,
                                               name_form, attributes))
        return self._next(sort)

    def component(self, component: cm.Component) -> int:
        self._whole(cm.ComponentSection(component))
        return self._next("component")

    def custom(self, name: str, payload: bytes) -> None:
        self._whole(cm.CustomSection(name, payload))

    def finish(self) -> cm.Component:
        self._flush()
        return cm.Component(tuple(self.sections))


class ComponentScope:
    """The world encoder's scope interface (define / declare / alias, and its maps), writing
    into a ComponentBuilder: declarators become real imports (or exports), aliases real
    aliases."""

    parent = None

    def __init__(self, builder: ComponentBuilder):
        self.builder = builder
        self.named: dict[int, int] = {}
        self.anonymous: dict = {}
        self.instance_of: dict[int, int] = {}
        self.func_imports: dict[str, int] = {}     # imported function name -> func index
        self.renames: dict[str, str] = {}          # --import-name OLD=NEW
        self.renamed: set[str] = set()

    @property
    def types(self) -> int:
        return self.builder.count("type")

    def define(self, t) -> int:
        return self.builder.type(t)

    def declare(self, decl) -> int:
        if isinstance(decl, cm.ImportDecl):
            name = self.renames.get(decl.name, decl.name)
            if name != decl.name:
                self.renamed.add(decl.name)
            index = self.builder.import_(name, decl.type, decl.name_form, decl.attributes)
            if decl.type.kind == "func":
                self.func_imports[decl.name] = index
            return index
        raise ValueError("a component scope only declares imports (exports are built)")

    def alias(self, alias) -> int:
        if isinstance(alias, cm.AliasExport):
            return self.builder.alias_export(alias.instance, alias.name, alias.sort)
        return self.builder.alias_outer(alias.count, alias.index, alias.sort)
