"""`component embed --dummy`: a core module that does nothing but has exactly the imports and
exports a world asks of an implementation (wasmlink.wit.core_names), every function body a
trap. It is what `component new` can be tried on before any real code exists, and what
bindings generators' tests start from."""
from __future__ import annotations

from .._native.leb128 import encode_u32
from ..binary.encode import encode_name, encode_types
from ..wit.core_names import core_items

OP_UNREACHABLE, OP_END = 0x00, 0x0B


def _section(section_id: int, payload: bytes) -> bytes:
    return bytes([section_id]) + encode_u32(len(payload)) + payload


def _vec(items: list[bytes]) -> bytes:
    return encode_u32(len(items)) + b"".join(items)


def dummy_module(resolve, world_id: int, scheme: str = "legacy") -> bytes:
    items = [i for i in core_items(resolve, world_id, scheme) if not i.optional]
    types: dict = {}

    def type_index(sig) -> int:
        return types.setdefault(sig, len(types))

    imports = [i for i in items if i.direction == "import"]
    functions = [i for i in items if i.direction == "export" and i.kind == "func"]
    import_entries = [encode_name(i.module) + encode_name(i.name) + b"\x00"
                      + encode_u32(type_index(i.signature)) for i in imports]
    function_types = [encode_u32(type_index(f.signature)) for f in functions]
    exports = []
    index = {id(f): len(imports) + n for n, f in enumerate(functions)}
    for i in items:
        if i.direction != "export":
            continue
        if i.kind == "memory":
            exports.append(encode_name(i.name) + b"\x02" + encode_u32(0))
        else:
            exports.append(encode_name(i.name) + b"\x00" + encode_u32(index[id(i)]))
    body = b"\x00" + bytes([OP_UNREACHABLE, OP_END])
    out = bytearray(b"\0asm\x01\0\0\0")
    out += _section(1, encode_types(list(types)))
    if import_entries:
        out += _section(2, _vec(import_entries))
    out += _section(3, _vec(function_types))
    out += _section(5, _vec([b"\x00" + encode_u32(0)]))          # one memory, 0 pages
    out += _section(7, _vec(exports))
    out += _section(10, _vec([encode_u32(len(body)) + body] * len(functions)))
    return bytes(out)
