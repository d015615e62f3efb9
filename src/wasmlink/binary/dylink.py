"""The "dylink.0" custom section of a WebAssembly shared library, and its legacy "dylink" form.

dylink.0 (tool-conventions DynamicLinking.md) is a sequence of subsections framed like those of
the name section: a type byte, a size, a payload. The types are memory info (1: memory size and
alignment, table size and alignment, alignments as powers of 2), needed libraries (2), export
info (3: name, symbol flags), import info (4: module, field, symbol flags) and runtime path (5).
A subsection type may repeat (the text format starts a new export-info or import-info subsection
for each run of entries), so the section is kept as its list of subsections in order; the
properties join them the way LLVM's reader does: the last memory info wins, the lists are
concatenated. Unknown types are kept as raw bytes. Each subsection keeps the width its size had,
so decode → encode is byte-identical.

The flags are the symbol flags of the linking section (Linking.md, WASM_SYM_* in linking.py):
wasm-ld writes import info only for weak imports (BINDING_WEAK | UNDEFINED) and export info only
for TLS exports.

The legacy "dylink" section (before LLVM 13) had no subsections: the four memory-info fields,
then the needed libraries. It is decoded too, into LegacyDylinkSection, which offers the same
properties, so a caller that only wants memory info and needed libraries need not care which
one a library has.
"""
from __future__ import annotations

from typing import NamedTuple

from .._native.leb128 import encode_u32
from .names import append_name, padded_width
from .reader import Reader

SECTION_NAME = "dylink.0"
LEGACY_SECTION_NAME = "dylink"

WASM_DYLINK_MEM_INFO = 1
WASM_DYLINK_NEEDED = 2
WASM_DYLINK_EXPORT_INFO = 3
WASM_DYLINK_IMPORT_INFO = 4
WASM_DYLINK_RUNTIME_PATH = 5

SUBSECTION_NAMES = {
    WASM_DYLINK_MEM_INFO: "mem info", WASM_DYLINK_NEEDED: "needed",
    WASM_DYLINK_EXPORT_INFO: "export info", WASM_DYLINK_IMPORT_INFO: "import info",
    WASM_DYLINK_RUNTIME_PATH: "runtime path",
}

class MemInfo(NamedTuple):
    """Memory and table the loader reserves; alignments are log2 (p2align), as encoded."""
    memory_size: int = 0
    memory_p2align: int = 0
    table_size: int = 0
    table_p2align: int = 0


class ExportInfo(NamedTuple):
    name: str
    flags: int


class ImportInfo(NamedTuple):
    module: str
    field: str
    flags: int


class DylinkSubsection(NamedTuple):
    """``value`` is MemInfo, list[str] (needed, runtime path), list[ExportInfo],
    list[ImportInfo], or bytes for an unknown type; ``size_width`` is the byte width the size
    had when it was padded (0: minimal)."""
    type: int
    value: object
    size_width: int = 0


class DylinkSection(NamedTuple):
    subsections: list[DylinkSubsection] = []

    def _joined(self, type: int) -> list:
        out = []
        for s in self.subsections:
            if s.type == type:
                out.extend(s.value)
        return out

    @property
    def mem_info(self) -> MemInfo | None:
        info = None
        for s in self.subsections:
            if s.type == WASM_DYLINK_MEM_INFO:
                info = s.value
        return info

    @property
    def needed(self) -> list[str]:
        return self._joined(WASM_DYLINK_NEEDED)

    @property
    def export_info(self) -> list[ExportInfo]:
        return self._joined(WASM_DYLINK_EXPORT_INFO)

    @property
    def import_info(self) -> list[ImportInfo]:
        return self._joined(WASM_DYLINK_IMPORT_INFO)

    @property
    def runtime_path(self) -> list[str]:
        return self._joined(WASM_DYLINK_RUNTIME_PATH)


class LegacyDylinkSection(NamedTuple):
    """The pre-LLVM-13 "dylink" section: memory info and needed libraries only."""
    mem_info: MemInfo = MemInfo()
    needed: list[str] = []

    @property
    def export_info(self) -> list[ExportInfo]:
        return []

    @property
    def import_info(self) -> list[ImportInfo]:
        return []

    @property
    def runtime_path(self) -> list[str]:
        return []


def _read_mem_info(r: Reader) -> MemInfo:
    return MemInfo(r.u32("memory size"), r.u32("memory alignment"), r.u32("table size"),
                   r.u32("table alignment"))


def _read_names(r: Reader, what: str) -> list[str]:
    return [r.name(what) for _ in range(r.count(what, 1))]


def _read_subsection(r: Reader, type: int):
    if type == WASM_DYLINK_MEM_INFO:
        return _read_mem_info(r)
    if type == WASM_DYLINK_NEEDED:
        return _read_names(r, "needed library")
    if type == WASM_DYLINK_EXPORT_INFO:
        # name length and flags: at least 2 bytes an entry
        return [ExportInfo(r.name("export info name"), r.u32("export info flags"))
                for _ in range(r.count("export info", 2))]
    if type == WASM_DYLINK_IMPORT_INFO:
        return [ImportInfo(r.name("import info module"), r.name("import info field"),
                           r.u32("import info flags"))
                for _ in range(r.count("import info", 3))]
    if type == WASM_DYLINK_RUNTIME_PATH:
        return _read_names(r, "runtime path")
    return r.bytes_(r.end - r.pos, "subsection")


