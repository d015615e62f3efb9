"""Content-defined chunking (ext/chunking.pyx, registry/chunking.py): the native chunker against
its plain-Python twin, and the properties dedup relies on: chunks tile each range exactly, the
cuts are a function of the bytes alone, and an insertion moves only the chunks around it."""
import os
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support import chunking_reference as reference
from wasmlink._native import chunking as native
from wasmlink.registry.chunking import ChunkSizes, ChunkTally, chunk_digests, cut

SIZES = ChunkSizes(256, 1024, 4096)          # small, so that short inputs have many chunks


def pseudo_random(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def test_the_gear_table_is_splitmix64_of_the_seed():
    assert native.gear_table() == reference.gear_table()
    assert native.GEAR_SEED == reference.GEAR_SEED


def test_chunks_tile_each_range_in_order():
    data = pseudo_random(200_000, 1)
    ranges = [(0, 50_000), (50_000, 0), (60_000, 100_000), (199_000, 1000)]
    starts, sizes = cut(data, [r[0] for r in ranges], [r[1] for r in ranges], SIZES)
    pos = 0
    rebuilt = {r: b"" for r in ranges}
    for start, size in zip(starts, sizes):
        owner = next(r for r in ranges if r[0] <= start < r[0] + r[1])
        rebuilt[owner] += data[start:start + size]
        pos = start + size
    assert all(rebuilt[r] == data[r[0]:r[0] + r[1]] for r in ranges)
    assert pos == 200_000


def test_every_chunk_but_a_ranges_last_is_between_min_and_max():
    data = pseudo_random(300_000, 2)
    _, sizes = cut(data, [0], [len(data)], SIZES)
    assert all(SIZES.min <= s <= SIZES.max for s in sizes[:-1])
    assert 0 < sizes[-1] <= SIZES.max
    assert 150 < len(sizes) < 300                # around avg + min: 1280 bytes on average


def test_the_same_bytes_give_the_same_cuts_wherever_they_lie():
    data = pseudo_random(100_000, 3)
    once = cut(data, [0], [len(data)], SIZES)[1]
    padded = b"\xaa" * 777 + data
    again = cut(padded, [777], [len(data)], SIZES)
    assert again[1] == once
    assert list(again[0]) == [777 + s for s in cut(data, [0], [len(data)], SIZES)[0]]


def test_an_insertion_changes_only_the_chunks_around_it():
    data = pseudo_random(200_000, 4)
    edited = data[:100_000] + b"inserted!" + data[100_000:]
    lengths, digests = chunk_digests(data, [0], [len(data)], SIZES)
    lengths2, digests2 = chunk_digests(edited, [0], [len(edited)], SIZES)
    before, after = set(zip(lengths, digests)), set(zip(lengths2, digests2))
    assert len(before - after) <= 3
    assert len(after - before) <= 3
    assert len(before & after) > len(before) - 4


def test_a_range_no_longer_than_min_size_is_one_chunk():
    data = pseudo_random(1000, 5)
    assert list(cut(data, [10], [256], SIZES)[1]) == [256]
    assert list(cut(data, [10], [0], SIZES)[1]) == []


def test_zero_bytes_cut_at_max_size():
    """Over a run of zero bytes the hash settles on a value whose top bits are set (with this
    gear table), so the run is cut at max_size: padding in data segments makes no tiny chunks."""
    starts, sizes = cut(bytes(20_000), [0], [20_000], SIZES)
    assert list(sizes) == [4096] * 4 + [20_000 - 4 * 4096]


@pytest.mark.parametrize("sizes, message", [
    ((256, 1000, 4096), "power of two"),
    ((256, 128, 4096), "power of two >= 256"),
    ((32, 1024, 4096), "64 <= min <= avg <= max"),
    ((256, 1024, 512), "64 <= min <= avg <= max"),
])
def test_bad_sizes_are_refused(sizes, message):
    with pytest.raises(ValueError, match=message):
        native.cut(b"x" * 100, [0], [100], *sizes)


def test_ranges_outside_the_buffer_are_refused():
    with pytest.raises(ValueError, match="outside the 100-byte buffer"):
        native.cut(b"x" * 100, [50], [51], *SIZES)


def test_a_read_only_mmap_is_cut_without_copying(tmp_path):
    import mmap
    path = tmp_path / "data.bin"
    data = pseudo_random(50_000, 6)
    path.write_bytes(data)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        assert list(cut(m, [0], [len(data)], SIZES)[1]) == list(cut(data, [0], [len(data)],
                                                                   SIZES)[1])


@settings(max_examples=60, deadline=None)
@given(data=st.binary(min_size=0, max_size=12_000),
       avg_bits=st.integers(min_value=8, max_value=11),
       cut_at=st.lists(st.integers(min_value=0, max_value=12_000), max_size=4),
       low_entropy=st.booleans())
def test_the_native_chunker_matches_the_reference(data, avg_bits, cut_at, low_entropy):
    if low_entropy:                      # long runs and repeats: where masks are tested most
        data = bytes(b & 0x03 for b in data)
    avg = 1 << avg_bits
    sizes = (max(64, avg // 4), avg, avg * 4)
    bounds = sorted({0, len(data), *(c for c in cut_at if c <= len(data))})
    starts = bounds[:-1]
    lengths = [b - a for a, b in zip(bounds, bounds[1:])]
    got = native.cut(data, starts, lengths, *sizes)
    assert (list(got[0]), list(got[1])) == reference.cut(data, starts, lengths, *sizes)


def test_the_tally_counts_each_distinct_chunk_once():
    tally = ChunkTally()
    tally.add([10, 20, 10], [1, 2, 1])
    tally.add([10, 30], [1, 3])
    assert (tally.chunks, tally.distinct, tally.bytes, tally.unique) == (5, 3, 80, 60)


def test_real_bytes_random_from_the_os_are_chunked_like_the_reference():
    data = os.urandom(30_000)
    sizes = ChunkSizes.around(2048)
    assert list(cut(data, [0], [len(data)], sizes)[1]) == reference.chunk_lengths(
        data, *sizes)
