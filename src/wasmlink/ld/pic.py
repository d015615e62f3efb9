"""Position-independent output (-shared, -pie) and dynamic imports (tool-conventions
DynamicLinking.md; lld's Relocations.cpp, the GOT parts of SyntheticSections.cpp and the
runtime-relocation functions of Writer.cpp).

A PIC module does not know where its data and table slots will be: the loader gives it
`__memory_base` and `__table_base` (imported globals), and it reaches every symbol that may
live in another module through a GOT entry, a mutable global:

- scan: each relocation that needs an address at run time gets a GOT entry. A symbol that may
  be defined elsewhere (undefined, from a shared library, or exported from -shared without
  -Bsymbolic) is *imported* as `GOT.mem.NAME` / `GOT.func.NAME`; one that resolves here gets an
  *internal* GOT global, which `__wasm_apply_global_relocs` (the start function) sets to
  `__memory_base + address` or `__table_base + slot`. The same holds, without the bases, for
  undefined symbols under --unresolved-symbols=import-dynamic in a non-PIC link.
- data: pointers stored in data cannot be fixed at link time. The data segments are combined
  into one `.data` placed at `__memory_base`, and `__wasm_apply_data_relocs` (exported, called
  by the loader before the constructors) stores each pointer's run-time value.
- dylink.0: memory size and alignment, table size, needed libraries (the shared-library
  inputs), runtime paths, export info for TLS exports and import info for weak imports.

Relocations against symbols that would need an absolute address in code (MEMORY_ADDR_LEB/SLEB,
TABLE_INDEX_SLEB) are errors: the object was not compiled with -fPIC.
"""
from __future__ import annotations

from bisect import bisect_left

from .._native.leb128 import encode_s32, encode_s64, encode_u32
from .._native.reloc import reloc_type_name
from ..binary.dylink import (
    WASM_DYLINK_EXPORT_INFO, WASM_DYLINK_IMPORT_INFO, WASM_DYLINK_MEM_INFO, WASM_DYLINK_NEEDED,
    WASM_DYLINK_RUNTIME_PATH, DylinkSection, DylinkSubsection, ExportInfo, ImportInfo, MemInfo,
    encode_dylink,
)
from ..binary.linking import SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL, SYMTAB_SECTION
from . import layout

# relocation types (Linking.md numbering)
TABLE_INDEX_SLEB, TABLE_INDEX_I32, MEMORY_ADDR_LEB, MEMORY_ADDR_SLEB, MEMORY_ADDR_I32 = 1, 2, 3, 4, 5
GLOBAL_INDEX_LEB, MEMORY_ADDR_REL_SLEB, TABLE_INDEX_REL_SLEB, GLOBAL_INDEX_I32 = 7, 11, 12, 13
MEMORY_ADDR_LEB64, MEMORY_ADDR_SLEB64, MEMORY_ADDR_I64, MEMORY_ADDR_REL_SLEB64 = 14, 15, 16, 17
TABLE_INDEX_SLEB64, TABLE_INDEX_I64, TABLE_INDEX_REL_SLEB64 = 18, 19, 24
MEMORY_ADDR_TLS_SLEB, MEMORY_ADDR_TLS_SLEB64 = 21, 25

TABLE_INDEX_ALL = {TABLE_INDEX_SLEB, TABLE_INDEX_I32, TABLE_INDEX_SLEB64, TABLE_INDEX_I64,
                   TABLE_INDEX_REL_SLEB, TABLE_INDEX_REL_SLEB64}
NEEDS_FPIC = {TABLE_INDEX_SLEB, TABLE_INDEX_SLEB64, MEMORY_ADDR_SLEB, MEMORY_ADDR_LEB,
              MEMORY_ADDR_SLEB64, MEMORY_ADDR_LEB64}
DATA_POINTERS = {TABLE_INDEX_I32, TABLE_INDEX_I64, MEMORY_ADDR_I32, MEMORY_ADDR_I64}
RELATIVE = {TABLE_INDEX_REL_SLEB, TABLE_INDEX_REL_SLEB64, MEMORY_ADDR_REL_SLEB,
            MEMORY_ADDR_REL_SLEB64}
IS_64 = {TABLE_INDEX_I64, MEMORY_ADDR_I64}

OP_GLOBAL_GET, OP_GLOBAL_SET, OP_I32_CONST, OP_I64_CONST = 0x23, 0x24, 0x41, 0x42
OP_I32_ADD, OP_I64_ADD, OP_I32_STORE, OP_I64_STORE, OP_END, OP_CALL = 0x6A, 0x7C, 0x36, 0x37, 0x0B, 0x10


def is_dynamic(ctx) -> bool:
    """Whether GOT entries may be needed: PIC, or import-dynamic for undefined symbols."""
    return ctx.is_pic or ctx.options.unresolved_symbols == "import-dynamic"


