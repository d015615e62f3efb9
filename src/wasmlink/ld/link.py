"""The static link, pass by pass (lld's Driver::linkerMain and Writer::run, in that order):

    read inputs → resolve symbols (archives extract lazily) → synthetic and optional symbols
    → mark live (--gc-sections) → output segments → memory layout (and target features; PIC:
    one combined segment) → imports → scan relocations (table slots, GOT entries, undefined
    symbols) → PIC and thread functions (__wasm_apply_data_relocs, __wasm_init_memory,
    TLS relocations, start; threads.py) → indexes
    → init functions → synthetic code → types, exports → write (native copy-and-relocate)
    → rename into place

Each pass is timed (`--verbose` prints the times); link errors are collected and raised at the
pass boundaries, all together, naming every file involved.
"""
from __future__ import annotations

import gc as cycle_collector
import time
from bisect import bisect_left

from ..binary.linking import (
    SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL, SYMTAB_TABLE, SYMTAB_TAG,
    WASM_SYM_BINDING_WEAK, WASM_SYM_EXPORTED, WASM_SYM_VISIBILITY_HIDDEN,
)
from ..binary.types import FUNCREF, I32, I64, FuncType, GlobalType, Limits, TableType
from ..errors import LinkError
from . import layout, pic, synthetic, threads
from .diagnostics import Diagnostics
from .input_files import (ArchiveFile, InputElement, LazyObject, ObjFile, SharedFile, StubFile,
                          open_input)
from .mark_live import TABLE_INDEX_TYPES, TYPE_INDEX_LEB, mark_live
from .symbol_table import DEFINED, LAZY, UNDEFINED, Symbol, SymbolTable

FUNCTION_TABLE_NAME = "__indirect_function_table"


class Context:
    """Everything one link knows; passes read and fill it in order."""

    def __init__(self, options, inputs, stream=None, prog: str = "wasmlink-ld"):
        self.options = options
        self.inputs = inputs
        self.prog = prog
        self.diag = Diagnostics(options.error_limit, options.fatal_warnings, stream, prog)
        self.objects: list[ObjFile] = []
        self.archives: list[ArchiveFile] = []
        self.shared_files: list[SharedFile] = []
        self.symtab = SymbolTable(options, self.diag, self._load_member)
        self.is_pic = bool(options.pie or options.shared)
        self.timings: list[tuple[str, float]] = []
        self.synthetic_functions = []
        self.synthetic_globals = []
        self.synthetic_tables = []
        self.entry = None
        self.call_ctors = None
        self.call_dtors = None
        self.stack_pointer = None
        self.stack_pointer_value = 0
        self.tls_base = None
        self.tls_base_value = 0
        self.tls_segment = None
        # --shared-memory (threads.py): TLS globals, __wasm_init_tls, the init-memory flag
        self.tls_size = None
        self.tls_align = None
        self.init_tls = None
        self.init_memory_flag = None
        self.apply_tls_relocs = None
        self.apply_global_tls_relocs = None
        self.function_table = None
        self.segments = []
        self.functions = []
        self.globals = []
        self.tables = []
        self.tags = []
        self.imports = []
        self.imported_functions = []
        self.imported_globals = []
        self.imported_tables = []
        self.imported_tags = []
        self.memory_pages = 0
        self.memory_max_pages = None
        self.memory_align = 0
        self.static_data_size = 0
        self.table_entries = []
        self.init_functions = []
        self.types = layout.TypeSection()
        self.exports = []
        self.data_address_globals = []
        self._reloc_cache = {}
        self._pairs_cache = {}          # chunk -> relocation_pairs(chunk)
        self.import_keys = {}
        self.stub_files = []
        # PIC (pic.py): the loader's bases, GOT entries, run-time relocation functions
        self.memory_base = None
        self.table_base = None
        self.got_imports = []           # symbols imported as GOT.mem.* / GOT.func.* globals
        self.internal_got = []          # symbols with a GOT global defined here
        self.needs_function_table = False
        self.apply_data_relocs = None
        self.apply_global_relocs = None
        self.init_memory = None
        self.start_function = None
        self.features = set()
        self.pending_stubs = []         # undefined functions that get a trapping stub
        self.undefined_stubs = {}       # signature -> its "undefined_stub" function
        self.cxxfilt = None             # the demangler, started early (start_demangler)

    # -- helpers the passes share ------------------------------------------------------------
    def timed(self, name, fn):
        t = time.perf_counter()
        fn(self)
        self.timings.append((name, time.perf_counter() - t))
        self.diag.raise_if_errors()

    def set_data_symbol(self, name: str, value: int) -> None:
        sym = self.symtab.find(name)
        if sym is not None and sym.synthetic and sym.kind == SYMTAB_DATA:
            sym.va = value

    def is_exported(self, sym: Symbol) -> bool:
        if not sym.is_defined or sym.is_local:
            return False
        opts = self.options
        if opts.shared and sym.live and sym.is_weak and not sym.is_hidden:
            return True
        if opts.export_all or (opts.export_dynamic and not sym.is_hidden):
            return True
        return sym.force_export or bool(sym.flags & WASM_SYM_EXPORTED)

    def _load_member(self, member) -> None:
        self.add_object(member.load())

    def add_object(self, obj: ObjFile, explicit: bool = False) -> None:
        obj.explicit = explicit              # on the command line (or --whole-archive)
        self.symtab.add_object(obj)
        self.objects.append(obj)             # after its own extractions, as lld orders them

    def chunk_relocations(self, chunk):
        """(types, symbol indexes) of the relocations inside one chunk, or None."""
        file = chunk.file
        if file is None:
            return None
        relocs = self._relocations_of(file)
        kind = chunk.kind
        if kind == "function":
            position = file.code_position
        elif kind == "segment":
            position = file.data_position
        else:
            position = chunk.index
        r = relocs.get(position)
        if r is None:
            return None
        lo = bisect_left(r.offset, chunk.start)
        hi = bisect_left(r.offset, chunk.end)
        if lo == hi:
            return None
        return r.type[lo:hi], r.index[lo:hi]

    def relocation_pairs(self, chunk):
        """The distinct (type, symbol index) pairs of a chunk's relocations, in first-use order
        (which numbers types and table slots), or None; worked out once per chunk: marking
        live and scanning relocations both walk them."""
        pairs = self._pairs_cache.get(chunk, False)
        if pairs is False:
            found = self.chunk_relocations(chunk)
            pairs = self._pairs_cache[chunk] = \
                None if found is None else list(dict.fromkeys(zip(*found)))
        return pairs

    def _relocations_of(self, file):
        relocs = self._reloc_cache.get(id(file))
        if relocs is None:
            relocs = self._reloc_cache[id(file)] = file.relocations()
        return relocs


