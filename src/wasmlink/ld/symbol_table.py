"""Symbol resolution: one Symbol per global name, and the rules that decide which definition
wins (lld's SymbolTable).

Each object's symbol-table rows are resolved in file order: a local symbol stays private to its
file; a global one is merged into the table by name. The rules, as wasm-ld applies them:

- a strong definition beats a weak one; two strong definitions are a duplicate-symbol error
  (unless --allow-multiple-definition: the first wins); between weak ones the first wins;
- an undefined reference is satisfied by any definition; a non-weak reference to a symbol an
  archive member defines extracts that member at once (a weak one does not);
- COMDAT groups: the first object to define a group keeps it, later copies are discarded.

Symbols are Python objects, one per global name (tens of thousands for libpython-scale links),
the way lld keeps them; the per-relocation work never touches them (see writer.py).
"""
from __future__ import annotations

from ..errors import LinkError
from ..binary.linking import (
    SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL, SYMTAB_SECTION, SYMTAB_TABLE, SYMTAB_TAG,
    WASM_SYM_BINDING_LOCAL, WASM_SYM_BINDING_MASK, WASM_SYM_BINDING_WEAK, WASM_SYM_EXPLICIT_NAME,
    WASM_SYM_EXPORTED, WASM_SYM_NO_STRIP, WASM_SYM_TLS, WASM_SYM_UNDEFINED,
    WASM_SYM_VISIBILITY_HIDDEN, WASM_SYM_ABSOLUTE,
)

KIND_NAMES = {SYMTAB_FUNCTION: "function", SYMTAB_DATA: "data", SYMTAB_GLOBAL: "global",
              SYMTAB_SECTION: "section", SYMTAB_TAG: "tag", SYMTAB_TABLE: "table"}

DEFINED, UNDEFINED, LAZY, SHARED = 0, 1, 2, 3     # SHARED: exported by a shared library input


class Symbol:
    """A resolved symbol. ``element`` is what a definition points at: an InputChunk (function,
    data segment, custom section) or an InputElement (global, table, tag), or None for
    synthetic data symbols, which carry an absolute ``va``."""

    __slots__ = ("name", "kind", "flags", "state", "file", "element", "offset", "size",
                 "signature", "global_type", "table_type", "import_module", "import_name",
                 "used_in_regular_obj", "live", "force_export", "table_index", "index", "va",
                 "lazy", "is_stub", "synthetic", "referenced_by", "got_index", "requires_got",
                 "called_directly", "force_import")

    def __init__(self, name: str, kind: int, flags: int, state: int, file=None):
        self.name = name
        self.kind = kind
        self.flags = flags
        self.state = state
        self.file = file
        self.element = None
        self.offset = 0
        self.size = 0
        self.signature = None        # FuncType of function symbols
        self.global_type = None
        self.table_type = None
        self.import_module = None
        self.import_name = None
        self.used_in_regular_obj = False
        self.live = False
        self.force_export = False
        self.table_index = -1        # slot in the indirect function table (-1: none)
        self.index = -1              # output function/global/table/tag index
        self.va = None               # synthetic data symbols: their address
        self.lazy = None             # LazyMember while LAZY
        self.is_stub = False
        self.synthetic = False
        self.referenced_by = None    # files with undefined references (for diagnostics)
        self.got_index = -1          # PIC: the global holding its address (GOT entry)
        self.requires_got = False    # PIC: has an internal (linker-defined) GOT entry
        self.called_directly = False # a function some input calls (not only takes the address of)
        self.force_import = False    # a stub library provides it

    # -- flags -------------------------------------------------------------------------------
    @property
    def is_defined(self) -> bool:
        return self.state == DEFINED

    @property
    def is_undefined(self) -> bool:
        return self.state == UNDEFINED

    @property
    def is_lazy(self) -> bool:
        return self.state == LAZY

    @property
    def is_shared(self) -> bool:
        return self.state == SHARED

    @property
    def is_weak(self) -> bool:
        return self.flags & WASM_SYM_BINDING_MASK == WASM_SYM_BINDING_WEAK

    @property
    def is_local(self) -> bool:
        return self.flags & WASM_SYM_BINDING_MASK == WASM_SYM_BINDING_LOCAL

    @property
    def is_hidden(self) -> bool:
        return bool(self.flags & WASM_SYM_VISIBILITY_HIDDEN)

    @property
    def is_no_strip(self) -> bool:
        return bool(self.flags & WASM_SYM_NO_STRIP)

    @property
    def is_tls(self) -> bool:
        return bool(self.flags & WASM_SYM_TLS)

    def set_hidden(self, hidden: bool) -> None:
        if hidden:
            self.flags |= WASM_SYM_VISIBILITY_HIDDEN
        else:
            self.flags &= ~WASM_SYM_VISIBILITY_HIDDEN

    def get_table_index(self) -> int:
        """The function's slot in the indirect function table (-1: none; PIC slots start at 0). A defined function's
        slot belongs to its body, so every alias of it shares one."""
        if self.state == DEFINED and self.element is not None:
            return self.element.table_index
        return self.table_index

    def set_table_index(self, slot: int) -> None:
        if self.state == DEFINED and self.element is not None:
            self.element.table_index = slot
        else:
            self.table_index = slot

    def chunk(self):
        """The chunk that must be live for this symbol: its function or data segment."""
        if self.state != DEFINED:
            return None
        return self.element

    def __repr__(self) -> str:
        state = ("defined", "undefined", "lazy", "shared")[self.state]
        return f"<{KIND_NAMES.get(self.kind)} {self.name} {state}>"