def requires_got_access(ctx, sym) -> bool:
    """lld's requiresGOTAccess: the symbol's address is only known at run time."""
    if sym.is_shared:
        return True
    opts = ctx.options
    if not ctx.is_pic and opts.unresolved_symbols != "import-dynamic":
        return False
    if sym.is_hidden or sym.is_local:
        return False
    # an executable (or -Bsymbolic) binds what it defines to its own definition
    if sym.is_defined and (not opts.shared or opts.bsymbolic):
        return False
    return True


def add_table_entry(ctx, sym) -> None:
    if sym.is_stub or sym.get_table_index() >= 0 or not (sym.is_defined or sym.index >= 0):
        return
    sym.set_table_index(ctx.options.table_base + len(ctx.table_entries))
    ctx.table_entries.append(sym)


def add_got_entry(ctx, sym) -> None:
    if requires_got_access(ctx, sym):
        if sym.got_index >= 0:
            return
        sym.got_index = len(ctx.imported_globals) + len(ctx.got_imports)
        if ctx.is_pic:
            # the loader fills the entry from our own export, if we define it
            sym.force_export = True
        ctx.got_imports.append(sym)
        return
    if sym.requires_got:
        return
    sym.requires_got = True
    if sym.kind == SYMTAB_FUNCTION:
        ctx.needs_function_table = True
        add_table_entry(ctx, sym)
    ctx.internal_got.append(sym)


def scan_relocation(ctx, file, rtype: int, sym) -> None:
    """Relocations.cpp's scanRelocations for one relocation (TYPE_INDEX_LEB excluded)."""
    if rtype in TABLE_INDEX_ALL:
        if sym.kind == SYMTAB_FUNCTION and not requires_got_access(ctx, sym):
            add_table_entry(ctx, sym)
    elif rtype in (GLOBAL_INDEX_LEB, GLOBAL_INDEX_I32):
        if sym.kind != SYMTAB_GLOBAL:
            add_got_entry(ctx, sym)
    elif rtype in (MEMORY_ADDR_TLS_SLEB, MEMORY_ADDR_TLS_SLEB64):
        if not sym.is_defined:
            ctx.diag.error(f"{file}: relocation {reloc_type_name(rtype)} cannot be used against "
                           f"an undefined symbol `{sym.name}`")
    if not ctx.is_pic and not sym.is_shared and not (
            sym.is_undefined and ctx.options.unresolved_symbols == "import-dynamic"):
        return
    if rtype in NEEDS_FPIC:
        ctx.diag.error(f"{file}: relocation {reloc_type_name(rtype)} cannot be used against "
                       f"symbol `{sym.name}`; recompile with -fPIC")
    elif rtype in DATA_POINTERS:
        # applied at run time by __wasm_apply_data_relocs, through the GOT
        if requires_got_access(ctx, sym):
            add_got_entry(ctx, sym)
    elif rtype in RELATIVE:
        if sym.is_undefined:
            ctx.diag.error(f"{file}: relocation {reloc_type_name(rtype)} is not supported "
                           f"against an undefined symbol `{sym.name}`")


# -- synthetic symbols ----------------------------------------------------------------------------

def create_pic_globals(ctx) -> None:
    """__stack_pointer, __memory_base and __table_base come from the loader (imports)."""
    from ..binary.types import GlobalType, I32, I64
    from .symbol_table import UNDEFINED, Symbol
    from ..binary.linking import WASM_SYM_UNDEFINED
    ptr = I64 if ctx.options.is64 else I32
    st = ctx.symtab
    made = {}
    for name, mutable in (("__stack_pointer", True), ("__memory_base", False),
                          ("__table_base", False)):
        sym = st.insert(Symbol(name, SYMTAB_GLOBAL, WASM_SYM_UNDEFINED, UNDEFINED))
        sym.global_type = GlobalType(ptr, mutable)
        sym.used_in_regular_obj = True
        ctx.options.allow_undefined_symbols.add(name)
        made[name] = sym
    ctx.stack_pointer = made["__stack_pointer"]
    ctx.memory_base = made["__memory_base"]
    ctx.table_base = made["__table_base"]
    ctx.memory_base.live = True
    ctx.table_base.live = True


# -- layout ---------------------------------------------------------------------------------------

def combine_segments(ctx) -> None:
    """One active segment at __memory_base: PIC has no other base to place segments at
    (without extended-const). Segments left out of the binary (.bss zeroed by
    __wasm_init_memory) keep their own place."""
    from .layout import OutputSegment
    kept = [s for s in ctx.segments if in_binary(ctx, s)]
    if len(kept) <= 1:
        return
    combined = OutputSegment(".data")
    combined.start_va = kept[0].start_va
    combined.is_bss = False
    for seg in kept:
        first = True
        for chunk in seg.inputs:
            if first:
                chunk.alignment = max(chunk.alignment, seg.alignment)
            first = False
            combined.add(chunk)
    rest = [s for s in ctx.segments if not in_binary(ctx, s)]
    ctx.segments = [combined, *rest]
    for i, s in enumerate(ctx.segments):
        s.index = i


