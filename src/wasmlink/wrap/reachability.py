"""Which functions of a core module can run, starting from some of its exports: the liveness
half of wit-component's adapter GC, used by `component new` to leave out of the component the
imports an adapter has but the program never reaches (a hello world needs `wasi:cli/stdout`,
not `wasi:sockets`).

Function bodies are walked instruction by instruction (every opcode's immediates skipped, so
only real `call`, `return_call` and `ref.func` instructions count). Indirect calls are treated
conservatively: once live code calls through a table, every function an element segment puts in
a table is live. Nothing is rewritten: imports found dead are satisfied with trapping stubs.
"""
from __future__ import annotations

from .._native.leb128 import decode_s64, decode_u32
from ..binary.types import FUNC

CALLS = {0x10, 0x12}                 # call, return_call: a function index
INDIRECT = {0x11, 0x13, 0x14, 0x15}  # call_indirect, return_call_indirect, call_ref, return_call_ref
U32_ONE = {0x0C, 0x0D, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x07, 0x08, 0x09, 0x18,
           0xD4, 0xD6, 0x3F, 0x40, 0x14, 0x15}
BLOCKS = {0x02, 0x03, 0x04, 0x06}
MEMARG = set(range(0x28, 0x3F))
FC_IMMEDIATES = {8: 2, 9: 1, 10: 2, 11: 1, 12: 2, 13: 1, 14: 2, 15: 1, 16: 1, 17: 1}
FD_MEMARG = set(range(0, 12)) | {92, 93}
FD_MEMARG_LANE = set(range(84, 92))
FD_LANE = set(range(21, 35))


class _Cursor:
    __slots__ = ("data", "pos")

    def __init__(self, data, pos: int):
        self.data, self.pos = data, pos

    def u32(self) -> int:
        value, self.pos = decode_u32(self.data, self.pos)
        return value

    def s64(self) -> int:
        value, self.pos = decode_s64(self.data, self.pos)
        return value

    def byte(self) -> int:
        b = self.data[self.pos]
        self.pos += 1
        return b

    def memarg(self) -> None:
        align = self.u32()
        if align & 0x40:            # multi-memory: a memory index follows
            self.u32()
        self.s64()                  # offset (u64 for memory64; the LEB reads the same)

    def blocktype(self) -> None:
        b = self.data[self.pos]
        if b == 0x40 or 0x6F <= b <= 0x7F or b in (0x63, 0x64):
            self.pos += 1
            if b in (0x63, 0x64):   # (ref null? ht)
                self.s64()
        else:
            self.s64()              # a type index, as s33


def references(data, start: int, end: int) -> tuple[set[int], bool]:
    """(functions called or referenced, whether it calls indirectly) of one function body
    ``data[start:end]`` (its locals first)."""
    c = _Cursor(data, start)
    for _ in range(c.u32()):        # local declarations
        c.u32()
        c.blocktype()
    called: set[int] = set()
    indirect = False
    while c.pos < end:
        op = c.byte()
        if op in CALLS or op == 0xD2:
            called.add(c.u32())
        elif op in INDIRECT:
            indirect = True
            c.u32()
            if op in (0x11, 0x13):
                c.u32()
        elif op in U32_ONE:
            c.u32()
        elif op in BLOCKS:
            c.blocktype()
        elif op in MEMARG:
            c.memarg()
        elif op == 0x0E:            # br_table
            for _ in range(c.u32() + 1):
                c.u32()
        elif op == 0x1C:            # select with types
            for _ in range(c.u32()):
                c.blocktype()
        elif op == 0x41 or op == 0x42:
            c.s64()
        elif op == 0x43:
            c.pos += 4
        elif op == 0x44:
            c.pos += 8
        elif op == 0xD0:            # ref.null heaptype
            c.s64()
        elif op == 0x1F:            # try_table blocktype vec(catch)
            c.blocktype()
            for _ in range(c.u32()):
                kind = c.byte()
                if kind in (0, 1):
                    c.u32()
                c.u32()
        elif op == 0xFC:
            sub = c.u32()
            for _ in range(FC_IMMEDIATES.get(sub, 0)):
                c.u32()
        elif op == 0xFD:
            sub = c.u32()
            if sub in FD_MEMARG:
                c.memarg()
            elif sub in FD_MEMARG_LANE:
                c.memarg()
                c.pos += 1
            elif sub in (12, 13):
                c.pos += 16
            elif sub in FD_LANE:
                c.pos += 1
        elif op == 0xFE:
            sub = c.u32()
            if sub == 0x03:
                c.pos += 1
            else:
                c.memarg()
        elif op == 0xFB:
            raise ValueError("GC instructions are not walked")
    return called, indirect


def live_functions(module, data, roots) -> set[int]:
    """Function indexes (imports first) reachable from ``roots`` (export names or indexes)."""
    exports = {e.name: e.index for e in module.exports if e.kind == FUNC}
    n_imported = sum(1 for i in module.imports if i.kind == FUNC)
    code = module.code
    table_functions: set[int] = set()
    for seg in module.elements:
        for item in seg.functions or ():
            table_functions.add(item)
        for expr in seg.exprs or ():
            if expr[:1] == b"\xd2":
                table_functions.add(decode_u32(expr, 1)[0])
    stack = [exports[r] if isinstance(r, str) else r for r in roots
             if isinstance(r, int) or r in exports]
    if module.start_function is not None:
        stack.append(module.start_function)
    live: set[int] = set()
    tables_added = False
    while stack:
        f = stack.pop()
        if f in live:
            continue
        live.add(f)
        if f < n_imported:
            continue
        start, end = _body_range(code, f - n_imported)
        called, indirect = references(data, start, end)
        stack.extend(called)
        if indirect and not tables_added:
            tables_added = True
            stack.extend(table_functions)
    return live


def _body_range(code, index: int) -> tuple[int, int]:
    """The body of defined function ``index`` (after its size field), as file offsets."""
    return code.bodies[index], code.bodies[index] + code.sizes[index]
