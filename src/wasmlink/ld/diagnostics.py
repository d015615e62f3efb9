"""Errors and warnings of a link, collected rather than raised one at a time (as lld does), so a
user sees every undefined symbol of a build at once; a pass boundary raises them together."""
from __future__ import annotations

import sys

from ..errors import LinkError


class Diagnostics:
    def __init__(self, error_limit: int = 20, fatal_warnings: bool = False, stream=None,
                 prog: str = "wasmlink-ld"):
        self.prog = prog
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.error_limit = error_limit
        self.fatal_warnings = fatal_warnings
        self.stream = stream if stream is not None else sys.stderr
        self._seen: set[str] = set()

    def error(self, message: str) -> None:
        if message in self._seen:
            return
        self._seen.add(message)
        self.errors.append(message)
        if self.error_limit and len(self.errors) >= self.error_limit:
            self.raise_if_errors(limit_reached=True)

    def warn(self, message: str) -> None:
        if message in self._seen:
            return
        self._seen.add(message)
        if self.fatal_warnings:
            self.error(message)
            return
        self.warnings.append(message)
        lines = message.splitlines()
        print(f"{self.prog}: warning: {lines[0]}", file=self.stream)
        for line in lines[1:]:
            print(line, file=self.stream)

    def raise_if_errors(self, limit_reached: bool = False) -> None:
        if not self.errors:
            return
        text = "\n".join(self.errors)
        if limit_reached:
            text += ("\ntoo many errors emitted, stopping now (use --error-limit=0 to see all "
                     "errors)")
        raise LinkError(text)
