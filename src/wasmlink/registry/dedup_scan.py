"""The map side of bulk dedup: one file in, a small summary out (see dedup.py for the whole).

A file is mapped read-only, its header looked at, and the native scanner walks its tree of
units: the file itself when it is a module or a component, and every core module and component
nested in it at any depth. Each unit of at least ``min_size`` bytes (and always the file itself)
becomes a row: start, size, kind, depth, parent row, and the xxh3-64 of its bytes. With
chunking on, the unit's own bytes (outside its nested units, cut again at each of its sections)
are cut into content-defined chunks and each chunk's (size, xxh3) is kept as well.

Summaries are what crosses process and machine boundaries (pickled by the process pool, by
Dask): typed arrays, some 40 bytes per unit, so memory is bounded by the one file mapped at a
time, not by the corpus. The second pass, ``digest_batch``, maps a file again to take the
sha256 of the few ranges the reduce side asks for (the xxh3 candidates), and checks the file is
still the one scanned.

Malformed input never raises out of a batch: a file that is not a module or a component, or
that fails to scan, gives a summary with ``error`` set (one line, file-absolute offset).
"""
from __future__ import annotations

import os
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field

from ..errors import WasmlinkError

MODULE, COMPONENT = 0, 1
KIND_NAMES = ("module", "component")


@dataclass
class FileSummary:
    """What the map side learned about one file. Row 0 of the unit columns is the file."""
    path: str
    size: int = 0
    mtime_ns: int = 0
    error: str | None = None
    start: array = field(default_factory=lambda: array("Q"))
    length: array = field(default_factory=lambda: array("Q"))
    kind: bytes = b""                  # MODULE / COMPONENT per row
    depth: array = field(default_factory=lambda: array("I"))
    parent: array = field(default_factory=lambda: array("i"))     # row of the parent, -1 root
    xxh3: array = field(default_factory=lambda: array("Q"))
    # chunking only: each chunk of the units' own bytes, in file order, with its unit's row
    chunk_unit: array = field(default_factory=lambda: array("I"))
    chunk_size: array = field(default_factory=lambda: array("Q"))
    chunk_xxh3: array = field(default_factory=lambda: array("Q"))

    @property
    def file_kind(self) -> str:
        return KIND_NAMES[self.kind[0]] if self.kind else ""

    @property
    def unit_count(self) -> int:
        return len(self.start)


def scan_file(path: str, min_size: int, chunk_sizes=None) -> FileSummary:
    """The summary of one file; a malformed or unreadable file gives one with ``error`` set."""
    from ..binary.files import MappedFile, detect_kind
    summary = FileSummary(path)
    try:
        mapped = MappedFile(path)
    except WasmlinkError as e:
        summary.error = e.message
        return summary
    try:
        st = os.stat(mapped.path)
        summary.size, summary.mtime_ns = len(mapped), st.st_mtime_ns
        kind = detect_kind(mapped.data)
        if kind not in ("module", "component"):
            summary.error = ("not a wasm module or component" if kind != "archive" else
                             "an archive, not a wasm module or component")
            return summary
        mapped.advise_sequential()
        try:
            _fill(summary, mapped.data, min_size, chunk_sizes)
        except WasmlinkError as e:
            summary.error = str(e)
            _clear_units(summary)
        return summary
    finally:
        mapped.close()


def _clear_units(summary: FileSummary) -> None:
    for name in ("start", "length", "depth", "parent", "xxh3", "chunk_unit", "chunk_size",
                 "chunk_xxh3"):
        getattr(summary, name).__init__(getattr(summary, name).typecode)
    summary.kind = b""


