"""Input files of a static link: relocatable objects, and archives whose members load lazily.

The first pass of the linker (lld's InputFiles). An ObjFile maps its object, scans it, and
exposes what the later passes work on: chunks (function bodies, data segments, custom sections
with their relocations), elements (globals, tables, tags) and the object's symbols. Nothing is
copied: chunks are byte ranges of the mapped file; relocations stay the native columns of
``reloc.*`` sections until the writer hands them, with resolved values, to the native applier.

An archive contributes nothing until a member defines a symbol that is needed (wasm-ld's
semantics: members are considered in archive order, each member's defined symbols in its
symbol-table order, and a member is extracted the moment one of them matches an undefined,
non-weak reference). The archive's symbol index gives each member's defined names without
parsing it; members of an archive without an index are parsed to learn them.
"""
from __future__ import annotations

from ..binary.files import MappedFile, detect_kind
from ..binary.linking import (
    SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL, SYMTAB_SECTION, SYMTAB_TABLE, SYMTAB_TAG,
    WASM_SEGMENT_FLAG_RETAIN, WASM_SEGMENT_FLAG_STRINGS, WASM_SEGMENT_FLAG_TLS,
    WASM_SYM_BINDING_LOCAL, WASM_SYM_UNDEFINED,
)
from ..binary.module import Module
from ..binary.types import FUNC, GLOBAL, TABLE, TAG
from ..errors import LinkError, ParseError, UnsupportedError


class InputChunk:
    """A piece of an input section copied whole into the output: a function body (with its
    size field), a data segment, or a custom section. ``start``/``end`` are offsets relative to
    the input section's contents, which is what relocation offsets count from."""

    __slots__ = ("file", "kind", "index", "name", "start", "end", "live", "out_offset",
                 "alignment", "flags", "output_segment", "segment_offset", "comdat",
                 "signature", "type_index", "symbol_name", "export_name", "discarded",
                 "function_index", "table_index", "body", "merged_into", "piece_starts", "piece_outputs")

    def __init__(self, file, kind: str, index: int, start: int, end: int):
        self.file = file
        self.kind = kind          # "function", "segment", "custom"
        self.index = index        # defined function / segment / custom section number
        self.start = start
        self.end = end
        self.live = False
        self.discarded = False    # lost its COMDAT group
        self.out_offset = -1
        self.name = None
        self.alignment = 0
        self.flags = 0
        self.output_segment = None
        self.segment_offset = 0   # offset inside the output segment
        self.comdat = None
        self.signature = None
        self.type_index = 0
        self.symbol_name = None
        self.export_name = None
        self.function_index = -1
        self.table_index = -1     # slot in the indirect function table (-1: none)
        self.body = None          # synthetic chunks: their bytes (functions: with size field)
        self.merged_into = None   # mergeable strings: the MergedStrings that holds them
        self.piece_starts = None
        self.piece_outputs = None

    @property
    def size(self) -> int:
        return self.end - self.start

    @property
    def is_tls(self) -> bool:
        # by flag, or by name as lld also reads objects from before the flag
        return bool(self.flags & WASM_SEGMENT_FLAG_TLS) or (
            self.kind == "segment" and self.name is not None
            and self.name.startswith((".tdata", ".tbss")))

    @property
    def is_retained(self) -> bool:
        return bool(self.flags & WASM_SEGMENT_FLAG_RETAIN)

    @property
    def is_strings(self) -> bool:
        return bool(self.flags & WASM_SEGMENT_FLAG_STRINGS)

    def __repr__(self) -> str:
        return f"<{self.kind} {self.name or self.symbol_name or self.index} of {self.file}>"


class InputElement:
    """A global, table or tag defined by an object (index among the object's definitions)."""

    __slots__ = ("file", "kind", "index", "type", "init", "live", "out_index", "name", "comdat",
                 "discarded")

    def __init__(self, file, kind: int, index: int, type_, init=None):
        self.file = file
        self.kind = kind
        self.index = index
        self.type = type_
        self.init = init
        self.live = False
        self.discarded = False
        self.out_index = -1
        self.name = None
        self.comdat = None


