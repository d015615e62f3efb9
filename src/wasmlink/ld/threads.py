"""Shared memory (--shared-memory) and thread-local storage, as wasm-ld-22 makes them.

A module with shared memory is instantiated once per thread, all instances on one memory, so
nothing in the binary may write memory on instantiation: every data segment is passive, and
`__wasm_init_memory` (the start function) copies them in once. The instance that wins an atomic
compare-exchange on `__wasm_init_memory_flag` (a word after the data) does the copying and sets
the flag to 2, waking the others, who wait while it is 1; every instance then drops its segments,
except the TLS one.

Thread-local data is the single `.tdata` output segment. Its symbols are offsets from
`__tls_base`, a mutable global of each instance: the runtime allocates `__tls_size` bytes
aligned to `__tls_align` for a new thread and calls `__wasm_init_tls(block)`, which sets
`__tls_base`, copies the TLS segment in (memory.init) and runs the TLS relocations:
`__wasm_apply_tls_relocs` (pointers stored in TLS data) and `__wasm_apply_global_tls_relocs`
(GOT globals holding TLS addresses, `global.get x@GOT@TLS`). The main thread's block is the
static copy: `__wasm_init_memory` points `__tls_base` at it.

Without --shared-memory, `__tls_base` is an immutable global at the static `.tdata` (link.py's
optional symbols) and none of this is made.
"""
from __future__ import annotations

from .._native.leb128 import encode_s32, encode_s64, encode_u32
from ..binary.linking import SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL, WASM_SYM_VISIBILITY_HIDDEN
from ..binary.types import FuncType, GlobalType, I32, I64

OP_BLOCK, OP_BR, OP_BR_TABLE, OP_END, OP_CALL, OP_DROP = 0x02, 0x0C, 0x0E, 0x0B, 0x10, 0x1A
OP_LOCAL_GET, OP_LOCAL_SET, OP_LOCAL_TEE, OP_GLOBAL_GET, OP_GLOBAL_SET = 0x20, 0x21, 0x22, 0x23, 0x24
OP_I32_CONST, OP_I64_CONST, OP_I32_ADD, OP_I64_ADD = 0x41, 0x42, 0x6A, 0x7C
BLOCK_EMPTY = 0x40
MISC, MEMORY_INIT, DATA_DROP, MEMORY_FILL = 0xFC, 0x08, 0x09, 0x0B
ATOMIC, ATOMIC_NOTIFY, I32_ATOMIC_WAIT, I32_ATOMIC_STORE, I32_RMW_CMPXCHG = 0xFE, 0x00, 0x01, 0x17, 0x48
MEMARG_ALIGN4 = b"\x02\x00"


def _ptr_type(ctx) -> int:
    return I64 if ctx.options.is64 else I32


def ptr_const(ctx, value: int) -> bytes:
    if ctx.options.is64:
        return bytes([OP_I64_CONST]) + encode_s64(value)
    value &= 0xFFFFFFFF
    return bytes([OP_I32_CONST]) + encode_s32(value - (1 << 32) if value >= 1 << 31 else value)


def i32_const(value: int) -> bytes:
    return bytes([OP_I32_CONST]) + encode_s32(value)


def _global(op: int, index: int) -> bytes:
    return bytes([op]) + encode_u32(index)


# -- symbols ------------------------------------------------------------------------------------

def create_tls_symbols(ctx) -> None:
    """Driver's createSyntheticSymbols with --shared-memory: the three TLS globals (after
    __stack_pointer) and __wasm_init_tls (after __wasm_call_ctors), all hidden."""
    from . import synthetic
    from .input_files import InputElement
    ptr = _ptr_type(ctx)
    zero = ptr_const(ctx, 0) + bytes([OP_END])
    made = []
    for name, mutable in (("__tls_base", True), ("__tls_size", False), ("__tls_align", False)):
        g = InputElement(None, 3, 0, GlobalType(ptr, mutable), zero)
        g.name = name
        ctx.synthetic_globals.append(g)
        sym = ctx.symtab.add_synthetic(name, SYMTAB_GLOBAL, WASM_SYM_VISIBILITY_HIDDEN, g)
        sym.global_type = g.type
        made.append(sym)
    ctx.tls_base, ctx.tls_size, ctx.tls_align = made
    signature = FuncType((ptr,), ())
    chunk = synthetic.synthetic_function("__wasm_init_tls", signature)
    ctx.synthetic_functions.append(chunk)
    ctx.init_tls = ctx.symtab.add_synthetic("__wasm_init_tls", SYMTAB_FUNCTION,
                                            WASM_SYM_VISIBILITY_HIDDEN, chunk)
    ctx.init_tls.signature = signature


