"""The errors wasmlink raises. Every failure a user can cause is one of these.

A ParseError names the file, the file-absolute byte offset and what was expected, in the form
wasmparser and wasm-ld users know: ``libc.a(printf.o): invalid LEB128 (at offset 0x1a2f in
section code)``. The native core raises it without a path (it only sees bytes); the layer that
opened the file adds the path on the way out with :meth:`WasmlinkError.in_file`.
"""
from __future__ import annotations


class WasmlinkError(Exception):
    """Base of every error wasmlink raises on purpose; the CLI prints it as one line."""

    def __init__(self, message: str, *, path: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path

    def in_file(self, path: str) -> "WasmlinkError":
        """Attach the file name, keeping one already set (an archive member names itself)."""
        if self.path is None:
            self.path = str(path)
        return self

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ParseError(WasmlinkError):
    """Malformed input: the offset is file-absolute, the context names the section or item."""

    def __init__(self, message: str, offset: int | None = None, *, path: str | None = None,
                 context: str | None = None):
        super().__init__(message, path=path)
        self.offset = offset
        self.context = context

    def __str__(self) -> str:
        where = ""
        if self.offset is not None:
            where = f" (at offset 0x{self.offset:x}"
            where += f" in {self.context})" if self.context else ")"
        elif self.context:
            where = f" (in {self.context})"
        head = f"{self.path}: " if self.path else ""
        return f"{head}{self.message}{where}"


class UnsupportedError(WasmlinkError):
    """Well-formed input that wasmlink does not handle (thin archives, LTO bitcode...)."""


class UsageError(WasmlinkError):
    """A bad command line or API call."""


class LinkError(WasmlinkError):
    """A link that cannot be completed: undefined or duplicate symbols, bad layouts, ..."""
