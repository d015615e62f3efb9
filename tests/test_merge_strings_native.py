"""The native core of string merging (ext/reloc.pyx) against plain-Python references:
splitting a chunk into NUL-terminated pieces, and redirecting SECTION_OFFSET addends."""
import array
from bisect import bisect_right

import pytest
from hypothesis import given, strategies as st

from wasmlink._native.reloc import redirect_addends, split_pieces


def reference_split(raw: bytes):
    starts, pieces, pos = [], [], 0
    while pos < len(raw):
        end = raw.find(b"\0", pos)
        end = len(raw) if end < 0 else end + 1
        starts.append(pos)
        pieces.append(raw[pos:end])
        pos = end
    return starts, pieces


def test_pieces_keep_their_nul_and_a_last_piece_may_lack_one():
    starts, pieces = split_pieces(b"xxab\0\0cd\0ey", 2, 10)
    assert list(starts) == [0, 3, 4, 7]
    assert pieces == [b"ab\0", b"\0", b"cd\0", b"e"]


def test_a_range_outside_the_buffer_is_refused():
    with pytest.raises(ValueError):
        split_pieces(b"abc", 1, 4)


@given(st.binary(max_size=64).map(lambda b: b.replace(b"\1", b"\0")), st.data())
def test_splitting_matches_the_python_reference(raw, data):
    start = data.draw(st.integers(0, len(raw)))
    end = data.draw(st.integers(start, len(raw)))
    starts, pieces = split_pieces(raw, start, end)
    assert (list(starts), pieces) == reference_split(raw[start:end])


@given(st.lists(st.tuples(st.sampled_from([9, 9, 5, 3]), st.integers(0, 2),
                          st.integers(-4, 40)), max_size=20),
       st.lists(st.integers(0, 30), min_size=1, max_size=6, unique=True))
def test_redirected_addends_match_bisect(relocs, piece_starts):
    piece_starts = sorted(set(piece_starts) | {0})
    piece_outputs = [100 * k + 7 for k in range(len(piece_starts))]
    types = array.array("B", [t for t, _, _ in relocs])
    index = array.array("I", [i for _, i, _ in relocs])
    addend = array.array("q", [a for _, _, a in relocs])
    expected = []
    for t, i, a in relocs:
        if t == 9 and i == 1:
            k = max(bisect_right(piece_starts, a) - 1, 0)
            a = piece_outputs[k] + a - piece_starts[k]
        expected.append(a)
    changed = redirect_addends(types, index, addend, 1, array.array("I", piece_starts),
                               array.array("q", piece_outputs))
    assert list(addend) == expected
    assert changed == sum(1 for t, i, _ in relocs if t == 9 and i == 1)