class ObjFile:
    """A relocatable object (a file on the command line, or an extracted archive member)."""

    def __init__(self, data, start: int, end: int, name: str, mapped=None, archive=None,
                 module=None):
        self.name = name                  # display name: "x.o" or "libc.a(printf.o)"
        self.mapped = mapped
        self.archive = archive
        self.data = data
        try:
            self.module = module if module is not None else Module(data, start, end, path=name)
            if not self.module.is_relocatable:
                raise LinkError("not a relocatable wasm file: no linking section (compile with "
                                "`-c`, or link an already linked module with a component tool)",
                                path=name)
            self.linking = self.module.linking()
        except ParseError as e:
            raise e.in_file(name)
        self.live = False
        self.explicit = False             # given on the command line, not pulled from an archive
        self.called_signatures = {}       # row -> the type an undefined, called function has here
        self.symbols: list = []           # per symbol-table row: the Symbol it resolved to
        m = self.module
        self.types = m.types
        imports = m.imports
        self.imported_functions = [i for i in imports if i.kind == FUNC]
        self.imported_globals = [i for i in imports if i.kind == GLOBAL]
        self.imported_tables = [i for i in imports if i.kind == TABLE]
        self.imported_tags = [i for i in imports if i.kind == TAG]
        self.type_map = None
        self.type_used = [False] * len(self.types)
        self._relocs = None
        self._build_chunks()

    def __str__(self) -> str:
        return self.name

    def _build_chunks(self) -> None:
        m = self.module
        linking = self.linking
        self.sections = m.sections
        # where the code and data sections are among the sections (relocations name them so)
        self.code_position = self.data_position = None
        for position, s in enumerate(m.sections):
            if s.id == 10:
                self.code_position = position
            elif s.id == 11:
                self.data_position = position
        self.functions: list[InputChunk] = []
        code = m.code
        code_section = m.section(10)
        exports = {e.index: e.name for e in m.exports if e.kind == FUNC}
        n_imported = len(self.imported_functions)
        if code is not None or len(m.functions):
            type_indexes = m.functions
            if code is None or len(code) != len(type_indexes):
                raise ParseError(f"function and code section have inconsistent lengths "
                                 f"({len(type_indexes)} and {0 if code is None else len(code)})",
                                 code_section.payload if code_section else None, path=self.name)
            base = code_section.payload
            for i in range(len(code)):
                c = InputChunk(self, "function", i, code.entries[i] - base,
                               code.bodies[i] + code.sizes[i] - base)
                c.type_index = type_indexes[i]
                c.signature = self.type_at(c.type_index, "function")
                c.export_name = exports.get(n_imported + i)
                self.functions.append(c)
        self.segments: list[InputChunk] = []
        data_section = m.section(11)
        infos = linking.segments
        for i, seg in enumerate(m.data_segments):
            c = InputChunk(self, "segment", i, seg.data_offset - data_section.payload,
                           seg.data_offset + seg.data_size - data_section.payload)
            if i < len(infos):
                c.name, c.alignment, c.flags = infos[i].name, infos[i].alignment, infos[i].flags
            else:
                c.name = f".data.{i}"
            self.segments.append(c)
        self.globals = [InputElement(self, GLOBAL, i, g.type, g.init) for i, g in enumerate(m.globals)]
        self.tables = [InputElement(self, TABLE, i, t.type) for i, t in enumerate(m.tables)]
        self.tags = [InputElement(self, TAG, i, t) for i, t in enumerate(m.tags)]
        # custom sections other than the ones the linker synthesises
        self.customs: list[InputChunk] = []
        self.section_chunks: dict[int, InputChunk] = {}    # section index -> its chunk
        for position, s in enumerate(m.sections):
            if s.id != 0 or s.name in ("linking", "name", "producers", "target_features") \
                    or s.name.startswith("reloc.") or s.name in (".llvmbc", ".llvmcmd"):
                continue
            c = InputChunk(self, "custom", position, 0, s.end - s.contents)
            c.name = s.name
            if s.name == "__llvm_covfun":
                c.alignment = 3          # coverage records are 8-byte aligned (as lld keeps them)
            self.customs.append(c)
            self.section_chunks[position] = c
        # entries name functions, globals, tags and tables by their module index (imports
        # first), data segments and sections by their own numbering
        imported = {1: len(self.imported_functions), 2: len(self.imported_globals),
                    3: len(self.imported_tags), 4: len(self.imported_tables)}
        for comdat in linking.comdats:
            for kind, index in comdat.entries:
                target = {0: self.segments, 1: self.functions, 2: self.globals,
                          3: self.tags, 4: self.tables, 5: None}.get(kind)
                if target is None:
                    chunk = self.section_chunks.get(index)
                    if chunk is not None:
                        chunk.comdat = comdat.name
                    continue
                index -= imported.get(kind, 0)
                if not 0 <= index < len(target):
                    raise LinkError(f"COMDAT {comdat.name} names a missing element {index}",
                                    path=self.name)
                target[index].comdat = comdat.name

    def type_at(self, index: int, what: str):
        if index >= len(self.types):
            raise ParseError(f"invalid type index {index} for a {what}: the object has "
                             f"{len(self.types)} types", None, path=self.name)
        return self.types[index]

    # -- relocations, by target section ------------------------------------------------------
    def relocations(self) -> dict[int, object]:
        """section index -> RelocSection (native columns), decoded once."""
        relocs = self._relocs
        if relocs is None:
            try:
                relocs = self._relocs = {r.target: r for r in self.module.relocations()}
            except ParseError as e:
                raise e.in_file(self.name)
        return relocs

    def called_rows(self):
        """Per symbol-table row, 1 if the code calls it (R_WASM_FUNCTION_INDEX_LEB), as opposed
        to only taking its address: PIC imports a function only when it is called."""
        from .._native.reloc import symbols_of_type
        nsyms = len(self.linking.symbols)
        if self.code_position is None:
            return bytearray(nsyms)
        r = self.relocations().get(self.code_position)
        if r is None:
            return bytearray(nsyms)
        return symbols_of_type(r.type, r.index, 0, nsyms)

    def section_contents_offset(self, position: int) -> int:
        s = self.sections[position]
        return s.contents


