"""Mapping input files into memory: the first step of every command.

Inputs are mapped read-only (``mmap``), never read into Python bytes, so a 10 MB libpython or a
100 MB store costs page-cache pages rather than heap, and every view handed to the native core
is a zero-copy window into the mapping. Empty files cannot be mapped; they become an empty
buffer, which the scanners then reject with a proper ParseError.
"""
from __future__ import annotations

import mmap
import os

from ..errors import WasmlinkError

WASM_MAGIC = b"\0asm"
ARCHIVE_MAGIC = b"!<arch>\n"
THIN_ARCHIVE_MAGIC = b"!<thin>\n"
BITCODE_MAGICS = (b"BC\xc0\xde", b"\xde\xc0\x17\x0b")


class MappedFile:
    """A read-only mapping of one file. ``data`` is a memoryview of bytes (format 'B')."""

    __slots__ = ("path", "data", "_map", "_file")

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        try:
            self._file = open(self.path, "rb")
        except OSError as e:
            raise WasmlinkError(f"cannot open: {e.strerror}", path=self.path) from None
        try:
            size = os.fstat(self._file.fileno()).st_size
            if size == 0:
                self._map = None
                self.data = memoryview(b"")
            else:
                self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
                self.data = memoryview(self._map)
        except (OSError, ValueError) as e:
            self._file.close()
            raise WasmlinkError(f"cannot map: {e}", path=self.path) from None

    def __len__(self) -> int:
        return len(self.data)

    def advise_sequential(self) -> None:
        """Tell the kernel the whole file will be read front to back (hashing, copying)."""
        if self._map is not None and hasattr(mmap, "MADV_SEQUENTIAL"):
            self._map.madvise(mmap.MADV_SEQUENTIAL)
            self._map.madvise(mmap.MADV_WILLNEED)

    def close(self) -> None:
        # views handed out keep the buffer exported; release ours, and let mmap close when the
        # last view is gone rather than fail with "cannot close exported pointers exist"
        self.data.release()
        if self._map is not None:
            try:
                self._map.close()
            except BufferError:
                pass
        self._file.close()

    def __enter__(self) -> "MappedFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def detect_kind(data) -> str:
    """'module', 'component', 'archive', 'thin-archive', 'bitcode' or 'unknown', from the header.

    Only the first eight bytes are looked at: whether the rest is well formed is the scanner's
    business, so a truncated module is still a 'module' that then fails to scan."""
    head = bytes(data[:8])
    if head.startswith(WASM_MAGIC):
        if len(head) >= 8 and head[6:8] == b"\x01\x00":
            return "component"
        return "module"
    if head == ARCHIVE_MAGIC:
        return "archive"
    if head == THIN_ARCHIVE_MAGIC:
        return "thin-archive"
    if head[:4] in BITCODE_MAGICS:
        return "bitcode"
    return "unknown"
