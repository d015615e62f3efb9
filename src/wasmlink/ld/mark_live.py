"""--gc-sections: keep only what the roots reach through relocations (lld's MarkLive).

Roots: the entry symbol, every exported or no-strip symbol, `__wasm_call_dtors` when the
command-export wrappers will call it. Marking a symbol live makes its chunk live; a live chunk's
relocations make their symbols live. The first live symbol of an object also makes that
object's init functions and retained (RETAIN-flagged) segments live: nothing else refers to
them, since `__wasm_call_ctors` is synthesised later.

Without --gc-sections everything is live and this pass only marks the symbols.
"""
from __future__ import annotations

from ..binary.linking import SYMTAB_FUNCTION

TABLE_INDEX_TYPES = {1, 2, 18, 19}     # R_WASM_TABLE_INDEX_SLEB/I32/SLEB64/I64
TYPE_INDEX_LEB = 6


def mark_live(ctx) -> None:
    queue = []

    def enqueue(sym) -> None:
        if sym is None or sym.live:
            return
        sym.live = True
        file = sym.file
        if file is not None and not file.live and sym.is_defined and not sym.synthetic:
            file.live = True
            enqueue_init_functions(file)
            for seg in file.segments:
                if seg.is_retained:
                    enqueue_chunk(seg)
        element = sym.element if sym.is_defined else None
        if element is not None:
            enqueue_chunk(element)

    def enqueue_chunk(chunk) -> None:
        if chunk.live:
            return
        chunk.live = True
        if getattr(chunk, "file", None) is not None and hasattr(chunk, "start"):
            queue.append(chunk)

    def enqueue_init_functions(file) -> None:
        for f in file.linking.init_functions:
            s = file.symbols[f.symbol]
            if not getattr(s.element, "discarded", False):
                enqueue(s)

    if not ctx.options.gc_sections:
        for file in ctx.objects:
            file.live = True
            for group in (file.functions, file.segments, file.globals, file.tables, file.tags,
                          file.customs):
                for c in group:
                    if not c.discarded:
                        c.live = True
        for sym in ctx.symtab.symbols():
            sym.live = True
        for file in ctx.objects:
            for s in file.symbols:
                if s is not None:
                    s.live = True
        for c in ctx.synthetic_functions:
            c.live = True
        for g in ctx.synthetic_globals:
            g.live = True
        return

    if ctx.entry is not None:
        enqueue(ctx.entry)
    for sym in list(ctx.symtab.symbols()):
        if sym.is_no_strip or ctx.is_exported(sym):
            enqueue(sym)
    if ctx.call_dtors is not None:
        enqueue(ctx.call_dtors)
    if ctx.is_pic:
        # the loader calls a PIC module's constructors
        enqueue(ctx.call_ctors)
    for file in ctx.objects:
        # objects given on the command line are live from the start: their constructors run
        # and their retained segments stay, even if nothing refers to them
        if file.explicit and not file.live:
            file.live = True
            enqueue_init_functions(file)
            for seg in file.segments:
                if seg.is_retained:
                    enqueue_chunk(seg)
        # custom sections are always kept (debug info is pruned by tombstones, not gc)
        for c in file.customs:
            if not c.discarded:
                c.live = True
    while queue:
        chunk = queue.pop()
        file = chunk.file
        pairs = ctx.relocation_pairs(chunk)
        if pairs is None:
            continue
        symbols = file.symbols
        for t, i in pairs:       # each (type, symbol) once
            if t == TYPE_INDEX_LEB:
                continue
            sym = symbols[i]
            if t in TABLE_INDEX_TYPES and sym.kind == SYMTAB_FUNCTION and sym.is_stub:
                continue
            enqueue(sym)
    # any live init function needs `__wasm_call_ctors` to call it
    for file in ctx.objects:
        if any(file.symbols[f.symbol].live and not getattr(file.symbols[f.symbol].element,
                                                             "discarded", False)
               for f in file.linking.init_functions):
            ctx.call_ctors.live = True
            ctx.call_ctors.element.live = True
            break
    # locally defined symbols follow their chunks
    for file in ctx.objects:
        for s in file.symbols:
            if s is not None and not s.live and s.is_defined:
                e = s.element
                if e is not None and e.live:
                    s.live = True


def print_gc_sections(ctx) -> None:
    """--print-gc-sections: what gc removed, in wasm-ld's words and order (on stdout)."""
    import sys
    out = []
    for file in ctx.objects:
        for c in file.functions:
            if not c.live:
                out.append(f"removing unused section {file}:({c.symbol_name or c.index})")
        for c in file.segments:
            if not c.live:
                out.append(f"removing unused section {file}:({c.name})")
        for group in (file.globals, file.tags, file.tables):
            for e in group:
                if not e.live:
                    out.append(f"removing unused section {file}:({e.name})")
    for c in ctx.synthetic_functions:
        if not c.live:
            out.append(f"removing unused section {c.symbol_name}")
    for e in ctx.synthetic_globals + ctx.synthetic_tables:
        if not e.live:
            out.append(f"removing unused section {e.name}")
    if out:
        sys.stdout.write("\n".join(out) + "\n")
