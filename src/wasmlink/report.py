"""`wasmlink inspect` reports: what is inside a binary, as a dict and as text.

The report is built from the lazy views: section rows from the native scan, counts read from
the head of each section, and only the sections a report shows are decoded. The dict is the
``--json`` output, whose shape is versioned (``"format": 1``) and documented in README.md; the
text form is rendered from the same dict, so the two never disagree.
"""
from __future__ import annotations

from .binary.files import MappedFile, detect_kind
from .binary.types import KIND_NAMES, valtype_name
from .errors import ParseError, UnsupportedError

FORMAT_VERSION = 1
COUNTED = {1: "types", 2: "imports", 3: "functions", 4: "tables", 5: "memories", 6: "globals",
           7: "exports", 9: "element segments", 10: "function bodies", 11: "data segments",
           13: "tags"}


def inspect_file(path, *, file_hash: bool = True) -> dict:
    """The report of one file. ``file_hash=False`` leaves out the sha256 of the whole file (the
    text form of a module or archive does not show it, and it is most of the cost there)."""
    with MappedFile(path) as mapped:
        data = mapped.data
        kind = detect_kind(data)
        report = {"path": mapped.path, "size": len(data)}
        if file_hash or kind == "component":
            import hashlib
            report["sha256"] = hashlib.sha256(data).hexdigest()
        if kind == "module":
            from .binary.module import Module
            module = Module(data, path=mapped.path)
            report["kind"] = "object" if module.is_relocatable else "module"
            report.update(module_report(module))
        elif kind == "component":
            from .binary.component import Component
            report["kind"] = "component"
            report.update(component_report(Component(data, path=mapped.path)))
        elif kind == "archive":
            from .binary.archive import Archive
            report["kind"] = "archive"
            report.update(archive_report(Archive(data, path=mapped.path)))
        elif kind == "thin-archive":
            raise UnsupportedError("thin archives are not supported", path=mapped.path)
        elif kind == "bitcode":
            raise UnsupportedError("LLVM bitcode (an LTO object) is not supported",
                                   path=mapped.path)
        else:
            raise ParseError("not a wasm module, component or archive: bad magic number "
                             "(expected \\0asm or !<arch>)", 0, path=mapped.path)
        return report


def describe_desc(kind: int, desc) -> str:
    if kind == 0:
        return f"type {desc}"
    if kind == 1:
        lim = desc.limits
        return f"{valtype_name(desc.element)} {lim.minimum}" + (f"..{lim.maximum}" if lim.maximum is not None else "")
    if kind == 2:
        lim = desc.limits
        text = f"pages {lim.minimum}" + (f"..{lim.maximum}" if lim.maximum is not None else "")
        return text + (" shared" if lim.shared else "") + (" i64" if lim.is64 else "")
    if kind == 3:
        return ("mut " if desc.mutable else "") + valtype_name(desc.valtype)
    return f"tag type {desc.type_index}"


def module_report(module) -> dict:
    sections = []
    for s in module.sections:
        row = {"id": s.id, "name": s.kind, "offset": s.start, "payload_offset": s.payload,
               "size": s.size}
        if s.id in COUNTED:
            row["count"] = module.item_count(s.id)
        sections.append(row)
    report = {
        "sections": sections,
        "imports": [{"module": i.module, "name": i.name, "kind": KIND_NAMES[i.kind],
                     "type": describe_desc(i.kind, i.desc)} for i in module.imports],
        "exports": [{"name": e.name, "kind": KIND_NAMES[e.kind], "index": e.index}
                    for e in module.exports],
        "index_spaces": module.index_space_sizes(),
    }
    for key, build in (("linking", linking_report), ("relocations", relocations_report),
                       ("dylink", dylink_report), ("component_types", component_types_report)):
        value = build(module)
        if value is not None:
            report[key] = value
    return report


def linking_report(module):
    section = module.custom("linking")
    if section is None:
        return None
    from .binary.linking import linking_summary
    return linking_summary(module)


def relocations_report(module):
    sections = module.custom_sections(prefix="reloc.")
    if not sections:
        return None
    from .binary.linking import relocation_summary
    return relocation_summary(module)


