"""The relocatable object that carries a `component-type:*` custom section into a link
(`component embed --object`), the way wit-bindgen's `<world>_component_type.o` does.

A linker copies the custom sections of every object it loads into its output, so the section
reaches the linked module as long as the object is loaded. Given on the command line it always
is; packed into an archive it is loaded only when a symbol it defines is needed. So, as
wit-bindgen does, the object defines one function, `__component_type_object_force_link_<world>`,
that generated bindings reference to pull the object in. The object is otherwise empty: a type,
one function with an empty body, the `linking` section (version 2) naming that function, and the
custom section itself.
"""
from __future__ import annotations

from .._native.leb128 import encode_u32
from ..binary.encode import encode_name

LINKING_VERSION = 2
WASM_SYMBOL_TABLE = 8
SYMTAB_FUNCTION = 0
WASM_SYM_VISIBILITY_HIDDEN = 0x4


def force_link_symbol(world: str) -> str:
    """The symbol bindings reference to keep the object: the world's name as a C identifier."""
    ident = "".join(c if c.isalnum() else "_" for c in world.replace("-", "_"))
    return f"__component_type_object_force_link_{ident}"


def _section(section_id: int, payload: bytes) -> bytes:
    return bytes([section_id]) + encode_u32(len(payload)) + payload


def _custom(name: str, payload: bytes) -> bytes:
    return _section(0, encode_name(name) + payload)


def component_type_object(section_name: str, payload: bytes, world: str) -> bytes:
    """A wasm32 relocatable object holding the custom section ``section_name`` (its contents
    ``payload``) and defining the force-link function for ``world``."""
    types = _section(1, b"\x01\x60\x00\x00")                 # one type: [] -> []
    functions = _section(3, b"\x01\x00")                     # one function of that type
    code = _section(10, b"\x01\x02\x00\x0b")                 # its body: no locals, end
    symbol = (bytes([SYMTAB_FUNCTION]) + encode_u32(WASM_SYM_VISIBILITY_HIDDEN)
              + encode_u32(0) + encode_name(force_link_symbol(world)))
    symbol_table = encode_u32(1) + symbol
    linking = (encode_u32(LINKING_VERSION) + bytes([WASM_SYMBOL_TABLE])
               + encode_u32(len(symbol_table)) + symbol_table)
    return (b"\0asm\x01\0\0\0" + types + functions + code + _custom(section_name, payload)
            + _custom("linking", linking))
