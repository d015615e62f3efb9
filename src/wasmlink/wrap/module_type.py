"""A core module's type as the component model writes it (a `moduletype`: its imports and
exports with their core types), for components that import a module instead of embedding it
(`component link --import-libraries`): the import says exactly what module it needs."""
from __future__ import annotations

from ..binary.module import Module
from ..binary.types import FUNC, GLOBAL, MEMORY, TABLE, TAG, Import, TagType
from ..component import model as cm
from ..errors import ParseError


def module_type_of(data, start: int = 0, end: int | None = None,
                   path: str | None = None) -> cm.ModuleType:
    """The type of the module in ``data[start:end]``; an index that points at nothing (a
    malformed module) is a ParseError at the section that holds it."""
    module = Module(data, start, len(data) if end is None else end, path)
    types = module.types
    decls: list = []
    local: dict = {}                 # the module's type index -> index among the decls' types

    def section_offset(section_id: int) -> int:
        return next((s.start for s in module.sections if s.id == section_id), start)

    def pick(items, index: int, what: str, section_id: int):
        if not 0 <= index < len(items):
            raise ParseError(f"{what} {index} does not exist (the module has {len(items)})",
                             section_offset(section_id), path=path,
                             context=SECTION_NAMES.get(section_id, "module"))
        return items[index]

    def type_index(index: int, section_id: int) -> int:
        if index not in local:
            decl = pick(types, index, "type", section_id)
            local[index] = len(local)
            decls.append(decl)
        return local[index]

    imported = {FUNC: [], TABLE: [], MEMORY: [], GLOBAL: [], TAG: []}
    imports = []
    for imp in module.imports:
        desc = imp.desc
        if imp.kind == FUNC:
            desc = type_index(imp.desc, IMPORT_SECTION)
        elif imp.kind == TAG:
            desc = TagType(imp.desc.attribute, type_index(imp.desc.type_index, IMPORT_SECTION))
        imported[imp.kind].append(imp)
        imports.append(Import(imp.module, imp.name, imp.kind, desc))

    def defined(kind, index, local_items, what):
        n = len(imported[kind])
        if index < n:
            return imported[kind][index].desc, True
        return pick(local_items, index - n, what, EXPORT_SECTION), False

    exports = []
    for e in module.exports:
        if e.kind == FUNC:
            t, _ = defined(FUNC, e.index, module.functions, "function")
            desc = type_index(t, EXPORT_SECTION)
        elif e.kind == GLOBAL:
            g, is_import = defined(GLOBAL, e.index, module.globals, "global")
            desc = g if is_import else g.type
        elif e.kind == MEMORY:
            desc, _ = defined(MEMORY, e.index, module.memories, "memory")
        elif e.kind == TABLE:
            t, is_import = defined(TABLE, e.index, module.tables, "table")
            desc = t if is_import else t.type
        else:
            tag, _ = defined(TAG, e.index, module.tags, "tag")
            desc = TagType(tag.attribute, type_index(tag.type_index, EXPORT_SECTION))
        exports.append(cm.CoreExportDecl(e.name, e.kind, desc))
    return cm.ModuleType(tuple(decls + imports + exports))


IMPORT_SECTION, EXPORT_SECTION = 2, 7
SECTION_NAMES = {2: "import section", 7: "export section"}