def dylink_report(module):
    section = module.custom("dylink.0")
    if section is None:
        return None
    from .binary.dylink import dylink_summary
    return dylink_summary(module, section)


def component_types_report(module):
    from .binary.component_type import component_type_sections, is_component_type_section
    if not any(s.id == 0 and is_component_type_section(s.name) for s in module.sections):
        return None
    return [{"name": c.name, "world": c.world, "version": c.version,
             "string_encoding": c.string_encoding, "size": c.size}
            for c in component_type_sections(module)]


def component_report(component) -> dict:
    units = []
    for u in component.units:
        row = {"index": u.index, "kind": u.kind, "parent": u.parent, "depth": u.depth,
               "offset": u.start, "size": u.size, "sections": u.section_count,
               "sha256": component.sha256(u.index)}
        if u.kind == "module":
            m = component.module(u.index)
            row["imports"] = m.item_count(2) or 0
            row["exports"] = m.item_count(7) or 0
            if m.custom("dylink.0") is not None:
                row["dylink"] = dylink_report(m)
        units.append(row)
    return {"units": units,
            "sections": [{"id": s.id, "name": s.kind if s.id == 0 else
                          component.section_name(0, s.id), "offset": s.start, "size": s.size}
                         for s in component.sections(0)]}


def archive_report(archive) -> dict:
    from .binary.archive import archive_summary
    return archive_summary(archive)


# -- text rendering ---------------------------------------------------------------------------

def render_text(report: dict, limit: int = 10) -> str:
    digest = f", sha256 {report['sha256']}" if "sha256" in report else ""
    out = [f"{report['path']}: {report['kind']}, {report['size']} bytes{digest}"]
    kind = report["kind"]
    if kind in ("module", "object"):
        render_module(report, out, limit, "  ")
    elif kind == "component":
        out.append(f"  {len(report['units']) - 1} nested units:")
        for u in report["units"]:
            pad = "  " * (u["depth"] + 1)
            extra = ""
            if u["kind"] == "module":
                extra = f", {u['imports']} imports, {u['exports']} exports"
                if "dylink" in u:
                    extra += ", dylink.0"
            out.append(f"{pad}[{u['index']}] {u['kind']} at 0x{u['offset']:x}, {u['size']} bytes"
                       f"{extra}, sha256 {u['sha256'][:16]}")
    elif kind == "archive":
        from .binary.archive import render_archive
        render_archive(report, out, limit)
    return "\n".join(out)


def _listing(out, title, rows, limit, pad):
    out.append(f"{pad}{title}: {len(rows)}")
    shown = rows if limit <= 0 else rows[:limit]
    for row in shown:
        out.append(f"{pad}  {row}")
    if len(shown) < len(rows):
        out.append(f"{pad}  ... {len(rows) - len(shown)} more (-v shows all, --json for data)")


def render_module(report: dict, out: list, limit: int, pad: str) -> None:
    out.append(f"{pad}sections:")
    for s in report["sections"]:
        count = f"  count {s['count']}" if "count" in s else ""
        out.append(f"{pad}  {s['name']:<20} offset 0x{s['offset']:08x}  size {s['size']:>9}{count}")
    spaces = report["index_spaces"]
    out.append(f"{pad}index spaces: " + ", ".join(f"{k} {v}" for k, v in spaces.items() if v))
    _listing(out, "imports", [f"{i['module']}.{i['name']}  {i['kind']} {i['type']}"
                              for i in report["imports"]], limit, pad)
    _listing(out, "exports", [f"{e['name']}  {e['kind']} {e['index']}"
                              for e in report["exports"]], limit, pad)
    if "linking" in report:
        from .binary.linking import render_linking
        render_linking(report["linking"], out, pad, limit)
    if "relocations" in report:
        out.append(f"{pad}relocations: " + ", ".join(
            f"{name} {count}" for name, count in report["relocations"].items()))
    if "dylink" in report:
        from .binary.dylink import render_dylink
        render_dylink(report["dylink"], out, pad)
    for c in report.get("component_types", ()):
        out.append(f"{pad}{c['name']}: world {c['world']}, {c['size']} bytes, encoding version "
                   f"{c['version']}, strings {c['string_encoding']}")
