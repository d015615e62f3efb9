"""A cursor over a window of bytes, for the Python-side section decoders.

Every read checks its bounds and raises ParseError with the file-absolute offset and what was
being read; vector counts are checked against the bytes left before anything is allocated, so a
lying count costs nothing. The LEB128 work itself is done by the native core.
"""
from __future__ import annotations

from .._native.leb128 import decode_s32, decode_s64, decode_u32, decode_u64
from .._native.scan import validate_utf8
from ..errors import ParseError


class Reader:
    """Reads ``data[pos:end]``; ``data`` is the whole mapped file, so offsets are absolute."""

    __slots__ = ("data", "pos", "end", "context")

    def __init__(self, data, pos: int = 0, end: int | None = None, context: str | None = None):
        # a memoryview slices in O(1); slicing bytes would copy the file on every read
        self.data = data if isinstance(data, memoryview) else memoryview(data)
        self.pos = pos
        self.end = len(data) if end is None else end
        self.context = context

    def error(self, message: str, offset: int | None = None) -> ParseError:
        return ParseError(message, self.pos if offset is None else offset, context=self.context)

    def _leb(self, decode, what: str):
        start = self.pos
        try:
            value, pos = decode(self.data[: self.end], start)
        except ParseError as e:
            e.context = self.context
            e.message = f"{e.message} (reading {what})" if "reading" not in e.message else e.message
            raise
        self.pos = pos
        return value

    def u32(self, what: str = "u32") -> int:
        # most counts and indexes fit one byte: read those here, the rest natively
        pos = self.pos
        if pos < self.end:
            b = self.data[pos]
            if b < 0x80:
                self.pos = pos + 1
                return b
        return self._leb(decode_u32, what)

    def s32(self, what: str = "s32") -> int:
        pos = self.pos
        if pos < self.end:
            b = self.data[pos]
            if b < 0x80:
                self.pos = pos + 1
                return b - 0x80 if b & 0x40 else b
        return self._leb(decode_s32, what)

    def u64(self, what: str = "u64") -> int:
        return self._leb(decode_u64, what)

    def s64(self, what: str = "s64") -> int:
        return self._leb(decode_s64, what)

    def u32_width(self, what: str = "u32") -> tuple[int, int]:
        """A u32 and how many bytes it took (to keep padded encodings on re-encode)."""
        start = self.pos
        value = self.u32(what)
        return value, self.pos - start

    def byte(self, what: str = "byte") -> int:
        if self.pos >= self.end:
            raise self.error(f"unexpected end of input: expected {what}")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def fixed(self, size: int, what: str = "bytes") -> int:
        """Skip ``size`` bytes and return where they start."""
        if size > self.end - self.pos:
            raise self.error(f"unexpected end of input: {what} needs {size} bytes, "
                             f"{self.end - self.pos} left")
        start = self.pos
        self.pos += size
        return start

    def u32_le(self, what: str = "u32") -> int:
        start = self.fixed(4, what)
        return int.from_bytes(self.data[start:start + 4], "little")

    def bytes_(self, size: int, what: str = "bytes") -> bytes:
        start = self.fixed(size, what)
        return bytes(self.data[start:start + size])

    def name(self, what: str = "name") -> str:
        start = self.pos
        size = self.u32(f"{what} length")
        if size > self.end - self.pos:
            raise self.error(f"{what} length {size} runs past the end ({self.end - self.pos} "
                             f"bytes left)", start)
        begin = self.pos
        try:
            validate_utf8(self.data, begin, size, what)
        except ParseError as e:
            e.context = self.context
            raise
        self.pos += size
        return bytes(self.data[begin:begin + size]).decode("utf-8")

    def count(self, what: str, min_item_size: int = 1) -> int:
        """A vector length, checked against what the bytes left could possibly hold."""
        start = self.pos
        n = self.u32(f"{what} count")
        if n * min_item_size > self.end - self.pos:
            raise self.error(f"{what} count {n} is larger than the {self.end - self.pos} bytes "
                             f"left can hold", start)
        return n

    def at_end(self) -> bool:
        return self.pos >= self.end

    def expect_end(self, what: str) -> None:
        if self.pos != self.end:
            raise self.error(f"{what} has {self.end - self.pos} unexpected bytes at its end")

    def sub(self, size: int, context: str | None = None) -> "Reader":
        """A reader over the next ``size`` bytes (a subsection); this one skips past them."""
        start = self.fixed(size, "subsection")
        return Reader(self.data, start, start + size, context or self.context)