class SharedFile:
    """A shared library on the command line (a module with "dylink.0" and no "linking"
    section, lld's SharedFile): its exported functions and data satisfy symbols, which the
    output imports at run time; it becomes a `needed` entry of the output's dylink.0."""

    # exports that belong to the library itself (lld leaves them out of the symbol table)
    DSO_LOCAL = ("__wasm_apply_data_relocs", "__wasm_call_ctors")

    def __init__(self, path: str, mapped: MappedFile, module: Module):
        self.name = path
        self.mapped = mapped
        self.module = module
        self.live = True

    def __str__(self) -> str:
        return self.name

    def exported_symbols(self):
        """(name, kind, flags, signature) of each export that becomes a shared symbol: functions,
        and globals (data addresses); flags from the dylink.0 export info (TLS)."""
        from ..binary.dylink import decode_dylink
        m = self.module
        section = m.custom("dylink.0")
        flags_by_name = {}
        if section is not None:
            info = decode_dylink(m.data, section.contents, section.end - section.contents)
            flags_by_name = {e.name: e.flags for e in info.export_info}
        imported_funcs = [i for i in m.imports if i.kind == FUNC]
        types = m.types
        out = []
        for e in m.exports:
            name = e.name
            if name in self.DSO_LOCAL or name.startswith("__start_") \
                    or name.startswith("__stop_"):
                continue
            flags = flags_by_name.get(name, 0)
            if e.kind == FUNC:
                if e.index < len(imported_funcs):
                    sig = types[imported_funcs[e.index].desc]
                else:
                    sig = types[m.functions[e.index - len(imported_funcs)]]
                out.append((name, SYMTAB_FUNCTION, flags, sig))
            elif e.kind == GLOBAL:
                out.append((name, SYMTAB_DATA, flags, None))
        return out


class LazyMember:
    """An archive member not yet extracted."""

    __slots__ = ("archive", "index", "extracted")

    def __init__(self, archive, index: int):
        self.archive = archive
        self.index = index
        self.extracted = False

    def __str__(self) -> str:
        return self.archive.archive.member_path(self.index)

    def load(self) -> "ObjFile":
        return self.archive.load(self.index)


class LazyObject:
    """An object between --start-lib and --end-lib: an archive member in all but packaging."""

    __slots__ = ("obj", "extracted")

    def __init__(self, obj: "ObjFile"):
        self.obj = obj
        self.extracted = False

    def __str__(self) -> str:
        return str(self.obj)

    def load(self) -> "ObjFile":
        return self.obj

    def defined_names(self) -> list[str]:
        syms = self.obj.linking.symbols
        return [syms.name(k) for k in range(len(syms))
                if not syms.flags[k] & (WASM_SYM_UNDEFINED | WASM_SYM_BINDING_LOCAL)
                and syms.kind[k] != SYMTAB_SECTION]