def lld_signature(sig) -> str:
    """A signature as lld prints it: `(i32, f32) -> i64`, `() -> void`."""
    from ..binary.types import valtype_name
    params = ", ".join(valtype_name(t) for t in sig.params)
    results = sig.results
    if not results:
        shown = "void"
    elif len(results) == 1:
        shown = valtype_name(results[0])
    else:
        shown = "(" + ", ".join(valtype_name(t) for t in results) + ")"
    return f"({params}) -> {shown}"


class DuplicateSymbols(Exception):
    pass


class SymbolTable:
    """Global symbols by name, in insertion order (which fixes export order, as in lld)."""

    def __init__(self, options, diagnostics, load_member):
        self.options = options
        self.diag = diagnostics
        self.by_name: dict[str, Symbol] = {}
        self.comdat_owner: dict[str, object] = {}
        self.displaced: dict[str, Symbol] = {}   # --wrap: names whose symbol was swapped out
        self._load_member = load_member      # LazyMember -> ObjFile, parsed and added

    def find(self, name: str) -> Symbol | None:
        return self.by_name.get(name)

    def symbols(self):
        return self.by_name.values()

    def insert(self, sym: Symbol) -> Symbol:
        self.by_name[sym.name] = sym
        return sym

    # -- extracting archive members ------------------------------------------------------------
    def extract(self, sym: Symbol) -> None:
        member = sym.lazy
        if member is None or member.extracted:
            return
        member.extracted = True
        self._load_member(member)

    def add_lazy(self, name: str, member) -> None:
        existing = self.by_name.get(name)
        if existing is None:
            sym = self.insert(Symbol(name, SYMTAB_FUNCTION, 0, LAZY))
            sym.lazy = member
            return
        if existing.state == UNDEFINED:
            if existing.is_weak:
                # a weak reference does not pull a member in; it may still be satisfied later
                existing.lazy = member
                existing.state = LAZY
                return
            existing.lazy = member
            existing.state = LAZY
            self.extract(existing)

    # -- one object's symbols ------------------------------------------------------------------
    def add_object(self, obj) -> None:
        """Resolve every row of obj's symbol table; obj.symbols[row] is the result."""
        syms = obj.linking.symbols
        imports = {SYMTAB_FUNCTION: obj.imported_functions, SYMTAB_GLOBAL: obj.imported_globals,
                   SYMTAB_TABLE: obj.imported_tables, SYMTAB_TAG: obj.imported_tags}
        defined_lists = {SYMTAB_FUNCTION: obj.functions, SYMTAB_GLOBAL: obj.globals,
                         SYMTAB_TABLE: obj.tables, SYMTAB_TAG: obj.tags}
        n_imported = {k: len(v) for k, v in imports.items()}
        result = [None] * len(syms)
        obj.symbols = result
        called = obj.called_rows()
        names = syms.names()
        kinds, all_flags, indexes = syms.kind, syms.flags, syms.index
        segments = obj.segments
        resolve = self._resolve
        for row, name in enumerate(names):
            kind, flags, index = kinds[row], all_flags[row], indexes[row]
            undefined = flags & WASM_SYM_UNDEFINED
            sym = Symbol(name, kind, flags, UNDEFINED if undefined else DEFINED, obj)
            if kind == SYMTAB_DATA:
                if not undefined:
                    if flags & WASM_SYM_ABSOLUTE:
                        sym.va = syms.offset[row]
                    else:
                        if index >= len(segments):
                            raise LinkError(f"invalid data symbol segment: `{name}` (segment "
                                            f"{index} of {len(segments)})", path=str(obj))
                        seg = segments[index]
                        offset = syms.offset[row]
                        # as LLVM's object reader checks it
                        if offset > seg.end - seg.start:
                            raise LinkError(f"invalid data symbol offset: `{name}` (offset: "
                                            f"{offset} segment size: {seg.size})", path=str(obj))
                        # (the size is not checked: wasm-ld-22 takes symbols past the end)
                        sym.element = seg
                        sym.offset, sym.size = offset, syms.size[row]
            elif kind == SYMTAB_SECTION:
                sym.element = obj.section_chunks.get(index)
                sym.state = DEFINED
                result[row] = sym
                continue
            elif undefined:
                imported = imports[kind]
                if index >= len(imported):
                    raise LinkError(f"invalid {KIND_NAMES[kind]} symbol index {index} for "
                                    f"undefined `{name}`: the object imports "
                                    f"{len(imported)}", path=str(obj))
                imp = imported[index]
                sym.import_module = imp.module
                # only an explicit name makes the field name differ from the symbol's;
                # it also marks the symbol as meant to be imported (lld's isImported)
                if flags & WASM_SYM_EXPLICIT_NAME:
                    sym.import_name = imp.name
                self._set_type(sym, kind, imp.desc, obj)
                if called[row]:
                    sym.called_directly = True
                    if kind == SYMTAB_FUNCTION:
                        obj.called_signatures[row] = sym.signature
            else:
                defined = defined_lists[kind]
                first = n_imported[kind]
                if not first <= index < first + len(defined):
                    raise LinkError(f"invalid {KIND_NAMES[kind]} symbol index {index} for "
                                    f"`{name}`: the object has {first} imported "
                                    f"and {len(defined)} defined", path=str(obj))
                element = defined[index - first]
                sym.element = element
                if kind == SYMTAB_FUNCTION:
                    sym.signature = element.signature
                    if element.symbol_name is None:
                        element.symbol_name = name
                elif kind == SYMTAB_GLOBAL:
                    sym.global_type = element.type
                    element.name = element.name or name
                elif kind == SYMTAB_TABLE:
                    sym.table_type = element.type
                    element.name = element.name or name
                else:
                    sym.signature = obj.type_at(element.type.type_index, "tag")
                    element.name = element.name or name
            if flags & WASM_SYM_BINDING_MASK == WASM_SYM_BINDING_LOCAL:
                result[row] = sym
            else:
                result[row] = resolve(sym, obj)
        self._legacy_function_table(obj, syms)

    def _legacy_function_table(self, obj, syms) -> None:
        """Objects from before reference-types import the indirect function table without a
        symbol for it; give them one (undefined, no-strip, live), as wasm-ld does."""
        table_symbols = sum(1 for k in syms.kind if k == SYMTAB_TABLE)
        table_count = len(obj.imported_tables) + len(obj.tables)
        if table_count == table_symbols:
            return
        if table_symbols:
            self.diag.error(f"{obj}: expected one symbol table entry for each of the "
                            f"{table_count} table(s) present, but got {table_symbols} "
                            f"symbol(s) instead.")
            return
        if obj.tables:
            self.diag.error(f"{obj}: unexpected table definition(s) without corresponding "
                            f"symbol-table entries.")
            return
        if len(obj.imported_tables) != 1:
            self.diag.error(f"{obj}: multiple table imports, but no corresponding symbol-table "
                            f"entries.")
            return
        imp = obj.imported_tables[0]
        if imp.name != "__indirect_function_table" or imp.desc.element != 0x70:
            self.diag.error(f"{obj}: table import {imp.name} is missing a symbol table entry.")
            return
        sym = Symbol(imp.name, SYMTAB_TABLE, WASM_SYM_UNDEFINED | WASM_SYM_NO_STRIP, UNDEFINED,
                     obj)
        sym.import_module, sym.import_name = imp.module, imp.name
        sym.table_type = imp.desc
        resolved = self._resolve(sym, obj)
        resolved.live = True
        obj.symbols.append(resolved)

    def _set_type(self, sym, kind, desc, obj) -> None:
        if kind == SYMTAB_FUNCTION:
            sym.signature = obj.type_at(desc, "function import")
        elif kind == SYMTAB_GLOBAL:
            sym.global_type = desc
        elif kind == SYMTAB_TABLE:
            sym.table_type = desc
        else:
            sym.signature = obj.type_at(desc.type_index, "tag import")

    def _discarded_by_comdat(self, sym: Symbol) -> bool:
        element = sym.element
        comdat = getattr(element, "comdat", None)
        if comdat is None or self.options.relocatable:    # -r keeps every copy, as lld
            return False
        owner = self.comdat_owner.setdefault(comdat, sym.file)
        if owner is not sym.file:
            element.discarded = True
            return True
        return False

    def _resolve(self, new: Symbol, obj) -> Symbol:
        name = new.name
        existing = self.by_name.get(name)
        if new.state == UNDEFINED:
            new.used_in_regular_obj = True
            if existing is None:
                new.referenced_by = [obj]
                return self.insert(new)
            existing.used_in_regular_obj = True
            if new.called_directly:
                existing.called_directly = True
            if existing.state == SHARED:
                if existing.kind == SYMTAB_FUNCTION and new.kind == SYMTAB_FUNCTION \
                        and new.called_directly:
                    self.check_shared_signature(existing, new.signature, obj, existing_first=False)
                self.check_kind(existing, new, obj)
                return existing
            if existing.state == LAZY:
                if new.is_weak:
                    # not extracted; the member stays lazy, but the symbol now is a weak
                    # reference with the referrer's type (lld's LazySymbol::setWeak)
                    self._take_reference(existing, new)
                    return existing
                self._take_reference(existing, new)
                self.extract(existing)
                return existing
            if existing.state == UNDEFINED:
                self._take_reference(existing, new)
                if not new.is_weak and existing.is_weak:
                    existing.flags = (existing.flags & ~WASM_SYM_BINDING_MASK) | \
                        (new.flags & WASM_SYM_BINDING_MASK)
                if existing.referenced_by is not None:
                    existing.referenced_by.append(obj)
            self.check_kind(existing, new, obj)
            return existing
        # a definition
        if self._discarded_by_comdat(new):
            # the group's first copy wins: resolve to whatever the table has (or will have)
            if existing is None:
                new.state = UNDEFINED
                new.flags |= WASM_SYM_BINDING_WEAK
                return self.insert(new)
            return existing
        if existing is None:
            return self.insert(new)
        if existing.state in (UNDEFINED, LAZY, SHARED):
            self.check_kind(existing, new, obj)
            self._replace(existing, new)
            return existing
        # both defined
        if new.is_weak:
            self.check_kind(existing, new, obj)
            return existing
        if existing.is_weak:
            self._replace(existing, new)
            return existing
        if self.options.allow_multiple_definition:
            return existing
        report = self.diag.warn if self.options.noinhibit_exec else self.diag.error
        report(f"duplicate symbol: {name}\n>>> defined in {existing.file}\n"
                        f">>> defined in {obj}")
        return existing

    # -- shared-library exports ------------------------------------------------------------------
    def add_shared(self, name: str, kind: int, flags: int, file, signature=None) -> Symbol:
        """A symbol a shared library input exports (lld's addSharedFunction/addSharedData):
        it satisfies undefined references and is imported at run time; it never replaces a
        definition."""
        existing = self.by_name.get(name)
        sym = Symbol(name, kind, flags, SHARED, file)
        sym.signature = signature
        if existing is None:
            return self.insert(sym)
        if existing.state == DEFINED or existing.state == SHARED:
            return existing
        if kind == SYMTAB_FUNCTION and existing.state == UNDEFINED:
            if existing.kind != SYMTAB_FUNCTION:
                self.check_kind(existing, sym, file)
                return existing
            if existing.called_directly and existing.signature is not None \
                    and signature != existing.signature:
                if self.options.shlib_sigcheck:
                    self.check_shared_signature(existing, signature, file, existing_first=True)
                else:
                    # the program's view of the function wins (--no-shlib-sigcheck)
                    sym.signature = existing.signature
        elif existing.state != UNDEFINED and existing.state != LAZY:
            return existing
        used, called = existing.used_in_regular_obj, existing.called_directly
        self._replace(existing, sym)
        existing.lazy = None
        existing.used_in_regular_obj = used
        existing.called_directly = called
        return existing

    def check_shared_signature(self, existing: Symbol, signature, file,
                               existing_first: bool) -> None:
        if signature is None or existing.signature is None or signature == existing.signature:
            return
        if not self.options.shlib_sigcheck:
            if not existing_first:
                existing.signature = signature
            return
        self.diag.error(f"function signature mismatch: {existing.name}\n"
                        f">>> defined as {lld_signature(existing.signature)} in {existing.file}\n"
                        f">>> defined as {lld_signature(signature)} in {file}")

    def _take_reference(self, existing: Symbol, new: Symbol) -> None:
        # an undefined reference carrying an explicit import name gives the import its name
        if existing.import_name is None and new.import_name is not None:
            existing.import_module = new.import_module
            existing.import_name = new.import_name
        if existing.signature is None and new.signature is not None:
            existing.signature = new.signature
        if existing.global_type is None:
            existing.global_type = new.global_type
        if existing.table_type is None:
            existing.table_type = new.table_type
        if existing.state == LAZY:
            existing.kind = new.kind
            existing.flags = new.flags
            existing.file = new.file

    def _replace(self, existing: Symbol, new: Symbol) -> None:
        """Turn ``existing`` (undefined, lazy or weak) into the definition ``new``."""
        keep_used = existing.used_in_regular_obj or new.used_in_regular_obj
        visibility_hidden = existing.is_hidden and existing.state == DEFINED and new.is_hidden
        for slot in ("kind", "flags", "state", "file", "element", "offset", "size", "signature",
                     "global_type", "table_type", "va"):
            setattr(existing, slot, getattr(new, slot))
        existing.lazy = None
        existing.used_in_regular_obj = keep_used
        del visibility_hidden

    def check_kind(self, existing: Symbol, new: Symbol, obj) -> None:
        if existing.state == LAZY or existing.kind == new.kind:
            if existing.kind == SYMTAB_FUNCTION and new.kind == SYMTAB_FUNCTION and \
                    existing.signature is not None and new.signature is not None and \
                    existing.signature != new.signature:
                self.diag.warn(f"function signature mismatch: {existing.name}\n"
                               f">>> defined as {existing.signature} in {existing.file}\n"
                               f">>> defined as {new.signature} in {obj}")
            return
        self.diag.error(f"symbol type mismatch: {existing.name}\n"
                        f">>> defined as {KIND_NAMES[existing.kind].upper()} in {existing.file}\n"
                        f">>> defined as {KIND_NAMES[new.kind].upper()} in {obj}")

    # -- synthetic symbols -----------------------------------------------------------------------
    def add_synthetic(self, name: str, kind: int, flags: int, element=None) -> Symbol:
        existing = self.by_name.get(name)
        sym = Symbol(name, kind, flags, DEFINED)
        sym.synthetic = True
        sym.element = element
        if existing is None:
            return self.insert(sym)
        if existing.state != DEFINED:
            used = existing.used_in_regular_obj
            self._replace(existing, sym)
            existing.synthetic = True
            existing.used_in_regular_obj = used
            return existing
        return existing

    def add_optional_data(self, name: str, va: int = 0) -> Symbol | None:
        """Define a linker-provided data symbol only if something refers to it (a reference,
        or an --export of it, or --export-all)."""
        existing = self.by_name.get(name)
        if existing is None and (self.options.export_all or name in self.options.exports
                                 or name in self.options.export_if_defined):
            existing = self.insert(Symbol(name, SYMTAB_DATA, 0, UNDEFINED))
        if existing is None or existing.state == DEFINED:
            return None
        if existing.state == LAZY:
            return None
        used = existing.used_in_regular_obj
        existing.kind = SYMTAB_DATA
        existing.state = DEFINED
        existing.flags = WASM_SYM_VISIBILITY_HIDDEN
        existing.va = va
        existing.synthetic = True
        existing.used_in_regular_obj = used
        return existing


EXPORTED_FLAG = WASM_SYM_EXPORTED
EXPLICIT_NAME_FLAG = WASM_SYM_EXPLICIT_NAME