def mark_live(sym) -> None:
    sym.live = True
    if sym.element is not None:
        sym.element.live = True


# -- layout -------------------------------------------------------------------------------------

def set_tls_globals(ctx, seg) -> None:
    """layoutMemory on the TLS segment: __tls_size and __tls_align (shared memory only)."""
    if ctx.tls_size is not None:
        ctx.tls_size.element.init = ptr_const(ctx, seg.size) + bytes([OP_END])
    if ctx.tls_align is not None:
        ctx.tls_align.element.init = ptr_const(ctx, 1 << seg.alignment) + bytes([OP_END])


def place_init_memory_flag(ctx, ptr: int) -> int:
    """The word __wasm_init_memory synchronises on, after the data; returns the new end.
    (All segments are passive with shared memory, so any segment needs it.)"""
    from .layout import align
    if not ctx.options.shared_memory or not ctx.segments:
        return ptr
    ptr = align(ptr, 4)
    flag = ctx.symtab.add_synthetic("__wasm_init_memory_flag", SYMTAB_DATA,
                                    WASM_SYM_VISIBILITY_HIDDEN)
    flag.va = ptr
    flag.live = True
    ctx.init_memory_flag = flag
    return ptr + 4


# -- function bodies ----------------------------------------------------------------------------

def init_memory_body(ctx) -> bytes:
    """Writer::createInitMemoryFunction: initialise every passive segment (memory.init, or
    memory.fill for .bss) and drop it; with shared memory, once, under the flag protocol."""
    from .pic import needs_passive_init
    shared = bool(ctx.options.shared_memory)
    is_pic = ctx.is_pic
    add = bytes([OP_I64_ADD if ctx.options.is64 else OP_I32_ADD])
    out = bytearray()
    if shared and is_pic:
        # the flag's address, __memory_base + offset, cached in local 0 (local 1: TLS base)
        out += b"\x01\x02" + bytes([_ptr_type(ctx)])
        out += _global(OP_GLOBAL_GET, ctx.memory_base.index)
        out += ptr_const(ctx, ctx.init_memory_flag.va) + add
        out += bytes([OP_LOCAL_SET, 0])
    else:
        out += b"\x00"

    def flag_address() -> bytes:
        return bytes([OP_LOCAL_GET, 0]) if is_pic else ptr_const(ctx, ctx.init_memory_flag.va)

    if shared:
        out += bytes([OP_BLOCK, BLOCK_EMPTY]) * 3            # $drop, $wait, $init
        out += flag_address() + i32_const(0) + i32_const(1)
        out += bytes([ATOMIC, I32_RMW_CMPXCHG]) + MEMARG_ALIGN4
        out += bytes([OP_BR_TABLE, 2, 0, 1, 2])             # 0: init, 1: wait, else: drop
        out.append(OP_END)                                   # $init
    tls_base = ctx.tls_base.element.out_index if shared else None
    for seg in ctx.segments:
        if not needs_passive_init(ctx, seg):
            continue
        out += ptr_const(ctx, seg.start_va)
        if is_pic:
            out += _global(OP_GLOBAL_GET, ctx.memory_base.index) + add
        if shared and seg.is_tls:
            # the main thread's TLS block is the static copy
            if is_pic:
                out += bytes([OP_LOCAL_TEE, 1])
            else:
                out += ptr_const(ctx, seg.start_va)
            out += _global(OP_GLOBAL_SET, tls_base)
            if is_pic:
                out += bytes([OP_LOCAL_GET, 1])
        if seg.is_bss:
            out += i32_const(0) + ptr_const(ctx, seg.size)
            out += bytes([MISC, MEMORY_FILL, 0])
        else:
            out += i32_const(0) + i32_const(seg.size)
            out += bytes([MISC, MEMORY_INIT]) + encode_u32(seg.index) + b"\x00"
    if shared:
        out += flag_address() + i32_const(2)
        out += bytes([ATOMIC, I32_ATOMIC_STORE]) + MEMARG_ALIGN4
        out += flag_address() + i32_const(-1)
        out += bytes([ATOMIC, ATOMIC_NOTIFY]) + MEMARG_ALIGN4 + bytes([OP_DROP])
        out += bytes([OP_BR, 1])                             # to $drop
        out.append(OP_END)                                   # $wait
        out += flag_address() + i32_const(1) + bytes([OP_I64_CONST]) + encode_s64(-1)
        out += bytes([ATOMIC, I32_ATOMIC_WAIT]) + MEMARG_ALIGN4 + bytes([OP_DROP])
        out.append(OP_END)                                   # $drop
    for seg in ctx.segments:
        if needs_passive_init(ctx, seg) and not seg.is_bss:
            if shared and seg.is_tls:
                continue                 # __wasm_init_tls copies it for every new thread
            out += bytes([MISC, DATA_DROP]) + encode_u32(seg.index)
    out.append(OP_END)
    return bytes(out)


