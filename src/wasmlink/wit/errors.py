"""The one error type of the WIT front end: a message plus ``file:line:column``."""
from __future__ import annotations

from ..errors import WasmlinkError


class WitError(WasmlinkError):
    """Malformed or unresolvable WIT. ``str()`` reads ``path:line:col: message``."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 column: int | None = None):
        super().__init__(message, path=path)
        self.line = line
        self.column = column

    @property
    def location(self) -> str | None:
        if self.path is None or self.line is None:
            return self.path
        return f"{self.path}:{self.line}:{self.column}"

    def __str__(self) -> str:
        where = self.location
        return f"{where}: {self.message}" if where else self.message