# -- passes ------------------------------------------------------------------------------------

def read_inputs(ctx: Context) -> None:
    for inp in ctx.inputs:
        f = open_input(inp.path)
        if isinstance(f, StubFile):
            ctx.stub_files.append(f)
            continue
        if isinstance(f, SharedFile):
            if inp.is_static:
                ctx.diag.error(f"attempted static link of dynamic object {inp.path}")
                continue
            ctx.shared_files.append(f)
            for name, kind, flags, signature in f.exported_symbols():
                ctx.symtab.add_shared(name, kind, flags, f, signature)
            continue
        if isinstance(f, ObjFile):
            if inp.lazy:                          # --start-lib ... --end-lib
                lazy = LazyObject(f)
                for name in lazy.defined_names():
                    if lazy.extracted:
                        break
                    ctx.symtab.add_lazy(name, lazy)
                continue
            ctx.add_object(f, explicit=True)
            continue
        ctx.archives.append(f)
        read_imports_file(ctx, inp.path)
        if inp.whole_archive:
            for member in f.members:
                if f.archive.member_kind(member.index) == "module":
                    member.extracted = True
                    ctx.add_object(f.load(member.index), explicit=True)
            continue
        for index, names in f.member_symbols(ctx.diag):
            member = f.members[index]
            for name in names:
                if member.extracted:
                    break
                ctx.symtab.add_lazy(name, member)


def read_imports_file(ctx: Context, archive_path: str) -> None:
    """wasm-ld reads `libfoo.imports` beside `libfoo.a`: symbols the archive may leave
    undefined, to be imported (wasi-libc ships libc.imports)."""
    import os
    from .options import read_symbol_list
    base, _ = os.path.splitext(archive_path)
    path = base + ".imports"
    if os.path.exists(path):
        ctx.options.allow_undefined_symbols.update(read_symbol_list(path))


def create_synthetic_symbols(ctx: Context) -> None:
    if ctx.options.relocatable:           # -r: the final link makes these
        return
    st = ctx.symtab
    call_ctors = synthetic.synthetic_function("__wasm_call_ctors", synthetic.NULL_SIGNATURE)
    ctx.synthetic_functions.append(call_ctors)
    ctx.call_ctors = st.add_synthetic("__wasm_call_ctors", SYMTAB_FUNCTION,
                                      WASM_SYM_VISIBILITY_HIDDEN, call_ctors)
    ctx.call_ctors.signature = synthetic.NULL_SIGNATURE
    if ctx.is_pic:
        pic.create_pic_globals(ctx)
    else:
        sp = InputElement(None, 3, 0, GlobalType(I64 if ctx.options.is64 else I32, True), b"")
        sp.name = "__stack_pointer"
        ctx.synthetic_globals.append(sp)
        # default visibility, as wasm-ld-22 makes it: --export-dynamic exports it (where the
        # output may export mutable globals)
        ctx.stack_pointer = st.add_synthetic("__stack_pointer", SYMTAB_GLOBAL, 0, sp)
        ctx.stack_pointer.global_type = sp.type
        ctx.stack_pointer.live = True
        sp.live = True
    if ctx.options.shared_memory:
        threads.create_tls_symbols(ctx)


def handle_undefined(ctx: Context, name: str):
    sym = ctx.symtab.find(name)
    if sym is None:
        return None
    sym.used_in_regular_obj = True
    if sym.state == LAZY:
        ctx.symtab.extract(sym)
    return sym