def in_binary(ctx, seg) -> bool:
    from .writer import emit_bss
    return not seg.is_bss or emit_bss(ctx)


def needs_passive_init(ctx, seg) -> bool:
    return (ctx.options.import_memory and not in_binary(ctx, seg)) or seg.passive


# -- runtime relocation code ----------------------------------------------------------------------

def _ptr_const(ctx, value: int) -> bytes:
    if ctx.options.is64:
        return bytes([OP_I64_CONST]) + encode_s64(value)
    return bytes([OP_I32_CONST]) + encode_s32(_signed32(value))


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _global_get(index: int) -> bytes:
    return bytes([OP_GLOBAL_GET]) + encode_u32(index)


def symbol_address(ctx, sym) -> int:
    """What MEMORY_ADDR_* relocations resolve to (before the addend): 0 for undefined and
    shared data, TLS symbols relative to their block."""
    if sym.kind != SYMTAB_DATA or not sym.is_defined:
        return 0
    address = layout.data_address(sym)
    if sym.is_tls and ctx.tls_segment is not None and sym.va is None:
        address -= ctx.tls_segment.start_va
    return address


def data_reloc_value(ctx, rtype: int, sym, addend: int) -> int:
    """lld's calcNewValue for the pointer types found in data."""
    if not sym.live and sym.kind != SYMTAB_SECTION:
        return addend
    if rtype in (TABLE_INDEX_I32, TABLE_INDEX_I64):
        return max(sym.get_table_index(), 0) if sym.kind == SYMTAB_FUNCTION else 0
    if sym.kind != SYMTAB_DATA or not sym.is_defined:
        return 0
    return symbol_address(ctx, sym) + addend


def apply_data_relocs_body(ctx) -> bytes | None:
    """The body of __wasm_apply_data_relocs, or None when no data relocation needs run-time
    work (InputChunk::generateRelocationCode over every live segment; with shared memory the
    TLS segment's are __wasm_apply_tls_relocs', run per thread)."""
    out = bytearray(b"\x00")
    for seg in ctx.segments:
        if ctx.options.shared_memory and seg.is_tls:
            continue
        out += relocation_code(ctx, seg)
    if len(out) == 1:
        return None
    out.append(OP_END)
    return bytes(out)


def relocation_code(ctx, seg) -> bytes:
    """Code storing the run-time value of each pointer in one segment's data that is only
    known at run time: PIC addresses (base + link-time value) and GOT entries."""
    out = bytearray()
    is64 = bool(ctx.options.is64)
    mem_base = ctx.memory_base.index if ctx.memory_base is not None else 0
    tab_base = ctx.table_base.index if ctx.table_base is not None else 0

    def tls_base():
        # (__wasm_apply_data_relocs is made before indexes exist: __memory_base, as before)
        g = ctx.tls_base.element if ctx.tls_base is not None else None
        return g.out_index if g is not None and g.out_index >= 0 else mem_base
    for chunk in seg.inputs:
        for rtype, offset, index, addend in chunk_relocations(ctx, chunk):
            sym = chunk.file.symbols[index]
            # internal GOT entries get their index in assign_indexes: before it (for
            # __wasm_apply_data_relocs) only imported ones count, as in lld
            has_got = sym.got_index >= 0
            if not (ctx.is_pic or has_got):
                continue
            if rtype not in DATA_POINTERS:
                ctx.diag.error(f"invalid runtime relocation type in data section: "
                               f"{reloc_type_name(rtype)}")
                continue
            va = seg.start_va + chunk.segment_offset + (offset - chunk.start)
            out += bytes([OP_I64_CONST if is64 else OP_I32_CONST])
            out += encode_s64(va) if is64 else encode_s32(_signed32(va))
            if ctx.is_pic:
                out += _global_get(tls_base() if chunk.is_tls else mem_base)
                out.append(OP_I64_ADD if is64 else OP_I32_ADD)
            wide = rtype in IS_64
            const_op = OP_I64_CONST if wide else OP_I32_CONST
            add_op = OP_I64_ADD if wide else OP_I32_ADD
            enc = encode_s64 if wide else (lambda v: encode_s32(_signed32(v)))
            if has_got:
                out += _global_get(sym.got_index)
                if addend:
                    out += bytes([const_op]) + enc(addend) + bytes([add_op])
            else:
                if rtype in (TABLE_INDEX_I32, TABLE_INDEX_I64):
                    base = tab_base
                elif sym.is_tls:
                    base = tls_base()
                else:
                    base = mem_base
                out += _global_get(base)
                out += bytes([const_op]) + enc(data_reloc_value(ctx, rtype, sym, addend))
                out.append(add_op)
            out += bytes([OP_I64_STORE if wide else OP_I32_STORE]) + b"\x02\x00"
    return bytes(out)


