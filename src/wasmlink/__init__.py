"""wasmlink: a fast WebAssembly linking toolchain.

The public API. Everything here is plain Python over the native core; submodules are imported
when a function needs them, so ``import wasmlink`` stays cheap (no numpy, no wasmtime).

    >>> import wasmlink
    >>> binary = wasmlink.read("libc.so")          # Module, Component or Archive, lazily decoded
    >>> report = wasmlink.inspect("libc.so")       # the dict that `wasmlink inspect --json` prints
"""
from __future__ import annotations

from .errors import ParseError, UnsupportedError, UsageError, WasmlinkError

__version__ = "0.1.0"
__all__ = ["read", "inspect", "encode_module", "write_module", "WasmlinkError", "ParseError",
           "UnsupportedError", "UsageError", "__version__"]


def read(path):
    """Map ``path`` and return a lazy view of it: a Module, a Component or an Archive.

    The view keeps the file mapped; raises ParseError (naming the file and the offset) if the
    file is not a well-formed module, component or archive."""
    from .binary.open import open_binary
    return open_binary(path)


def inspect(path) -> dict:
    """What ``wasmlink inspect --json`` reports for one file (see README: inspect JSON)."""
    from .report import inspect_file
    return inspect_file(path)


def encode_module(module) -> bytes:
    """Encode a Module back to bytes (decode → encode is byte-identical on well-formed input)."""
    from .binary.encode import encode_module as _encode
    return _encode(module)


def write_module(module, path) -> None:
    """Encode a Module into ``path`` atomically (temporary file, then rename)."""
    from .binary.encode import module_chunks
    from .output import write_atomically
    write_atomically(path, module_chunks(module))