class ArchiveFile:
    """An archive on the command line: its members, each lazy until needed."""

    def __init__(self, path: str, mapped: MappedFile):
        from ..binary.archive import Archive
        self.path = path
        self.mapped = mapped
        try:
            self.archive = Archive(mapped, path=path)
        except ParseError as e:
            raise e.in_file(path)
        self.members = [LazyMember(self, i) for i in range(len(self.archive.members))]

    def member_symbols(self, diag=None) -> list[tuple[int, list[str]]]:
        """(member, the names it defines), in archive order. Members that are not wasm objects
        (an ELF object put there by mistake) are skipped with wasm-ld's warning."""
        a = self.archive
        if diag is not None:
            for i in range(len(a.members)):
                if a.member_kind(i) not in ("module", "bitcode"):
                    diag.warn(f"{self.path}: archive member '{a.members.names[i]}' is neither "
                              f"Wasm object file nor LLVM bitcode")
        if a.has_index:
            by_member: dict[int, list[str]] = {}
            for name, member in zip(a.symbol_names, a.symbol_members):
                if a.member_kind(member) in ("module", "bitcode"):
                    by_member.setdefault(member, []).append(name)
            return [(i, by_member.get(i, [])) for i in range(len(a.members))]
        out = []
        for i in range(len(a.members)):
            if a.member_kind(i) != "module":
                out.append((i, []))
                continue
            obj = self.load(i)
            names = []
            syms = obj.linking.symbols
            for k in range(len(syms)):
                f = syms.flags[k]
                if f & WASM_SYM_UNDEFINED or f & WASM_SYM_BINDING_LOCAL or syms.kind[k] == SYMTAB_SECTION:
                    continue
                names.append(syms.name(k))
            out.append((i, names))
        return out

    def load(self, index: int) -> ObjFile:
        a = self.archive
        kind = a.member_kind(index)
        name = a.member_path(index)
        if kind == "bitcode":
            raise UnsupportedError("LTO is not supported: archive member is LLVM bitcode", path=name)
        if kind != "module":
            raise LinkError("archive member is neither a wasm object file nor LLVM bitcode",
                            path=name)
        start = a.members.data_offsets[index]
        return ObjFile(a.data, start, start + a.members.sizes[index], name, archive=self)


def open_input(path: str):
    """An ObjFile or an ArchiveFile for a path on the command line."""
    mapped = MappedFile(path)
    kind = detect_kind(mapped.data)
    if kind in ("module",):
        try:
            module = Module(mapped.data, 0, len(mapped.data), path=path)
        except ParseError as e:
            raise e.in_file(path)
        if not module.is_relocatable and module.custom("dylink.0") is not None:
            return SharedFile(path, mapped, module)
        return ObjFile(mapped.data, 0, len(mapped.data), path, mapped=mapped, module=module)
    if kind == "archive":
        return ArchiveFile(path, mapped)
    if kind == "thin-archive":
        raise UnsupportedError("thin archives are not supported", path=path)
    if kind == "bitcode":
        raise UnsupportedError("LTO is not supported: this is an LLVM bitcode file (compile "
                               "without -flto)", path=path)
    if kind == "component":
        raise LinkError("a component cannot be linked statically: expected a relocatable "
                        "object or an archive", path=path)
    if bytes(mapped.data[:6]) == b"#STUB\n":
        return StubFile(path, bytes(mapped.data).decode("utf-8", "replace"))
    raise ParseError("unknown file type: expected a wasm object or an archive", 0, path=path)


class StubFile:
    """A stub library (wasm-ld's "#STUB" text file): the symbols some runtime provides, each
    with the symbols it needs from the program. A stub symbol the program leaves undefined is
    imported, and the symbols it depends on are exported (and pulled out of archives)."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.symbols: dict[str, list[str]] = {}
        for line in text.splitlines()[1:]:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, deps = line.partition(":")
            self.symbols[name.strip()] = [d.strip() for d in deps.split(",") if d.strip()]

    def __str__(self) -> str:
        return self.path


SYMBOL_KINDS = (SYMTAB_FUNCTION, SYMTAB_DATA, SYMTAB_GLOBAL, SYMTAB_SECTION, SYMTAB_TAG,
                SYMTAB_TABLE)