def resolve_roots(ctx: Context) -> None:
    """-u, --export and the entry pull their definitions out of archives."""
    opts = ctx.options
    for name in opts.undefined:
        handle_undefined(ctx, name)
    for name in list(opts.exports) + list(opts.export_if_defined):
        handle_undefined(ctx, name)
    if not opts.relocatable and opts.entry:
        entry = handle_undefined(ctx, opts.entry)
        if entry is not None and entry.is_defined:
            entry.force_export = True
            ctx.entry = entry
        else:
            ctx.diag.error(f"entry symbol not defined (pass --no-entry to suppress): {opts.entry}")
    cc = ctx.call_ctors
    if cc is not None and not opts.shared and not cc.used_in_regular_obj and cc.name != opts.entry \
            and cc.name not in opts.exports and cc.name not in opts.export_if_defined:
        dtors = handle_undefined(ctx, "__wasm_call_dtors")
        if dtors is not None:
            if dtors.is_defined and dtors.kind == SYMTAB_FUNCTION:
                sig = dtors.signature
                if sig is not None and (sig.params or sig.results):
                    ctx.diag.error("__wasm_call_dtors must have no argument or return values")
                ctx.call_dtors = dtors
            elif dtors.is_defined:
                ctx.diag.error("__wasm_call_dtors must be a function")


def create_optional_symbols(ctx: Context) -> None:
    st = ctx.symtab
    st.add_optional_data("__dso_handle")
    if not ctx.options.shared:
        st.add_optional_data("__data_end")
    if not ctx.is_pic:
        for name in ("__stack_low", "__stack_high", "__global_base", "__heap_base",
                     "__heap_end", "__memory_base", "__table_base"):
            st.add_optional_data(name)
    first_page_end = st.add_optional_data("__wasm_first_page_end")
    if first_page_end is not None:
        first_page_end.va = ctx.options.page_size
    if not ctx.options.shared_memory:
        tls = st.find("__tls_base")
        if tls is not None and tls.state == UNDEFINED:
            g = InputElement(None, 3, 0, GlobalType(I64 if ctx.options.is64 else I32, False), b"")
            g.name = "__tls_base"
            ctx.synthetic_globals.append(g)
            ctx.tls_base = st.add_synthetic("__tls_base", SYMTAB_GLOBAL,
                                            WASM_SYM_VISIBILITY_HIDDEN, g)
            ctx.tls_base.global_type = g.type
    for name in ctx.options.exports + ctx.options.export_if_defined:
        sym = st.find(name)
        if sym is not None and sym.is_defined:
            sym.force_export = True


def handle_weak_undefines(ctx: Context) -> None:
    """Weak undefined functions that are called get a trapping stub (non-PIC links)."""
    if ctx.is_pic:
        return
    for sym in list(ctx.symtab.symbols()):
        # (a weak reference to a member that no strong one extracted counts: wasm-ld-22)
        if sym.state in (UNDEFINED, LAZY) and sym.is_weak and sym.used_in_regular_obj \
                and sym.kind == SYMTAB_FUNCTION and sym.signature is not None:
            stub = synthetic.trap_stub(f"undefined_weak:{sym.name}", sym.signature)
            ctx.synthetic_functions.append(stub)
            resolve_to_stub(sym, stub)


def demote_lazy_symbols(ctx: Context) -> None:
    for sym in ctx.symtab.symbols():
        if sym.state == LAZY:
            sym.state = UNDEFINED
            sym.lazy = None
            if sym.signature is not None:
                sym.kind = SYMTAB_FUNCTION
                sym.flags = (sym.flags & ~3) | WASM_SYM_BINDING_WEAK


def wrap_symbols(ctx: Context) -> None:
    """--wrap=foo: references to foo go to __wrap_foo, references to __real_foo to foo."""
    st = ctx.symtab
    swaps = []
    for name in ctx.options.wrap:
        sym = st.find(name)
        if sym is None:
            continue
        real = _undefined_function(ctx, f"__real_{name}")
        wrap = _undefined_function(ctx, f"__wrap_{name}")
        for s in (real, wrap):              # an import needs a type: the wrapped one's
            if s.signature is None and sym.kind == SYMTAB_FUNCTION:
                s.signature = sym.signature
        wrap.used_in_regular_obj = True
        swaps.append((sym, real, wrap))
    if not swaps:
        return
    mapping = {}
    for sym, real, wrap in swaps:
        mapping[id(sym)] = wrap
        mapping[id(real)] = sym
    for file in ctx.objects:
        file.symbols = [mapping.get(id(s), s) for s in file.symbols]
    for sym, real, wrap in swaps:
        # lld swaps names, not slots: the symbol table (-r) keeps each symbol where it was
        st.displaced[real.name] = real
        st.displaced[sym.name] = sym
        st.by_name[real.name] = sym
        st.by_name[sym.name] = wrap


def _undefined_function(ctx: Context, name: str) -> Symbol:
    st = ctx.symtab
    sym = st.find(name)
    if sym is None:
        sym = st.insert(Symbol(name, SYMTAB_FUNCTION, 0x10, UNDEFINED))
    elif sym.state == LAZY:
        st.extract(sym)
    return sym


