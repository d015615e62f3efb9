"""The two small core modules that break the instantiation cycle of a component's core code,
the way wit-component breaks it.

A lowered import that passes strings or lists needs the main module's memory (and maybe its
`cabi_realloc`) as canonical options, but the main module needs the lowered function as an
import before it exists. So the component first instantiates a *shim* module: one export per
such import, each forwarding its arguments through `call_indirect` into a table the shim
exports (`$imports`). The main module is instantiated with the shim's functions; then the
imports are lowered with the main module's memory; then a *fixup* module, imported the lowered
functions and the shim's table, fills the table with an active element segment. Adapters use
the same shims for the functions they export to the main module.

The shim's exports are named "0", "1", ... in slot order; the fixup imports them from module
"actual" under the same names and the table from "shim" "$imports".
"""
from __future__ import annotations

from .._native.leb128 import encode_u32
from ..binary.encode import encode_name, encode_types
from ..binary.types import FUNCREF, I32, FuncType

TABLE_EXPORT = "$imports"
OP_LOCAL_GET, OP_I32_CONST, OP_CALL_INDIRECT, OP_END = 0x20, 0x41, 0x11, 0x0B


def _section(section_id: int, payload: bytes) -> bytes:
    return bytes([section_id]) + encode_u32(len(payload)) + payload


def _types_of(signatures: list[FuncType]) -> tuple[list[FuncType], list[int]]:
    """The distinct signatures in first-use order, and each slot's index among them."""
    distinct: dict[FuncType, int] = {}
    for sig in signatures:
        distinct.setdefault(sig, len(distinct))
    return list(distinct), [distinct[s] for s in signatures]


def _table_type(slots: int) -> bytes:
    return bytes([FUNCREF]) + b"\x01" + encode_u32(slots) + encode_u32(slots)


def _names(function_names: list[str]) -> bytes:
    body = encode_u32(len(function_names)) + b"".join(
        encode_u32(i) + encode_name(n) for i, n in enumerate(function_names))
    sub = b"\x01" + encode_u32(len(body)) + body
    return _section(0, encode_name("name") + sub)


def shim_module(signatures: list[FuncType], names: list[str] | None = None) -> bytes:
    """Slot i: export "i", a function of signature i that calls table[i] with its arguments."""
    types, type_of = _types_of(signatures)
    out = bytearray(b"\0asm\x01\0\0\0")
    out += _section(1, encode_types(types))
    out += _section(3, encode_u32(len(signatures)) + b"".join(encode_u32(t) for t in type_of))
    out += _section(4, b"\x01" + _table_type(len(signatures)))
    exports = [encode_name(str(i)) + b"\x00" + encode_u32(i) for i in range(len(signatures))]
    exports.append(encode_name(TABLE_EXPORT) + b"\x01" + encode_u32(0))
    out += _section(7, encode_u32(len(exports)) + b"".join(exports))
    bodies = []
    for slot, (sig, type_index) in enumerate(zip(signatures, type_of)):
        code = bytearray(b"\x00")                                   # no locals
        for i in range(len(sig.params)):
            code += bytes([OP_LOCAL_GET]) + encode_u32(i)
        code += bytes([OP_I32_CONST]) + _sleb32(slot)
        code += bytes([OP_CALL_INDIRECT]) + encode_u32(type_index) + b"\x00"
        code.append(OP_END)
        bodies.append(encode_u32(len(code)) + bytes(code))
    out += _section(10, encode_u32(len(bodies)) + b"".join(bodies))
    if names is not None:
        out += _names([f"indirect-{n}" for n in names])
    return bytes(out)


def fixup_module(signatures: list[FuncType]) -> bytes:
    """Imports slot i's real function as "actual" "i" and the shim's table, and fills the
    table with them from slot 0."""
    types, type_of = _types_of(signatures)
    out = bytearray(b"\0asm\x01\0\0\0")
    out += _section(1, encode_types(types))
    imports = [encode_name("actual") + encode_name(str(i)) + b"\x00" + encode_u32(t)
               for i, t in enumerate(type_of)]
    imports.append(encode_name("shim") + encode_name(TABLE_EXPORT) + b"\x01"
                   + _table_type(len(signatures)))
    out += _section(2, encode_u32(len(imports)) + b"".join(imports))
    elem = (b"\x00" + bytes([OP_I32_CONST]) + _sleb32(0) + bytes([OP_END])
            + encode_u32(len(signatures)) + b"".join(encode_u32(i) for i in range(len(signatures))))
    out += _section(9, b"\x01" + elem)
    return bytes(out)


def _sleb32(value: int) -> bytes:
    from .._native.leb128 import encode_s32
    return encode_s32(value)


__all__ = ["shim_module", "fixup_module", "TABLE_EXPORT", "FuncType", "I32"]
