"""Functions the linker writes itself: `__wasm_call_ctors`, command-export wrappers, stubs for
weak undefined functions. Each is an InputChunk whose ``body`` holds its encoded entry (size
field and body), with relocation-free code: the indexes it calls are final when it is built.
"""
from __future__ import annotations

from .._native.leb128 import encode_u32
from ..binary.types import FuncType
from .input_files import InputChunk

NULL_SIGNATURE = FuncType((), ())
OP_CALL, OP_DROP, OP_END, OP_LOCAL_GET, OP_UNREACHABLE = 0x10, 0x1A, 0x0B, 0x20, 0x00


def synthetic_function(name: str, signature: FuncType) -> InputChunk:
    c = InputChunk(None, "function", -1, 0, 0)
    c.symbol_name = name
    c.signature = signature
    c.live = False
    return c


def trap_stub(name: str, signature: FuncType) -> InputChunk:
    """A function whose body is `unreachable`: what calls to a missing function reach."""
    stub = synthetic_function(name, signature)
    set_body(stub, trap_body())
    return stub


def set_body(chunk: InputChunk, code: bytes) -> None:
    """``code`` is the body without its size: local declarations, instructions, end."""
    chunk.body = encode_u32(len(code)) + code
    chunk.start, chunk.end = 0, len(chunk.body)


def call_ctors_body(init_calls) -> bytes:
    """init_calls: (function index, number of results to drop) in call order."""
    out = bytearray(b"\x00")                       # no locals
    for index, results in init_calls:
        out += bytes([OP_CALL]) + encode_u32(index)
        out += bytes([OP_DROP]) * results
    out.append(OP_END)
    return bytes(out)


def command_export_body(call_ctors: int | None, target: int, params: int,
                        call_dtors: int | None) -> bytes:
    out = bytearray(b"\x00")
    if call_ctors is not None:
        out += bytes([OP_CALL]) + encode_u32(call_ctors)
    for i in range(params):
        out += bytes([OP_LOCAL_GET]) + encode_u32(i)
    out += bytes([OP_CALL]) + encode_u32(target)
    if call_dtors is not None:
        out += bytes([OP_CALL]) + encode_u32(call_dtors)
    out.append(OP_END)
    return bytes(out)


def trap_body() -> bytes:
    return b"\x00" + bytes([OP_UNREACHABLE, OP_END])
