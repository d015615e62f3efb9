"""Laying out the output: data segments in memory, the stack and heap, and every index space
(functions, globals, tables, tags, types, table slots), in exactly wasm-ld-22's order.

- Output segments: live input segments grouped by name (`.rodata.*` into `.rodata`, `.data.*`
  into `.data`, `.bss.*` into `.bss`, TLS into `.tdata`, others keep their name; all of them
  keep their names with --no-merge-data-segments), ordered `.tdata` < `.rodata` < `.data` <
  others < `.bss`, each input aligned within its output segment.
- Memory (stack first by default since LLVM 22): [stack][data from __global_base][heap], or
  with --no-stack-first [data from --global-base, default 1024][stack][heap]; 16-byte aligned
  stack and heap, whole 64 KiB pages.
- Indexes: imports first in each space; then synthetic functions and globals; then each
  object's definitions in object order.
"""
from __future__ import annotations

from ..binary.linking import SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL, SYMTAB_TABLE, SYMTAB_TAG

PAGE_SIZE = 65536
STACK_ALIGN = 16
HEAP_ALIGN = 16


def align(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


class OutputSegment:
    __slots__ = ("name", "inputs", "alignment", "size", "start_va", "index", "is_bss", "passive",
                 "head_offset")

    def __init__(self, name: str):
        self.name = name
        self.inputs = []
        self.alignment = 0
        self.size = 0
        self.start_va = 0
        self.index = 0
        self.is_bss = name.startswith(".bss")
        self.passive = False
        self.head_offset = 0     # file offset of its header in the data section (once written)

    def add(self, chunk) -> None:
        self.alignment = max(self.alignment, chunk.alignment)
        self.size = align(self.size, 1 << chunk.alignment)
        chunk.output_segment = self
        chunk.segment_offset = self.size
        self.size += chunk.size
        self.inputs.append(chunk)

    @property
    def is_tls(self) -> bool:
        return self.name == ".tdata" or self.name.startswith(".tdata") or self.name.startswith(".tbss")


def output_segment_name(chunk, merge: bool) -> str:
    if chunk.is_tls:
        return ".tdata"
    name = chunk.name
    if not merge:
        return name
    for prefix in (".text.", ".data.", ".bss.", ".rodata."):
        if name.startswith(prefix):
            return prefix[:-1]
    return name


def segment_order(name: str) -> int:
    if name.startswith(".tdata"):
        return 0
    if name.startswith(".rodata"):
        return 1
    if name.startswith(".data"):
        return 2
    if name.startswith(".bss"):
        return 4
    return 3


def create_output_segments(ctx) -> list[OutputSegment]:
    by_name: dict[str, OutputSegment] = {}
    segments = []
    merge = ctx.options.merge_data_segments
    for file in ctx.objects:
        for chunk in file.segments:
            if not chunk.live or chunk.discarded:
                continue
            name = output_segment_name(chunk, merge)
            # -r: a COMDAT member stays its own segment, for the final link to keep or drop
            alone = ctx.options.relocatable and chunk.comdat is not None
            seg = None if alone else by_name.get(name)
            if seg is None:
                seg = OutputSegment(name)
                if not alone:
                    by_name[name] = seg
                seg.passive = bool(ctx.options.shared_memory)
                segments.append(seg)
            seg.add(chunk)
    segments.sort(key=lambda s: segment_order(s.name))     # stable, as lld's stable_sort
    for i, s in enumerate(segments):
        s.index = i
        merge_segment_strings(s, ctx.options.optimize)
    return segments


def merge_segment_strings(seg: OutputSegment, optimize: int) -> None:
    """Replace the mergeable inputs of a segment by one merged chunk (where the first was)."""
    from .merge_strings import MergedStrings, should_merge_segment
    merged: list = []
    inputs = []
    for chunk in seg.inputs:
        if not should_merge_segment(chunk, optimize):
            inputs.append(chunk)
            continue
        target = next((m for m in merged if m.chunk.flags == chunk.flags
                       and m.chunk.alignment == chunk.alignment), None)
        if target is None:
            target = MergedStrings(seg.name, chunk.alignment, chunk.flags)
            merged.append(target)
            inputs.append(target.chunk)
        data_section = chunk.file.module.section(11)
        target.add(chunk, chunk.file.data, data_section.payload)
    if not merged:
        return
    for m in merged:
        m.finish()
    seg.inputs = []
    seg.size = 0
    seg.alignment = 0
    for chunk in inputs:
        seg.add(chunk)


def layout_memory(ctx) -> None:
    opts = ctx.options
    ptr = 0
    stack_size = opts.stack_size
    page_size = opts.page_size

    def place_stack():
        nonlocal ptr
        if ctx.is_pic or opts.relocatable:
            return
        ptr = align(ptr, STACK_ALIGN)
        if stack_size % STACK_ALIGN:
            ctx.diag.error(f"stack size must be {STACK_ALIGN}-byte aligned")
        ctx.set_data_symbol("__stack_low", ptr)
        ptr += stack_size
        ctx.stack_pointer_value = ptr
        ctx.set_data_symbol("__stack_high", ptr)

    if opts.stack_first:
        place_stack()
        if opts.global_base is not None:
            if opts.global_base < ptr:
                ctx.diag.error("--global-base cannot be less than stack size when --stack-first "
                               "is used")
                return
            ptr = opts.global_base
    else:
        ptr = 1024 if opts.global_base is None else opts.global_base
    ctx.set_data_symbol("__global_base", ptr)
    ctx.set_data_symbol("__table_base", opts.table_base)
    data_start = ptr
    ctx.set_data_symbol("__dso_handle", data_start)
    ctx.memory_align = 0
    for seg in ctx.segments:
        ctx.memory_align = max(ctx.memory_align, seg.alignment)
        ptr = align(ptr, 1 << seg.alignment)
        seg.start_va = ptr
        if seg.is_tls:
            ctx.tls_segment = seg
            if not opts.relocatable:
                from .threads import set_tls_globals
                set_tls_globals(ctx, seg)
            if ctx.tls_base is not None and not opts.shared_memory:
                ctx.tls_base_value = ptr
        ptr += seg.size
    if not opts.relocatable:
        from .threads import place_init_memory_flag
        ptr = place_init_memory_flag(ctx, ptr)
    ctx.set_data_symbol("__data_end", ptr)
    ctx.static_data_size = ptr - data_start
    if not opts.stack_first:
        place_stack()
    heap_base = ctx.symtab.find("__heap_base")
    if heap_base is not None and heap_base.synthetic:
        # aligned only when something uses it, as wasm-ld does
        ptr = align(ptr, HEAP_ALIGN)
        heap_base.va = ptr
    max_setting = 1 << 32
    if opts.initial_memory:
        check_memory_setting(ctx, "initial", opts.initial_memory, ptr, page_size, max_setting)
        ptr = opts.initial_memory
    ptr = align(ptr, page_size)
    ctx.memory_pages = ptr // page_size
    ctx.set_data_symbol("__heap_end", ptr)
    max_memory = 0
    if opts.max_memory:
        check_memory_setting(ctx, "maximum", opts.max_memory, ptr, page_size, max_setting)
        max_memory = opts.max_memory
    elif opts.no_growable_memory:
        max_memory = ptr
    if opts.shared_memory and max_memory == 0:
        max_memory = max_setting if ctx.is_pic else ptr
    ctx.memory_max_pages = max_memory // page_size if max_memory else None


def check_memory_setting(ctx, what: str, value: int, needed: int, page_size: int,
                         max_setting: int) -> None:
    """--initial-memory / --max-memory checks, in wasm-ld's words."""
    if value % page_size:
        ctx.diag.error(f"{what} memory must be {page_size}-byte aligned")
    if needed > value:
        ctx.diag.error(f"{what} memory too small, {needed} bytes needed")
    if value > max_setting:
        ctx.diag.error(f"{what} memory too large, cannot be greater than {max_setting}")


def data_address(sym) -> int:
    """The memory address of a data symbol (synthetic ones carry it themselves)."""
    if sym.va is not None:
        return sym.va
    chunk = sym.element
    if chunk is None:
        return 0                  # undefined weak data: address 0
    if chunk.merged_into is not None:
        from .merge_strings import merged_offset
        kept = chunk.merged_into.chunk
        return kept.output_segment.start_va + kept.segment_offset + merged_offset(chunk, sym.offset)
    seg = chunk.output_segment
    if seg is None:
        return 0
    return seg.start_va + chunk.segment_offset + sym.offset


def _number(elements, first: int, out: list, attr: str) -> int:
    """Give each live, kept element the next index (in ``attr``); returns the next free one."""
    n = first
    for element in elements:
        if element.live and not element.discarded:
            setattr(element, attr, n)
            out.append(element)
            n += 1
    return n


def assign_indexes(ctx) -> None:
    """Function, global, table and tag indexes: imports, then synthetic, then per object."""
    n = _number(ctx.synthetic_functions, len(ctx.imported_functions), ctx.functions,
                "function_index")
    for file in ctx.objects:
        n = _number(file.functions, n, ctx.functions, "function_index")
    g = _number(ctx.synthetic_globals, len(ctx.imported_globals) + len(ctx.got_imports),
                ctx.globals, "out_index")
    for file in ctx.objects:
        g = _number(file.globals, g, ctx.globals, "out_index")
    for sym in ctx.internal_got:          # GOT entries defined here follow the input globals
        sym.got_index = g
        g += 1
    t = len(ctx.imported_tags)
    for file in ctx.objects:
        t = _number(file.tags, t, ctx.tags, "out_index")
    n_tables = len(ctx.imported_tables)
    for file in ctx.objects:
        n_tables = _number(file.tables, n_tables, ctx.tables, "out_index")
    _number(ctx.synthetic_tables, n_tables, ctx.tables, "out_index")


def output_index(sym) -> int:
    """The output index of a function, global, table or tag symbol."""
    if sym.is_defined:
        e = sym.element
        if sym.kind == SYMTAB_FUNCTION:
            # a weak definition of -shared is also imported: calls go to the import
            return sym.index if sym.index >= 0 else e.function_index
        return e.out_index
    return sym.index


class TypeSection:
    """Function types, deduplicated, in first-registration order."""

    def __init__(self):
        self.types = []
        self.index: dict = {}

    def register(self, t) -> int:
        i = self.index.get(t)
        if i is None:
            i = self.index[t] = len(self.types)
            self.types.append(t)
        return i


KINDS_WITH_INDEXES = (SYMTAB_FUNCTION, SYMTAB_GLOBAL, SYMTAB_TABLE, SYMTAB_TAG)
DATA = SYMTAB_DATA