def process_stub_libraries(ctx: Context) -> None:
    """Stub symbols the program leaves undefined are imported; what they need is exported
    (wasm-ld's processStubLibraries, repeated until no dependency pulls in more)."""
    st = ctx.symtab
    added = True
    while added:
        added = False
        for stub in ctx.stub_files:
            for name, deps in stub.symbols.items():
                sym = st.find(name)
                if sym is None or sym.state != UNDEFINED or sym.force_import:
                    continue
                sym.force_import = True
                for dep in deps:
                    needed = st.find(dep)
                    if needed is None or needed.state == UNDEFINED:
                        ctx.diag.error(f"{stub}: undefined symbol: {dep}. Required by {name}")
                        continue
                    needed.force_export = True
                    if needed.state == LAZY:
                        st.extract(needed)
                        added = True


def handle_signature_mismatches(ctx: Context) -> None:
    """A direct call through a declaration whose type differs from the definition's would not
    validate: like wasm-ld, such calls go to a trapping `signature_mismatch:NAME` stub of the
    declared type (one per name and type), while everything else uses the definition."""
    stubs = {}
    for file in ctx.objects:
        for row, signature in file.called_signatures.items():
            sym = file.symbols[row]
            if sym.kind != SYMTAB_FUNCTION or not sym.is_defined or sym.is_stub \
                    or sym.signature is None or sym.signature == signature:
                continue
            key = (sym.name, signature)
            stub_sym = stubs.get(key)
            if stub_sym is None:
                stub = synthetic.trap_stub(f"signature_mismatch:{sym.name}", signature)
                ctx.synthetic_functions.append(stub)
                stub_sym = Symbol(sym.name, SYMTAB_FUNCTION, 0, UNDEFINED, file)
                stub_sym.signature = signature
                resolve_to_stub(stub_sym, stub)
                stub_sym.used_in_regular_obj = True
                stubs[key] = stub_sym
            file.symbols[row] = stub_sym


def finish_resolution(ctx: Context) -> None:
    process_stub_libraries(ctx)
    relocatable = ctx.options.relocatable
    if not relocatable:
        create_optional_symbols(ctx)
        handle_signature_mismatches(ctx)
    wrap_symbols(ctx)
    if not relocatable:
        handle_weak_undefines(ctx)
    if ctx.entry is not None:
        ctx.entry.set_hidden(False)
    demote_lazy_symbols(ctx)


def resolve_function_table(ctx: Context, required: bool = False) -> None:
    """The indirect function table: the inputs' own symbol for it, imported or defined here
    (required: a GOT entry gave a function a slot though no input names the table)."""
    existing = ctx.symtab.find(FUNCTION_TABLE_NAME)
    opts = ctx.options
    if existing is not None:
        if existing.kind != SYMTAB_TABLE:
            ctx.diag.error(f"symbol is not table: {FUNCTION_TABLE_NAME}")
            return
        if existing.is_defined and not existing.synthetic:
            ctx.diag.error(f"{FUNCTION_TABLE_NAME} is defined: expected an undefined reference")
            return
    if opts.import_table:
        if existing is not None:
            existing.import_module, existing.import_name = "env", FUNCTION_TABLE_NAME
            ctx.function_table = existing
        elif required:
            sym = ctx.symtab.insert(Symbol(FUNCTION_TABLE_NAME, SYMTAB_TABLE,
                                           WASM_SYM_VISIBILITY_HIDDEN | 0x10, UNDEFINED))
            sym.import_module, sym.import_name = "env", FUNCTION_TABLE_NAME
            sym.table_type = TableType(FUNCREF, Limits(0, 0))
            sym.live = sym.used_in_regular_obj = True
            ctx.function_table = sym
        return
    if required or (existing is not None and existing.live) or opts.export_table or \
            (existing is None and uses_function_table(ctx)):
        table = InputElement(None, 1, 0, TableType(FUNCREF, Limits(0, 0)))
        table.name = FUNCTION_TABLE_NAME
        table.live = True
        ctx.synthetic_tables.append(table)
        sym = ctx.symtab.add_synthetic(FUNCTION_TABLE_NAME, SYMTAB_TABLE,
                                       WASM_SYM_VISIBILITY_HIDDEN, table)
        sym.live = True
        sym.table_type = table.type
        if opts.export_table:
            sym.force_export = True
        ctx.function_table = sym


def uses_function_table(ctx: Context) -> bool:
    """Whether some input takes a function's address (objects from before reference-types
    name no table symbol, but their TABLE_INDEX relocations still need the table)."""
    wanted = set(TABLE_INDEX_TYPES)
    for file in ctx.objects:
        for r in ctx._relocations_of(file).values():
            if wanted & set(r.type.tobytes()):
                return True
    return False


def gc(ctx: Context) -> None:
    mark_live(ctx)
    if ctx.options.print_gc_sections and ctx.options.gc_sections:
        from .mark_live import print_gc_sections
        print_gc_sections(ctx)
    resolve_function_table(ctx)


