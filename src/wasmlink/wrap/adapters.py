"""Adapters: core modules that `component new` instantiates beside the main module to implement
an interface the main module imports in an older shape (the WASI preview1 adapters turn
`wasi_snapshot_preview1` calls into WASI 0.2 imports; jco ships the command and reactor ones).

An adapter carries its own world (its `component-type` section): what it imports becomes the
component's imports, what it exports at the WIT level (`wasi:cli/run`) the component's exports.
Its core imports are of three kinds: `env` `memory` (the main module's memory: adapters own no
memory), `__main_module__` exports of the main module (`_start`, `cabi_realloc`), and lowered
world functions. Two things it expects of the tool that bundles it, done here as wit-component
does them, without renumbering anything in the adapter:

- its `__stack_pointer` global starts at 0: a start function is appended that allocates a
  64 KiB stack through the realloc it imports, and points the global at its top (moving its
  `allocation_state` global through "stack allocating" to "stack allocated", which the
  adapter checks before it allocates its state);
- when the main module has no `cabi_realloc` (a plain C program has none), the adapter's import
  of it is satisfied by a tiny module that allocates whole pages with `memory.grow`.
"""
from __future__ import annotations

from .._native.leb128 import decode_u32, encode_s32, encode_u32
from ..binary.encode import encode_name, encode_types
from ..binary.module import Module
from ..binary.names import decode_names
from ..binary.types import FUNC, GLOBAL, I32, FuncType

STACK_SIZE = 65536
STACK_ALLOCATING, STACK_ALLOCATED = 1, 2      # the adapter's AllocationState values
MAIN_MODULE = "__main_module__"
OP_I32_CONST, OP_CALL, OP_I32_ADD, OP_GLOBAL_SET, OP_END = 0x41, 0x10, 0x6A, 0x24, 0x0B
REALLOC_TYPE = FuncType((I32, I32, I32, I32), (I32,))


def _section(section_id: int, payload: bytes) -> bytes:
    return bytes([section_id]) + encode_u32(len(payload)) + payload


def _vec_append(payload: bytes, item: bytes) -> bytes:
    """A vector section's payload with one more item."""
    count, at = decode_u32(payload, 0)
    return encode_u32(count + 1) + payload[at:] + item


def named_global(module: Module, data, wanted: str) -> int | None:
    """The index of the adapter's global called ``wanted``, by the name section."""
    section = module.custom("name")
    if section is None:
        return None
    try:
        names = decode_names(data, section.contents, section.end - section.contents)
    except Exception:                    # a bad name section only means: no stack to set up
        return None
    globals_ = names.global_names
    if globals_ is None:
        return None
    for index, name in globals_:
        if name == wanted:
            return index
    return None


