"""A core module's type as the component model writes it (a `moduletype`: its imports and
exports with their core types), for components that import a module instead of embedding it
(`component link --import-libraries`): the import says exactly what module it needs."""
from __future__ import annotations

from ..binary.module import Module
from ..binary.types import FUNC, GLOBAL, MEMORY, TABLE, TAG, Import, TagType
from ..component import model as cm


def module_type_of(data) -> cm.ModuleType:
    module = Module(data, 0, len(data))
    types = module.types
    decls: list = []
    local: dict = {}                 # the module's type index -> index among the decls' types

    def type_index(index: int) -> int:
        if index not in local:
            local[index] = len(local)
            decls.append(types[index])
        return local[index]

    imported = {FUNC: [], TABLE: [], MEMORY: [], GLOBAL: [], TAG: []}
    imports = []
    for imp in module.imports:
        desc = imp.desc
        if imp.kind == FUNC:
            desc = type_index(imp.desc)
        elif imp.kind == TAG:
            desc = TagType(imp.desc.attribute, type_index(imp.desc.type_index))
        imported[imp.kind].append(imp)
        imports.append(Import(imp.module, imp.name, imp.kind, desc))
    exports = []
    for e in module.exports:
        if e.kind == FUNC:
            n = len(imported[FUNC])
            t = imported[FUNC][e.index].desc if e.index < n else module.functions[e.index - n]
            desc = type_index(t)
        elif e.kind == GLOBAL:
            n = len(imported[GLOBAL])
            desc = imported[GLOBAL][e.index].desc if e.index < n else \
                module.globals[e.index - n].type
        elif e.kind == MEMORY:
            n = len(imported[MEMORY])
            desc = imported[MEMORY][e.index].desc if e.index < n else \
                module.memories[e.index - n]
        elif e.kind == TABLE:
            n = len(imported[TABLE])
            desc = imported[TABLE][e.index].desc if e.index < n else module.tables[e.index - n].type
        else:
            n = len(imported[TAG])
            tag = imported[TAG][e.index].desc if e.index < n else module.tags[e.index - n]
            desc = TagType(tag.attribute, type_index(tag.type_index))
        exports.append(cm.CoreExportDecl(e.name, e.kind, desc))
    return cm.ModuleType(tuple(decls + imports + exports))
