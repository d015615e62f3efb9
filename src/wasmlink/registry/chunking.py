"""Content-defined chunking of the bytes whole-unit dedup leaves unique, to measure what
sub-module dedup would save (``wasmlink dedup --chunking``).

Whole-unit dedup (dedup.py) stores each distinct module or component once; what remains unique
is the *own bytes* of each distinct unit: its sections outside nested units. Two builds of an
app often differ there only a little (a pre-initialised heap snapshot in a data segment, a few
functions in a code section), so this module cuts those bytes into content-defined chunks (the
gear hash of ``wasmlink._native.chunking``, average ~8 KiB, cut also at every section and
nested-unit boundary) and counts the distinct chunks.

Why our own chunker rather than the PyPI ``pyfastcdc``: ours is ~40 lines of Cython that returns
typed arrays of chunk ranges for many ranges in one call (no Python object per chunk, hashed by
``xxh3_64_ranges`` in the same pass), runs without the GIL, and is pinned by this project's
definition and its pure-Python twin; the bench compares the savings it measures with
pyfastcdc's where that is installed.

A chunk's identity here is (size, xxh3-64): the figure is an estimate of what a chunk store
would save, not a store, so a 64-bit hash collision (around 2**-40 for a million chunks) is an
acceptable error that sha256 would only make slower to find.
"""
from __future__ import annotations

from array import array
from typing import NamedTuple

AVG_SIZE = 8192


class ChunkSizes(NamedTuple):
    min: int
    avg: int
    max: int

    @classmethod
    def around(cls, avg: int = AVG_SIZE) -> "ChunkSizes":
        """The sizes used for an average of ``avg`` (a power of two): avg/4 to 4*avg."""
        return cls(avg // 4, avg, avg * 4)


def cut(data, starts, sizes, chunk_sizes: ChunkSizes = ChunkSizes.around()):
    """(chunk_starts, chunk_sizes) as ``array('Q')``: each range of ``data`` cut into chunks."""
    from .._native import chunking
    return chunking.cut(data, starts, sizes, chunk_sizes.min, chunk_sizes.avg, chunk_sizes.max)


def chunk_digests(data, starts, sizes, chunk_sizes: ChunkSizes = ChunkSizes.around()):
    """(chunk_sizes, chunk_xxh3) as ``array('Q')`` for the chunks of the given ranges."""
    from .._native import hashing
    chunk_starts, chunk_lengths = cut(data, starts, sizes, chunk_sizes)
    return chunk_lengths, hashing.xxh3_64_ranges(data, chunk_starts, chunk_lengths)


class ChunkTally:
    """Distinct chunks seen so far: ``unique`` is the bytes a chunk store would keep."""

    def __init__(self):
        self.seen: set[tuple[int, int]] = set()
        self.chunks = 0
        self.bytes = 0
        self.unique = 0

    def add(self, lengths: array, digests: array) -> None:
        seen = self.seen
        for length, digest in zip(lengths, digests):
            self.chunks += 1
            self.bytes += length
            key = (length, digest)
            if key not in seen:
                seen.add(key)
                self.unique += length

    @property
    def distinct(self) -> int:
        return len(self.seen)
