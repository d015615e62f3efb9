"""The ``dlopen``/``dlsym`` lookup table, laid out in memory as wit-component lays it out.

The table sits right above the stack. For each dl-openable library (input order) come its name,
then the names of its exports (sorted), each padded to 4 bytes; then that library's symbol
array, sorted by name, of 12-byte entries (name length, name address, address); after all
libraries, the library array, sorted by name, of 16-byte entries (name length, name address,
symbol count, symbol array address); last, the 8-byte root: library count, library array
address. ``__wasm_set_libraries`` in any library receives the root's address.

A function's address is a table slot, from ``table_base`` up in the order the symbols are
written; the init module's first element segment fills those slots. A data symbol's address is
only known at instantiation (its library's memory base plus the exported offset), so its entry
is written as 0 and the init module stores the sum there. Tags get a name but no entry (the
symbol count still includes them, as in wit-component).
"""
from __future__ import annotations

import struct

from ..binary.types import FUNC, GLOBAL


def _padded(buffer: bytearray, raw: bytes) -> None:
    buffer += raw
    buffer += b"\0" * (-len(raw) % 4)


class DlOpenTable:
    def __init__(self, libs, table_base: int, memory_base: int):
        self.table_base = table_base
        self.memory_base = memory_base
        self.functions: list[tuple[str, str]] = []          # (library, export), slot order
        self.data_addresses: list[tuple[str, str, int]] = []  # (library, export, where)
        buf = bytearray()
        libraries = []
        for lib in libs:
            if not lib.dl_openable:
                continue
            lib_name_at = memory_base + len(buf)
            _padded(buf, lib.name.encode())
            symbols = []
            for name in sorted(lib.exports):
                key = lib.exports[name]
                name_at = memory_base + len(buf)
                _padded(buf, name.encode())
                if key.kind == FUNC:
                    symbols.append((name, name_at, table_base + len(self.functions)))
                    self.functions.append((lib.name, name))
                elif key.kind == GLOBAL:
                    symbols.append((name, name_at, None))
            symbols_at = memory_base + len(buf)
            for name, name_at, address in symbols:
                buf += struct.pack("<II", len(name.encode()), name_at)
                if address is None:
                    self.data_addresses.append((lib.name, name, memory_base + len(buf)))
                    address = 0
                buf += struct.pack("<I", address)
            libraries.append((lib.name, lib_name_at, len(lib.exports), symbols_at))
        libraries.sort()
        array_at = memory_base + len(buf)
        for name, name_at, count, symbols_at in libraries:
            buf += struct.pack("<IIII", len(name.encode()), name_at, count, symbols_at)
        self.libraries_address = memory_base + len(buf)
        buf += struct.pack("<II", len(libraries), array_at)
        self.buffer = bytes(buf)