def create_segments(ctx: Context) -> None:
    ctx.segments = layout.create_output_segments(ctx)
    layout.layout_memory(ctx)
    populate_target_features(ctx)
    for seg in ctx.segments if not ctx.options.relocatable else ():
        name = seg.name
        if name.replace("_", "a").isalnum() and not name[0].isdigit():
            ctx.symtab.add_optional_data(f"__start_{name}", seg.start_va)
            ctx.symtab.add_optional_data(f"__stop_{name}", seg.start_va + seg.size)
    for name in ctx.options.exports:
        sym = ctx.symtab.find(name)
        if sym is None or not sym.is_defined:
            policy = ctx.options.unresolved_symbols
            if policy == "report-all":
                ctx.diag.error(f"symbol exported via --export not found: {name}")
            elif policy == "warn":
                ctx.diag.warn(f"symbol exported via --export not found: {name}")
    if ctx.is_pic and not ctx.options.shared_memory:
        pic.combine_segments(ctx)


def should_import(ctx: Context, sym: Symbol) -> bool:
    if sym.kind == SYMTAB_DATA or not sym.live:
        return False
    opts = ctx.options
    # a weak definition in a shared library may be overridden by another module: it is both
    # imported and exported (every object's symbol counts as used in lld)
    if opts.shared and sym.is_weak and sym.is_defined and not sym.is_hidden \
            and not sym.synthetic:
        return True
    if not sym.used_in_regular_obj:
        return False
    if sym.is_shared:
        return True
    if sym.state != UNDEFINED:
        return False
    if sym.is_weak and not ctx.is_pic and not opts.relocatable:
        return False
    # PIC imports functions it calls; addresses go through GOT.func imports
    if ctx.is_pic and sym.kind == SYMTAB_FUNCTION and not sym.called_directly:
        return False
    if ctx.is_pic or opts.relocatable or opts.import_undefined \
            or opts.unresolved_symbols == "import-dynamic":
        return True
    if sym.name in opts.allow_undefined_symbols:
        return True
    return sym.import_name is not None or sym.force_import


def calculate_imports(ctx: Context) -> None:
    table = ctx.function_table
    if table is not None and not table.is_defined and should_import(ctx, table):
        _add_import(ctx, table)
    for sym in ctx.symtab.symbols():
        if sym is table or not should_import(ctx, sym):
            continue
        _add_import(ctx, sym)


def import_field(sym: Symbol) -> tuple[str, str]:
    """(module, field) a symbol is imported as: its explicit names, else env and its name."""
    module = "env" if sym.import_module is None else sym.import_module
    name = sym.name if sym.import_name is None else sym.import_name
    return module, name


def _add_import(ctx: Context, sym: Symbol) -> None:
    lists = {SYMTAB_FUNCTION: ctx.imported_functions, SYMTAB_GLOBAL: ctx.imported_globals,
             SYMTAB_TABLE: ctx.imported_tables, SYMTAB_TAG: ctx.imported_tags}
    target = lists[sym.kind]
    if sym.kind != SYMTAB_TABLE:
        # one import per (type, module, field): symbols that name the same import share it
        kind_type = sym.global_type if sym.kind == SYMTAB_GLOBAL else sym.signature
        key = (sym.kind, kind_type, *import_field(sym))
        seen = ctx.import_keys.get(key)
        if seen is not None:
            sym.index = seen
            return
        ctx.import_keys[key] = len(target)
    sym.index = len(target)
    target.append(sym)
    ctx.imports.append(sym)


def scan_relocations(ctx: Context) -> None:
    """Table slots for address-taken functions, used types, GOT entries (pic.py), and
    undefined-symbol errors."""
    opts = ctx.options
    dynamic = pic.is_dynamic(ctx) or bool(ctx.shared_files)
    is_pic = ctx.is_pic
    for file in ctx.objects:
        file.type_map = [0] * len(file.types)
        relocs = ctx._relocations_of(file)
        if not relocs:
            continue
        symbols = file.symbols
        for chunk in [*file.functions, *file.segments, *file.customs]:
            if not chunk.live or chunk.discarded:
                continue
            if chunk.kind == "custom":
                found = ctx.chunk_relocations(chunk)
                if found is None:
                    continue
                if not dynamic and not CUSTOM_RELEVANT.intersection(found[0]):
                    continue        # debug sections: offsets and addresses, nothing to scan
                pairs = dict.fromkeys(zip(*found))
            else:
                pairs = ctx.relocation_pairs(chunk)
                if pairs is None:
                    continue
            # each (type, symbol) once, in first-use order (which numbers types and slots)
            for t, i in pairs:
                if t == TYPE_INDEX_LEB:
                    # types are numbered in the order call_indirect first needs them
                    if not file.type_used[i]:
                        file.type_used[i] = True
                        file.type_map[i] = ctx.types.register(file.types[i])
                    continue
                sym = symbols[i]
                if dynamic or t in GOT_TYPES:
                    pic.scan_relocation(ctx, file, t, sym)
                elif t in TABLE_INDEX_TYPES and sym.kind == SYMTAB_FUNCTION:
                    pic.add_table_entry(ctx, sym)
                if sym.state == UNDEFINED and not sym.is_weak and chunk.kind != "custom" \
                        and not opts.relocatable:
                    if sym.index < 0 or sym.kind == SYMTAB_DATA or is_pic:
                        report_undefined(ctx, file, sym)
    create_undefined_stubs(ctx)