def _fill(summary: FileSummary, data, min_size: int, chunk_sizes) -> None:
    from .._native import hashing
    from .._native.scan import scan
    result = scan(data)
    rows = [u for u in range(result.unit_count)
            if u == 0 or result.unit_end[u] - result.unit_start[u] >= min_size]
    row_of = {u: i for i, u in enumerate(rows)}
    summary.start = array("Q", (result.unit_start[u] for u in rows))
    summary.length = array("Q", (result.unit_end[u] - result.unit_start[u] for u in rows))
    summary.kind = bytes(result.unit_kind[u] for u in rows)
    summary.depth = array("I", (result.unit_depth[u] for u in rows))
    # a kept unit's parent is kept too: it is larger
    summary.parent = array("i", (row_of[result.unit_parent[u]] if u else -1 for u in rows))
    summary.xxh3 = hashing.xxh3_64_ranges(data, summary.start, summary.length)
    if chunk_sizes is not None:
        _chunk(summary, data, result, rows, chunk_sizes)


def own_pieces(summary: FileSummary, section_starts: list[list[int]] | None = None):
    """(row, start, size) of each unit's own bytes, in file order: the unit's range less its
    kept children, cut again at each section start of the unit when those are given."""
    children: list[list[int]] = [[] for _ in range(summary.unit_count)]
    for row in range(1, summary.unit_count):
        children[summary.parent[row]].append(row)
    pieces = []
    for row in range(summary.unit_count):
        pos, end = summary.start[row], summary.start[row] + summary.length[row]
        runs = []
        for child in children[row]:
            runs.append((pos, summary.start[child]))
            pos = summary.start[child] + summary.length[child]
        runs.append((pos, end))
        cuts = section_starts[row] if section_starts else []
        for a, b in runs:
            i = bisect_right(cuts, a)
            while i < len(cuts) and cuts[i] < b:
                if cuts[i] > a:
                    pieces.append((row, a, cuts[i] - a))
                    a = cuts[i]
                i += 1
            if b > a:
                pieces.append((row, a, b - a))
    pieces.sort(key=lambda p: p[1])
    return pieces


def _chunk(summary: FileSummary, data, result, rows, chunk_sizes) -> None:
    from . import chunking
    row_of = {u: i for i, u in enumerate(rows)}
    section_starts: list[list[int]] = [[] for _ in rows]
    for s in range(result.section_count):
        # a section of a unit too small to be kept belongs, byte for byte, to a kept ancestor,
        # where its start is not a boundary of that ancestor's: leave it out
        row = row_of.get(result.section_unit[s])
        if row is not None:
            section_starts[row].append(result.section_start[s])
    pieces = own_pieces(summary, section_starts)
    for row, start, size in pieces:
        lengths, digests = chunking.chunk_digests(data, [start], [size], chunk_sizes)
        summary.chunk_unit.extend([row] * len(lengths))
        summary.chunk_size.extend(lengths)
        summary.chunk_xxh3.extend(digests)


def scan_batch(paths: list[str], min_size: int, chunk_sizes=None) -> list[FileSummary]:
    """The map task: the summaries of a batch of files, in order."""
    return [scan_file(p, min_size, chunk_sizes) for p in paths]


@dataclass
class DigestRequest:
    """sha256 wanted for some ranges of a file scanned before (size and mtime as then)."""
    path: str
    size: int
    mtime_ns: int
    starts: list[int]
    sizes: list[int]


def digest_file(request: DigestRequest) -> list[bytes]:
    """The sha256 digests of the requested ranges; WasmlinkError if the file changed."""
    from .._native import hashing
    from ..binary.files import MappedFile
    with MappedFile(request.path) as mapped:
        st = os.stat(mapped.path)
        if (len(mapped), st.st_mtime_ns) != (request.size, request.mtime_ns):
            raise WasmlinkError("changed while dedup was reading it", path=request.path)
        mapped.advise_sequential()
        return list(hashing.sha256_ranges(mapped.data, request.starts, request.sizes))


def digest_batch(requests: list[DigestRequest]) -> list[list[bytes]]:
    """The second map task: digests for a batch of requests, in order."""
    return [digest_file(r) for r in requests]
