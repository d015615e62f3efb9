"""A plain-Python twin of the native content-defined chunker (ext/chunking.pyx), written from
its definition, as the test oracle: slow, obvious, and free of the native code's shortcuts."""
from __future__ import annotations

MASK64 = (1 << 64) - 1
GEAR_SEED = 0x6761_6e65_7761_736d


def gear_table() -> list[int]:
    """splitmix64 from GEAR_SEED, 256 values."""
    state = GEAR_SEED
    table = []
    for _ in range(256):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        table.append(z ^ (z >> 31))
    return table


GEAR = gear_table()


def top_bits(count: int) -> int:
    return (MASK64 << (64 - count)) & MASK64


def chunk_lengths(data: bytes, min_size: int, avg_size: int, max_size: int) -> list[int]:
    """The lengths of the chunks ``data`` is cut into."""
    bits = avg_size.bit_length() - 1
    small, large = top_bits(bits + 2), top_bits(bits - 2)
    lengths = []
    pos = 0
    while pos < len(data):
        left = len(data) - pos
        length = left
        if left > min_size:
            limit = min(left, max_size)
            h = 0
            length = limit
            for i in range(min_size, limit):
                h = ((h << 1) + GEAR[data[pos + i]]) & MASK64
                mask = small if i < min(avg_size, limit) else large
                if h & mask == 0:
                    length = i + 1
                    break
        lengths.append(length)
        pos += length
    return lengths


def cut(data: bytes, starts, sizes, min_size: int, avg_size: int, max_size: int):
    """(chunk starts, chunk sizes) of every range, as lists."""
    out_starts, out_sizes = [], []
    for start, size in zip(starts, sizes):
        pos = start
        for length in chunk_lengths(data[start:start + size], min_size, avg_size, max_size):
            out_starts.append(pos)
            out_sizes.append(length)
            pos += length
    return out_starts, out_sizes