def chunk_relocations(ctx, chunk):
    """(type, offset, index, addend) of each relocation inside a data chunk."""
    file = chunk.file
    if file is None:
        return []
    data = file.module.section(11)
    if data is None:
        return []
    r = ctx._relocations_of(file).get(file.module.sections.index(data))
    if r is None:
        return []
    lo = bisect_left(r.offset, chunk.start)
    hi = bisect_left(r.offset, chunk.end)
    return [(r.type[k], r.offset[k], r.index[k], r.addend[k]) for k in range(lo, hi)]


def needs_global_relocs(ctx) -> bool:
    return ctx.is_pic and any(not s.is_tls for s in ctx.internal_got)


def apply_global_relocs_body(ctx) -> bytes:
    """__wasm_apply_global_relocs: internal GOT entries = base + link-time value."""
    out = bytearray(b"\x00")
    add = OP_I64_ADD if ctx.options.is64 else OP_I32_ADD
    for sym in ctx.internal_got:
        if sym.is_tls:
            continue
        if sym.kind == SYMTAB_DATA:
            if not sym.is_defined:
                continue
            out += _global_get(ctx.memory_base.index) + _ptr_const(ctx, layout.data_address(sym))
        elif sym.kind == SYMTAB_FUNCTION:
            if sym.is_stub:
                continue
            out += _global_get(ctx.table_base.index) + _ptr_const(ctx, max(sym.get_table_index(), 0))
        else:
            continue
        out.append(add)
        out += bytes([OP_GLOBAL_SET]) + encode_u32(sym.got_index)
    out.append(OP_END)
    return bytes(out)


def start_body(ctx, first, second) -> bytes:
    return (b"\x00" + bytes([OP_CALL]) + encode_u32(first) + bytes([OP_CALL])
            + encode_u32(second) + bytes([OP_END]))


def internal_got_init(ctx, sym) -> bytes:
    """The initialiser of an internal GOT global: the link-time value (the base is added by
    __wasm_apply_global_relocs in PIC)."""
    if sym.kind == SYMTAB_DATA:
        value = layout.data_address(sym) if sym.is_defined else 0
        if sym.is_defined and sym.is_tls and ctx.options.shared_memory:
            # set per thread by __wasm_apply_global_tls_relocs: here the block offset
            from .threads import tls_offset
            value = tls_offset(ctx, sym, value)
    elif sym.kind == SYMTAB_FUNCTION:
        value = 0 if sym.is_stub else max(sym.get_table_index(), 0)
    else:
        value = 0
    return _ptr_const(ctx, value) + bytes([OP_END])


def internal_got_mutable(ctx, sym) -> bool:
    if sym.is_stub:
        return False
    return (ctx.is_pic and not sym.is_tls) or (bool(ctx.options.shared_memory) and sym.is_tls)


# -- dylink.0 -------------------------------------------------------------------------------------

def is_dylink_needed(ctx) -> bool:
    return ctx.is_pic or ctx.options.unresolved_symbols == "import-dynamic" \
        or bool(ctx.shared_files)


def dylink_payload(ctx) -> bytes:
    import os
    subs = [DylinkSubsection(WASM_DYLINK_MEM_INFO, MemInfo(
        ctx.static_data_size if ctx.is_pic else 0, ctx.memory_align,
        len(ctx.table_entries), 0))]
    if ctx.shared_files:
        subs.append(DylinkSubsection(WASM_DYLINK_NEEDED,
                                     [os.path.basename(f.name) for f in ctx.shared_files]))
    if ctx.options.rpath:
        subs.append(DylinkSubsection(WASM_DYLINK_RUNTIME_PATH, list(ctx.options.rpath)))
    exports, imports = [], []
    for sym in ctx.symtab.symbols():
        if not sym.live:
            continue
        if sym.kind == SYMTAB_DATA and sym.is_defined and sym.is_tls and ctx.is_exported(sym):
            exports.append(ExportInfo(sym.name, sym.flags))
        if sym.is_undefined and sym.is_weak:
            imports.append(ImportInfo("env" if sym.import_module is None else sym.import_module,
                                      sym.name if sym.import_name is None else sym.import_name,
                                      sym.flags))
    if exports:
        subs.append(DylinkSubsection(WASM_DYLINK_EXPORT_INFO, exports))
    if imports:
        subs.append(DylinkSubsection(WASM_DYLINK_IMPORT_INFO, imports))
    return encode_dylink(DylinkSection(subs))
