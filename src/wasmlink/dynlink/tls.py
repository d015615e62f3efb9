"""wasip3 thread-local storage across libraries: the tables main keeps, and the TLS-base
accessors it exports to each library.

On wasip3 a library reaches its thread context through functions rather than globals: its
stack pointer through ``__wasm_get/set_stack_pointer`` (the component's context slot 0: the
component layer lowers them to ``context.get/set i32 0``) and its TLS base through
``__wasm_get/set_tls_base``. With several libraries each has a TLS block of its own, so, as
wit-component lays it out, main keeps (right after the dlopen table):

- ``main_thread_tls_base``: one pointer per library with TLS (one exporting
  ``__wasm_library_tls_info``), in input order; the main thread's TLS bases, zero until each
  library's ``__wasm_init_tls`` sets its own;
- when a library imports ``GOT.mem __wasm_program_tls_info`` (libc, when it may spawn threads):
  ``library_info``, the address of each such library's ``__wasm_library_tls_info`` (the init
  module stores them), then ``__wasm_program_tls_info`` itself,
  ``{num_libraries, library_info, main_thread_tls_base}`` (a data segment of the init module).
  libc allocates a new thread's blocks from it and points context slot 1 at that thread's
  table of bases.

Main exports ``NAME:__wasm_get_tls_base``/``NAME:__wasm_set_tls_base`` for each library that
imports them: a load or store at the library's slot in the table of bases. If some library
imports ``[thread-new-indirect-v0]`` (threads may exist) the table is the one context slot 1
points at, the main thread's while that is still 0 (the setter's fallback); otherwise it is
``main_thread_tls_base``. A library without TLS of its own that imports them gets accessors
that trap.
"""
from __future__ import annotations

from .emit import i32_const, u32
from .libraries import TLS_BASE_INTRINSICS

CONTEXT_GET_1 = "[context-get-1]"
UNREACHABLE = b"\x00"


def _store(offset: int) -> bytes:
    return b"\x36\x02" + u32(offset)            # i32.store align=2


def _load(offset: int) -> bytes:
    return b"\x28\x02" + u32(offset)            # i32.load align=2


class TlsLayout:
    """Where the TLS tables live; ``end`` is the first address after them."""

    def __init__(self, libs, memory: int):
        needs_base = any(lib.needs_tls_base() for lib in libs)
        self.needs_program_info = any(lib.needs_program_tls_info for lib in libs)
        self.indirect = needs_base and any(lib.uses_thread_new_indirect for lib in libs)
        self.slots: dict[str, int] = {}
        self.main_thread_tls_base = self.library_info = self.program_info = 0
        self.buffer = b""
        self.end = memory
        if not needs_base and not self.needs_program_info:
            return                                # a program without wasip3 TLS
        with_tls = [lib.name for lib in libs if lib.has_library_tls_info]
        self.slots = {name: slot for slot, name in enumerate(with_tls)}
        count = len(with_tls)
        memory = (memory + 3) & -4
        self.main_thread_tls_base = memory
        memory += 4 * count
        if self.needs_program_info:
            self.library_info = memory
            memory += 4 * count
            self.program_info = memory
            memory += 12
            self.buffer = b"".join(v.to_bytes(4, "little") for v in
                                   (count, self.library_info, self.main_thread_tls_base))
        self.end = memory

    def accessor(self, library: str, intrinsic: str, context_get: int | None):
        """(locals, body) of main's ``library:intrinsic`` (without the final ``end``);
        ``context_get`` is main's function index of ``[context-get-1]`` (indirect layouts)."""
        slot = self.slots.get(library)
        if slot is None:
            return b"\x00", UNREACHABLE
        offset = 4 * slot
        base = i32_const(self.main_thread_tls_base)
        if intrinsic == "__wasm_get_tls_base":
            table = base if context_get is None else b"\x10" + u32(context_get)
            return b"\x00", table + _load(offset)
        assert intrinsic in TLS_BASE_INTRINSICS, intrinsic
        if context_get is None:
            return b"\x00", base + b"\x20\x00" + _store(offset)
        # (local 1 i32) = context slot 1; if 0 (the main thread before libc set it up) the
        # store goes to main_thread_tls_base
        return (b"\x01\x01\x7f",
                b"\x10" + u32(context_get) + b"\x22\x01" + b"\x45" + b"\x04\x40"
                + base + b"\x20\x00" + _store(offset)
                + b"\x05" + b"\x20\x01" + b"\x20\x00" + _store(offset) + b"\x0b")