GOT_TYPES = {7, 13}          # GLOBAL_INDEX_LEB/I32: against a function or data symbol, its GOT entry
# what a custom section's relocations can need of the scan (debug info has none of these)
CUSTOM_RELEVANT = frozenset(TABLE_INDEX_TYPES) | GOT_TYPES | {TYPE_INDEX_LEB}


def report_undefined(ctx: Context, file, sym: Symbol) -> None:
    opts = ctx.options
    if (sym.import_name is not None or sym.force_import) and sym.kind != SYMTAB_DATA:
        return
    if sym.kind == SYMTAB_FUNCTION and opts.import_undefined:
        return
    if sym.name in opts.allow_undefined_symbols:
        return
    policy = opts.unresolved_symbols
    if policy == "import-dynamic":
        return
    message = f"{file}: undefined symbol: {sym.name}"
    if policy == "warn":
        ctx.diag.warn(message)
    elif policy != "ignore-all":
        ctx.diag.error(message)
        return
    if sym.kind == SYMTAB_FUNCTION and sym.signature is not None and not sym.is_stub:
        ctx.pending_stubs.append(sym)


def create_undefined_stubs(ctx: Context) -> None:
    """Undefined functions that warn or are ignored: calls go to a trapping stub, one per
    signature (lld's createUndefinedStub), made after every reference was reported."""
    stubs = ctx.undefined_stubs
    for sym in ctx.pending_stubs:
        stub = stubs.get(sym.signature)
        if stub is None:
            stub = stubs[sym.signature] = synthetic.trap_stub("undefined_stub", sym.signature)
            stub.live = True
            ctx.synthetic_functions.append(stub)
        resolve_to_stub(sym, stub)


def resolve_to_stub(sym: Symbol, stub) -> None:
    """Define an undefined function as a trapping stub, hidden so it is never exported."""
    sym.state = DEFINED
    sym.element = stub
    sym.is_stub = True
    sym.synthetic = True
    sym.set_hidden(True)


def create_pic_functions(ctx: Context) -> None:
    """Writer::createSyntheticInitFunctions: __wasm_apply_data_relocs (its body now: it names
    imported GOT entries and link-time addresses), __wasm_init_memory,
    __wasm_apply_global_relocs and the start function that runs them."""
    if (ctx.needs_function_table or (ctx.is_pic and ctx.table_entries)) \
            and ctx.function_table is None:
        resolve_function_table(ctx, required=True)
        table = ctx.function_table
        if table is not None and not table.is_defined:
            _add_import(ctx, table)
    if ctx.options.relocatable:
        return
    body = pic.apply_data_relocs_body(ctx)
    if body is not None:
        ctx.apply_data_relocs = _add_synthetic_function(
            ctx, "__wasm_apply_data_relocs", WASM_SYM_EXPORTED, body)
    # bodies that name synthetic globals wait for their indexes (create_synthetic_functions)
    if any(pic.needs_passive_init(ctx, s) for s in ctx.segments):
        ctx.init_memory = _add_synthetic_function(
            ctx, "__wasm_init_memory", WASM_SYM_VISIBILITY_HIDDEN, None)
        if ctx.options.shared_memory:
            threads.mark_live(ctx.tls_base)      # set to the static TLS block
    if threads.needs_global_tls_relocs(ctx):
        ctx.apply_global_tls_relocs = _add_synthetic_function(
            ctx, "__wasm_apply_global_tls_relocs", WASM_SYM_VISIBILITY_HIDDEN, None)
        threads.mark_live(ctx.tls_base)
    if threads.has_tls_relocs(ctx):
        ctx.apply_tls_relocs = _add_synthetic_function(
            ctx, "__wasm_apply_tls_relocs", WASM_SYM_VISIBILITY_HIDDEN, None)
    if pic.needs_global_relocs(ctx):
        ctx.apply_global_relocs = _add_synthetic_function(
            ctx, "__wasm_apply_global_relocs", WASM_SYM_VISIBILITY_HIDDEN, None)
    if ctx.init_memory is not None and ctx.apply_global_relocs is not None:
        ctx.start_function = _add_synthetic_function(
            ctx, "__wasm_start", WASM_SYM_VISIBILITY_HIDDEN, None)
    else:
        ctx.start_function = ctx.init_memory or ctx.apply_global_relocs


def _add_synthetic_function(ctx: Context, name: str, flags: int, body):
    chunk = synthetic.synthetic_function(name, synthetic.NULL_SIGNATURE)
    chunk.live = True
    if body is not None:
        synthetic.set_body(chunk, body)
    ctx.synthetic_functions.append(chunk)
    sym = ctx.symtab.add_synthetic(name, SYMTAB_FUNCTION, flags, chunk)
    sym.signature = synthetic.NULL_SIGNATURE
    sym.live = True
    return sym


