"""A one-line progress bar on standard error, for long scans (``wasmlink dedup``).

Drawn only when standard error is a terminal, so pipes, logs and ``--json`` output never see
it; redrawn at most ten times a second, and erased when done. Standard library only.
"""
from __future__ import annotations

import sys
import time


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


class Progress:
    """``start`` a phase with its totals, call with (files, bytes) done since the last call;
    ``close`` erases the line."""

    def __init__(self, total_files: int = 0, total_bytes: int = 0, *, label: str = "scan",
                 stream=None, enabled: bool | None = None, clock=time.monotonic):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _is_terminal(self.stream) if enabled is None else enabled
        self.clock = clock
        self.width = 0
        self.start(label, total_files, total_bytes)

    def start(self, label: str, total_files: int, total_bytes: int) -> None:
        """A new phase (scan, sha256): counts and rate start again from zero."""
        self.label = label
        self.total_files, self.total_bytes = total_files, total_bytes
        self.files = self.bytes = 0
        self.started = self.clock()
        self.drawn_at = -1.0

    def __call__(self, files: int, nbytes: int) -> None:
        self.files += files
        self.bytes += nbytes
        now = self.clock()
        if self.enabled and (now - self.drawn_at >= 0.1 or self.files >= self.total_files):
            self.drawn_at = now
            self._draw(self.line(now))

    def line(self, now: float | None = None) -> str:
        elapsed = max((self.clock() if now is None else now) - self.started, 1e-9)
        width = 24
        done = self.bytes / self.total_bytes if self.total_bytes else (
            self.files / self.total_files if self.total_files else 1.0)
        filled = min(width, int(done * width))
        bar = "#" * filled + "-" * (width - filled)
        return (f"{self.label} [{bar}] {self.files}/{self.total_files} files "
                f"{human_bytes(self.bytes)}/{human_bytes(self.total_bytes)} "
                f"{human_bytes(self.bytes / elapsed)}/s")

    def _draw(self, text: str) -> None:
        pad = " " * max(0, self.width - len(text))
        self.stream.write("\r" + text + pad)
        self.stream.flush()
        self.width = len(text)

    def close(self) -> None:
        if self.enabled and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
