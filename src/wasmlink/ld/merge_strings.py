"""Mergeable strings: data segments flagged STRINGS (C string literals) and `.debug_str`.

wasm-ld splits such chunks into NUL-terminated pieces and keeps each distinct piece once, in one
synthetic chunk placed where the first mergeable input was, laid out the way LLVM's
StringTableBuilder finalizes a RAW table: pieces sorted by their reversed bytes, descending (so
a piece comes right after the longer pieces it ends), and a piece that is the tail of the one
before it is not written again but points into it ("unsigned char" serves "char" too). A symbol
or a relocation pointing into an input piece is redirected to the same byte of the kept copy.
Merging is on from -O1 (wasm-ld's default) and only for alignment-1 segments.
"""
from __future__ import annotations

import array
from bisect import bisect_right

from .._native.reloc import split_pieces
from .input_files import InputChunk


def should_merge_segment(chunk, optimize: int) -> bool:
    return optimize > 0 and chunk.is_strings and chunk.alignment == 0 and chunk.size > 0


def should_merge_custom(chunk, optimize: int) -> bool:
    return optimize > 0 and chunk.name == ".debug_str" and chunk.size > 0


class MergedStrings:
    """The synthetic chunk holding the distinct pieces of several mergeable inputs."""

    def __init__(self, name: str, alignment: int, flags: int):
        self.chunk = InputChunk(None, "merged", -1, 0, 0)
        self.chunk.name = name
        self.chunk.alignment = alignment
        self.chunk.flags = flags
        self.chunk.live = True
        self.pieces: dict[bytes, int] = {}    # piece -> output offset (after finish)
        self.inputs = []

    def add(self, chunk, data, base: int) -> None:
        """Split ``chunk`` (its bytes are data[base + chunk.start : base + chunk.end]) into
        NUL-terminated pieces; where each goes is known after finish()."""
        starts, parts = split_pieces(data, base + chunk.start, base + chunk.end)
        # values are set by finish(); until then only the keys matter
        self.pieces.update(dict.fromkeys(parts, 0))
        chunk.merged_into = self
        chunk.piece_starts = starts
        chunk.piece_outputs = parts          # pieces until finish(), then their offsets
        self.inputs.append(chunk)

    def finish(self) -> InputChunk:
        out = []
        size = 0
        previous = b""
        for piece in sorted(self.pieces, key=lambda p: p[::-1], reverse=True):
            if previous.endswith(piece):
                self.pieces[piece] = size - len(piece)
                continue
            self.pieces[piece] = size
            out.append(piece)
            size += len(piece)
            previous = piece
        pieces = self.pieces
        for chunk in self.inputs:
            chunk.piece_outputs = array.array("q", map(pieces.__getitem__, chunk.piece_outputs))
        body = b"".join(out)
        self.chunk.body = body
        self.chunk.end = len(body)
        return self.chunk


def merged_offset(chunk, offset: int) -> int:
    """Where byte ``offset`` of a merged input chunk ended up inside its merged chunk."""
    k = bisect_right(chunk.piece_starts, offset) - 1
    if k < 0:
        k = 0
    return chunk.piece_outputs[k] + offset - chunk.piece_starts[k]