def finalize_function_table(ctx: Context) -> None:
    table = ctx.function_table
    if table is None:
        return
    size = ctx.options.table_base + len(ctx.table_entries)
    table64 = 4 if ctx.options.is64 else 0     # wasm64 indexes its table with i64 too
    if table.is_defined and not ctx.options.growable_table:
        limits = Limits(1 | table64, size, size)
    else:
        limits = Limits(table64, size)
    table.table_type = TableType(FUNCREF, limits)
    if table.is_defined:
        table.element.type = table.table_type


def indexes(ctx: Context) -> None:
    layout.assign_indexes(ctx)


def calculate_init_functions(ctx: Context) -> None:
    if not ctx.options.relocatable and not ctx.call_ctors.live:
        return
    entries = []
    for file in ctx.objects:
        for f in file.linking.init_functions:
            sym = file.symbols[f.symbol]
            if getattr(sym.element, "discarded", False) or not sym.live:
                continue
            if sym.signature is not None and sym.signature.params:
                ctx.diag.error(f"constructor functions cannot take arguments: {sym.name}")
            entries.append((f.priority, sym))
    entries.sort(key=lambda e: e[0])         # stable: input order within a priority
    ctx.init_functions = entries


def create_synthetic_functions(ctx: Context) -> None:
    if ctx.options.relocatable:
        return
    cc = ctx.call_ctors
    if cc.live or ctx.init_functions:
        calls = [(layout.output_index(sym), len(sym.signature.results) if sym.signature else 0)
                 for _, sym in ctx.init_functions]
        synthetic.set_body(cc.element, synthetic.call_ctors_body(calls))
    opts = ctx.options
    if ctx.apply_global_relocs is not None:
        synthetic.set_body(ctx.apply_global_relocs.element, pic.apply_global_relocs_body(ctx))
    if ctx.apply_tls_relocs is not None:
        synthetic.set_body(ctx.apply_tls_relocs.element, threads.apply_tls_relocs_body(ctx))
    if ctx.apply_global_tls_relocs is not None:
        synthetic.set_body(ctx.apply_global_tls_relocs.element,
                           threads.apply_global_tls_relocs_body(ctx))
    if ctx.init_memory is not None:
        synthetic.set_body(ctx.init_memory.element, threads.init_memory_body(ctx))
    if ctx.start_function is not None and ctx.start_function.element.body is None:
        synthetic.set_body(ctx.start_function.element, pic.start_body(
            ctx, layout.output_index(ctx.apply_global_relocs), layout.output_index(ctx.init_memory)))
    if not ctx.is_pic and not cc.used_in_regular_obj and not ctx.is_exported(cc):
        create_command_export_wrappers(ctx)
    if ctx.init_tls is not None and ctx.init_tls.live:
        synthetic.set_body(ctx.init_tls.element, threads.init_tls_body(ctx))


def create_command_export_wrappers(ctx: Context) -> None:
    if not ctx.init_functions and ctx.call_dtors is None:
        return
    wrap = [s for s in ctx.symtab.symbols() if ctx.is_exported(s) and s.kind == SYMTAB_FUNCTION]
    for f in wrap:
        name = f"{f.name}.command_export"
        chunk = synthetic.synthetic_function(name, f.signature)
        chunk.export_name = (f.element.export_name if f.element is not None else None) or f.name
        chunk.live = True
        sym = ctx.symtab.add_synthetic(name, SYMTAB_FUNCTION, f.flags, chunk)
        sym.signature = f.signature
        sym.live = True
        sym.flags = (sym.flags | WASM_SYM_EXPORTED) & ~WASM_SYM_VISIBILITY_HIDDEN
        sym.force_export = f.force_export
        f.flags = (f.flags | WASM_SYM_VISIBILITY_HIDDEN) & ~WASM_SYM_EXPORTED
        f.force_export = False
        chunk.function_index = len(ctx.imported_functions) + len(ctx.functions)
        ctx.functions.append(chunk)
        call_ctors = ctx.call_ctors.element.function_index if ctx.call_ctors.live else None
        call_dtors = layout.output_index(ctx.call_dtors) if ctx.call_dtors is not None else None
        synthetic.set_body(chunk, synthetic.command_export_body(
            call_ctors, layout.output_index(f), len(f.signature.params), call_dtors))


def calculate_types(ctx: Context) -> None:
    types = ctx.types
    for file in ctx.objects:
        for i, t in enumerate(file.types):
            if file.type_used[i]:
                file.type_map[i] = types.register(t)
    for sym in ctx.imports:
        if sym.kind in (SYMTAB_FUNCTION, SYMTAB_TAG):
            types.register(sym.signature)
    for chunk in ctx.functions:
        types.register(chunk.signature)
    for tag in ctx.tags:
        types.register(tag.file.types[tag.type.type_index])