def needs_global_tls_relocs(ctx) -> bool:
    return bool(ctx.options.shared_memory) and any(s.is_tls for s in ctx.internal_got)


def has_tls_relocs(ctx) -> bool:
    from .pic import chunk_relocations
    return bool(ctx.options.shared_memory) and any(
        chunk_relocations(ctx, chunk) for seg in ctx.segments if seg.is_tls for chunk in seg.inputs)


def apply_global_tls_relocs_body(ctx) -> bytes:
    """GOT globals of TLS symbols = __tls_base + offset (per thread, from __wasm_init_tls)."""
    from .layout import data_address
    add = bytes([OP_I64_ADD if ctx.options.is64 else OP_I32_ADD])
    out = bytearray(b"\x00")
    for sym in ctx.internal_got:
        if not sym.is_tls or sym.kind != SYMTAB_DATA or not sym.is_defined:
            continue
        out += _global(OP_GLOBAL_GET, ctx.tls_base.element.out_index)
        out += ptr_const(ctx, tls_offset(ctx, sym, data_address(sym))) + add
        out += _global(OP_GLOBAL_SET, sym.got_index)
    out.append(OP_END)
    return bytes(out)


def tls_offset(ctx, sym, address: int) -> int:
    if ctx.tls_segment is not None and sym.va is None:
        return address - ctx.tls_segment.start_va
    return address


def apply_tls_relocs_body(ctx) -> bytes:
    """Pointers stored in TLS data, written into each thread's block (InputChunk::
    generateRelocationCode over the TLS segment's inputs)."""
    from .pic import relocation_code
    out = bytearray(b"\x00")
    for seg in ctx.segments:
        if seg.is_tls:
            out += relocation_code(ctx, seg)
    out.append(OP_END)
    return bytes(out)


def init_tls_body(ctx) -> bytes:
    """__wasm_init_tls(block): __tls_base = block, copy .tdata there, apply TLS relocations."""
    out = bytearray(b"\x00")
    seg = next((s for s in ctx.segments if s.name == ".tdata"), None)
    if seg is not None:
        out += bytes([OP_LOCAL_GET, 0]) + _global(OP_GLOBAL_SET, ctx.tls_base.element.out_index)
        out += bytes([OP_LOCAL_GET, 0]) + i32_const(0) + i32_const(seg.size)
        out += bytes([MISC, MEMORY_INIT]) + encode_u32(seg.index) + b"\x00"
    from .layout import output_index
    for fn in (ctx.apply_tls_relocs, ctx.apply_global_tls_relocs):
        if fn is not None:
            out += bytes([OP_CALL]) + encode_u32(output_index(fn))
    out.append(OP_END)
    return bytes(out)