def inject_stack(data) -> bytes:
    """The adapter with a start function that allocates its stack, when it needs one: a
    `__stack_pointer` global, no start function yet, and a `__main_module__` `cabi_realloc`
    import to allocate with. Anything else: the adapter unchanged."""
    data = bytes(data)
    module = Module(data, 0, len(data))
    if module.start_function is not None:
        return data
    sp = named_global(module, data, "__stack_pointer")
    state = named_global(module, data, "allocation_state")
    if sp is None:
        return data
    imported_globals = [i for i in module.imports if i.kind == GLOBAL]
    if sp < len(imported_globals):
        return data
    functions = [i for i in module.imports if i.kind == FUNC]
    realloc = next((n for n, i in enumerate(functions)
                    if (i.module, i.name) == (MAIN_MODULE, "cabi_realloc")), None)
    if realloc is None:
        return data
    types = list(module.types)
    start_type = FuncType((), ())
    type_index = types.index(start_type) if start_type in types else len(types)
    new_function = len(functions) + len(module.functions)
    body = bytearray(b"\x00")
    # the preview1 adapter tracks its allocations: stack allocating, then allocated
    if state is not None:
        body += bytes([OP_I32_CONST]) + encode_s32(STACK_ALLOCATING)
        body += bytes([OP_GLOBAL_SET]) + encode_u32(state)
    for v in (0, 0, 16, STACK_SIZE):         # realloc(null, 0, align 16, 64 KiB)
        body += bytes([OP_I32_CONST]) + encode_s32(v)
    body += bytes([OP_CALL]) + encode_u32(realloc)
    body += bytes([OP_I32_CONST]) + encode_s32(STACK_SIZE) + bytes([OP_I32_ADD])
    body += bytes([OP_GLOBAL_SET]) + encode_u32(sp)
    if state is not None:
        body += bytes([OP_I32_CONST]) + encode_s32(STACK_ALLOCATED)
        body += bytes([OP_GLOBAL_SET]) + encode_u32(state)
    body.append(OP_END)
    # the start section goes after the last of the sections that must precede it
    standard = [n for n, sec in enumerate(module.sections) if sec.id in (1, 2, 3, 4, 5, 13, 6, 7)]
    start_after = standard[-1] if standard else -1
    out = bytearray(data[:8])
    if start_after < 0:
        out += _section(8, encode_u32(new_function))
    for n, sec in enumerate(module.sections):
        payload = data[sec.payload:sec.end]
        if sec.id == 1 and type_index == len(types):
            out += _section(1, _vec_append(payload, encode_types([start_type])[1:]))
        elif sec.id == 3:
            out += _section(3, _vec_append(payload, encode_u32(type_index)))
        elif sec.id == 10:
            out += _section(10, _vec_append(payload, encode_u32(len(body)) + bytes(body)))
        else:
            out += data[sec.start:sec.end]
        if n == start_after:
            out += _section(8, encode_u32(new_function))
    return bytes(out)


def realloc_via_memory_grow() -> bytes:
    """A module importing `env` `memory` and exporting `cabi_realloc` that hands out fresh
    pages with `memory.grow` (no reallocation of old blocks: adapters only allocate)."""
    # (func (param old old_size align size) (result i32)
    #   local.get 0 if unreachable end                      ;; only fresh allocations
    #   local.get 3 i32.const 65535 i32.add i32.const 16 i32.shr_u   ;; pages
    #   memory.grow local.tee 4 i32.const -1 i32.eq if unreachable end
    #   local.get 4 i32.const 16 i32.shl)
    code = bytes([
        0x01, 0x01, 0x7F,                                    # one i32 local
        0x20, 0x00, 0x04, 0x40, 0x00, 0x0B,
        0x20, 0x03, 0x41]) + encode_s32(65535) + bytes([0x6A, 0x41, 0x10, 0x76,
        0x40, 0x00, 0x22, 0x04, 0x41, 0x7F, 0x46, 0x04, 0x40, 0x00, 0x0B,
        0x20, 0x04, 0x41, 0x10, 0x74, 0x0B])
    out = bytearray(b"\0asm\x01\0\0\0")
    out += _section(1, encode_types([REALLOC_TYPE]))
    out += _section(2, encode_u32(1) + encode_name("env") + encode_name("memory") + b"\x02\x00\x00")
    out += _section(3, b"\x01\x00")
    out += _section(7, encode_u32(1) + encode_name("cabi_realloc") + b"\x00\x00")
    out += _section(10, b"\x01" + encode_u32(len(code)) + code)
    return bytes(out)


def blank_dead_functions(data, live: set[int]) -> bytes:
    """The module with the body of every function outside ``live`` (indexes, imports first)
    replaced by `unreachable`: nothing is renumbered, dead code stops referring to what the
    component leaves out (or to a memory an adapter never gets), and the adapter shrinks."""
    data = bytes(data)
    module = Module(data, 0, len(data))
    code = module.code
    if code is None:
        return data
    n_imported = sum(1 for i in module.imports if i.kind == FUNC)
    trap = encode_u32(3) + b"\x00\x00\x0b"          # no locals, unreachable, end
    entries = []
    for i in range(len(code.entries)):
        if n_imported + i in live:
            entries.append(data[code.entries[i]:code.bodies[i] + code.sizes[i]])
        else:
            entries.append(trap)
    section = module.section(10)
    payload = encode_u32(len(entries)) + b"".join(entries)
    return data[:section.start] + _section(10, payload) + data[section.end:]