def calculate_exports(ctx: Context) -> None:
    opts = ctx.options
    exports = ctx.exports
    if opts.relocatable:
        return
    if opts.export_memory_name is not None:
        exports.append((opts.export_memory_name, 2, 0))
    global_index = len(ctx.imported_globals) + len(ctx.got_imports) + len(ctx.globals) \
        + len(ctx.internal_got)
    for sym in ctx.symtab.symbols():
        if not ctx.is_exported(sym) or not sym.live:
            continue
        if sym.kind == SYMTAB_FUNCTION:
            if sym.is_stub:
                continue
            name = (sym.element.export_name if sym.element is not None else None) or sym.name
            exports.append((name, 0, sym.element.function_index))
        elif sym.kind == SYMTAB_GLOBAL:
            # linker-made mutable globals (__stack_pointer) only where the output may export
            # mutable globals, or when asked for by name
            if sym.global_type.mutable and sym.synthetic and not sym.force_export \
                    and "mutable-globals" not in ctx.features:
                continue
            exports.append((sym.name, 3, layout.output_index(sym)))
        elif sym.kind == SYMTAB_TAG:
            exports.append((sym.name, 4, layout.output_index(sym)))
        elif sym.kind == SYMTAB_DATA:
            ctx.data_address_globals.append(sym)
            exports.append((sym.name, 3, global_index))
            global_index += 1
        elif sym.kind == SYMTAB_TABLE:
            exports.append((sym.name, 1, layout.output_index(sym)))


def populate_target_features(ctx: Context) -> None:
    """The output's features: the union of what inputs use, checked against what they forbid."""
    from ..binary.producers import decode_target_features
    used: dict[str, str] = {}
    disallowed: dict[str, str] = {}
    per_file = []
    opts = ctx.options
    for file in ctx.objects:
        s = file.module.custom("target_features")
        entries = [] if s is None else decode_target_features(file.data, s.contents,
                                                              s.end - s.contents).entries
        per_file.append((file, entries))
        for prefix, name in entries:
            if prefix in ("+", "="):
                used.setdefault(name, str(file))
            elif prefix == "-":
                disallowed.setdefault(name, str(file))
    allowed = set(used) if opts.features is None else set(opts.features)
    allowed |= set(opts.extra_features or ())
    if ctx.is_pic:
        allowed.add("mutable-globals")
    ctx.features = allowed
    if not opts.check_features:
        return
    if opts.shared_memory:
        if "shared-mem" in disallowed:
            ctx.diag.error(f"--shared-memory is disallowed by {disallowed['shared-mem']} because "
                           "it was not compiled with 'atomics' or 'bulk-memory' features.")
        for feature in ("atomics", "bulk-memory"):
            if feature not in allowed:
                ctx.diag.error(f"'{feature}' feature must be used in order to use shared memory")
    if opts.features is not None:
        for feature, where in used.items():
            if feature not in allowed:
                ctx.diag.error(f"Target feature '{feature}' used by {where} is not allowed.")
    for file, entries in per_file:
        for prefix, name in entries:
            if prefix != "-" and name in disallowed:
                ctx.diag.error(f"Target feature '{name}' used in {file} is disallowed by "
                               f"{disallowed[name]}. Use --no-check-features to suppress.")


def write(ctx: Context) -> None:
    from .writer import write_output
    write_output(ctx)


def start_demangler(ctx: Context) -> None:
    """With C++ names to show in the name section, start llvm-cxxfilt now: it loads while the
    link goes on, and demangles them while the output is written (writer.name_section)."""
    opts = ctx.options
    if not opts.demangle or (opts.strip_all and "name" not in opts.keep_sections):
        return
    if any(name.startswith("_Z") for name in ctx.symtab.by_name):
        from .demangle import Cxxfilt
        ctx.cxxfilt = Cxxfilt()


PASSES = (
    ("read inputs", read_inputs),
    ("start demangler", start_demangler),
    ("resolve roots", resolve_roots),
    ("finish resolution", finish_resolution),
    ("mark live", gc),
    ("layout memory", create_segments),
    ("calculate imports", calculate_imports),
    ("scan relocations", scan_relocations),
    ("pic functions", create_pic_functions),
    ("finalize table", finalize_function_table),
    ("assign indexes", indexes),
    ("init functions", calculate_init_functions),
    ("synthetic functions", create_synthetic_functions),
    ("types", calculate_types),
    ("exports", calculate_exports),
    ("write output", write),
)


def run(ctx: Context) -> Context:
    # The link builds hundreds of thousands of long-lived objects (chunks, symbols, names) and
    # frees almost nothing until it ends: the cycle collector's scans over them find no garbage
    # and cost a large link a tenth of its time, so it is paused for the passes.
    collecting = cycle_collector.isenabled()
    cycle_collector.disable()
    try:
        create_synthetic_symbols(ctx)
        for name, fn in PASSES:
            ctx.timed(name, fn)
    finally:
        if ctx.cxxfilt is not None:
            ctx.cxxfilt.close()
        if collecting:
            _resume_collector()
    return ctx


def _resume_collector() -> None:
    # Re-enabled as is, the collector would scan everything the link made at the next
    # allocation (all of it is still in the youngest generation). Move it to the oldest one
    # unscanned instead, unless the host application keeps frozen objects of its own.
    if cycle_collector.get_freeze_count() == 0:
        cycle_collector.freeze()
        cycle_collector.unfreeze()
    cycle_collector.enable()


__all__ = ["Context", "run", "LinkError"]