def decode_dylink(data, payload_offset: int, payload_size: int) -> DylinkSection:
    """Decode a "dylink.0" payload (the bytes after the section's own name)."""
    r = Reader(data, payload_offset, payload_offset + payload_size, f"section {SECTION_NAME}")
    subsections = []
    while not r.at_end():
        type = r.byte("dylink.0 subsection type")
        what = SUBSECTION_NAMES.get(type, f"subsection {type}")
        size_at = r.pos
        size, width = r.u32_width(f"{what} subsection size")
        if size > r.end - r.pos:
            raise r.error(f"{what} subsection size {size} runs past the end of the section "
                          f"({r.end - r.pos} bytes left)", size_at)
        sub = r.sub(size)
        value = _read_subsection(sub, type)
        sub.expect_end(f"{what} subsection")
        subsections.append(DylinkSubsection(type, value, padded_width(size, width)))
    return DylinkSection(subsections)


def decode_legacy_dylink(data, payload_offset: int, payload_size: int) -> LegacyDylinkSection:
    """Decode a legacy "dylink" payload: the memory info fields, then the needed libraries."""
    r = Reader(data, payload_offset, payload_offset + payload_size,
               f"section {LEGACY_SECTION_NAME}")
    info = _read_mem_info(r)
    needed = _read_names(r, "needed library")
    r.expect_end("dylink section")
    return LegacyDylinkSection(info, needed)


def _encode_mem_info(out: bytearray, info: MemInfo) -> None:
    for v in (info.memory_size, info.memory_p2align, info.table_size, info.table_p2align):
        out += encode_u32(v)


def _encode_names(out: bytearray, names: list[str]) -> None:
    out += encode_u32(len(names))
    for name in names:
        append_name(out, name)


def _encode_subsection(out: bytearray, s: DylinkSubsection) -> None:
    if s.type == WASM_DYLINK_MEM_INFO:
        _encode_mem_info(out, s.value)
    elif s.type in (WASM_DYLINK_NEEDED, WASM_DYLINK_RUNTIME_PATH):
        _encode_names(out, s.value)
    elif s.type == WASM_DYLINK_EXPORT_INFO:
        out += encode_u32(len(s.value))
        for e in s.value:
            append_name(out, e.name)
            out += encode_u32(e.flags)
    elif s.type == WASM_DYLINK_IMPORT_INFO:
        out += encode_u32(len(s.value))
        for i in s.value:
            append_name(out, i.module)
            append_name(out, i.field)
            out += encode_u32(i.flags)
    else:
        out += s.value


def encode_dylink(section: DylinkSection) -> bytes:
    """The payload of a "dylink.0" section (without the section's own name)."""
    out = bytearray()
    body = bytearray()
    for s in section.subsections:
        body.clear()
        _encode_subsection(body, s)
        out.append(s.type)
        out += encode_u32(len(body), s.size_width)
        out += body
    return bytes(out)


def encode_legacy_dylink(section: LegacyDylinkSection) -> bytes:
    """The payload of a legacy "dylink" section."""
    out = bytearray()
    _encode_mem_info(out, section.mem_info)
    _encode_names(out, section.needed)
    return bytes(out)


# -- for `inspect` ----------------------------------------------------------------------------

def dylink_summary(module, section) -> dict:
    """The ``dylink`` entry of an ``inspect`` report (README.md, format 1) for a module's
    "dylink.0" section (a module.Section)."""
    sec = decode_dylink(module.data, section.contents, section.end - section.contents)
    info = sec.mem_info or MemInfo()
    return {
        "memory_size": info.memory_size, "memory_alignment": info.memory_p2align,
        "table_size": info.table_size, "table_alignment": info.table_p2align,
        "needed": sec.needed,
        "exports": [{"name": e.name, "flags": e.flags} for e in sec.export_info],
        "imports": [{"module": i.module, "field": i.field, "flags": i.flags}
                    for i in sec.import_info],
        "runtime_paths": sec.runtime_path,
    }


def _flag_text(flags: int) -> str:
    from .linking import SYMBOL_FLAG_NAMES
    names = [name for bit, name in SYMBOL_FLAG_NAMES.items() if flags & bit]
    rest = flags & ~sum(SYMBOL_FLAG_NAMES)
    return "|".join(names + ([f"0x{rest:x}"] if rest else [])) or "0"


def render_dylink(report: dict, out: list, pad: str) -> None:
    """Text lines of a ``dylink_summary`` for ``inspect``."""
    out.append(f"{pad}dylink.0: memory {report['memory_size']} bytes "
               f"(align 2^{report['memory_alignment']}), table {report['table_size']} "
               f"(align 2^{report['table_alignment']})")
    if report["needed"]:
        out.append(f"{pad}  needed: " + ", ".join(report["needed"]))
    for e in report["exports"]:
        out.append(f"{pad}  export info: {e['name']}  {_flag_text(e['flags'])}")
    for i in report["imports"]:
        out.append(f"{pad}  import info: {i['module']}.{i['field']}  {_flag_text(i['flags'])}")
    if report["runtime_paths"]:
        out.append(f"{pad}  runtime paths: " + ", ".join(report["runtime_paths"]))
