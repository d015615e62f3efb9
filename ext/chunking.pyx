"""Content-defined chunking: a FastCDC-style gear hash that cuts byte ranges into chunks whose
boundaries depend on the bytes around them, not on their offsets.

The algorithm (Xia et al., "FastCDC", USENIX ATC 2016), in the form this project defines it:

    gear     256 64-bit constants: splitmix64 seeded with GEAR_SEED (see gear_table)
    hash     h = (h << 1) + gear[byte], mod 2**64: after 64 bytes a byte no longer affects h,
             and the top bits depend on the most bytes, so the masks test the top bits
    a chunk  starts with h = 0; its first min_size bytes are not hashed (cut-point skipping);
             from there to avg_size a cut is taken after the byte for which h & mask_small == 0,
             from avg_size to max_size after the byte for which h & mask_large == 0
             (normalized chunking, level 2: mask_small has log2(avg) + 2 bits, mask_large
             log2(avg) - 2), and at max_size at the latest; a range's end always ends a chunk

Native because it is a per-byte loop over whole data segments and code sections: in Python it
runs at a few MB/s, here at memory speed, without the GIL, over a read-only mmap. The pure-Python
twin in tests/support/chunking_reference.py is the test oracle.
"""
from cpython cimport array
import array as _array
from libc.stdint cimport uint8_t, uint64_t

GEAR_SEED = 0x6761_6e65_7761_736d     # "gearwasm" read as a number, nothing more

cdef uint64_t GEAR[256]


cdef uint64_t splitmix64(uint64_t* state) noexcept nogil:
    state[0] += <uint64_t>0x9E3779B97F4A7C15
    cdef uint64_t z = state[0]
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EB
    return z ^ (z >> 31)


cdef void fill_gear() noexcept:
    cdef uint64_t state = GEAR_SEED
    cdef int i
    for i in range(256):
        GEAR[i] = splitmix64(&state)


fill_gear()


def gear_table() -> list:
    """The 256 gear constants (for the reference implementation's test)."""
    return [GEAR[i] for i in range(256)]


cdef inline uint64_t top_mask(int bits) noexcept nogil:
    return (~<uint64_t>0) << (64 - bits)


cdef Py_ssize_t cut_one(const uint8_t* p, Py_ssize_t n, Py_ssize_t min_size,
                        Py_ssize_t avg_size, Py_ssize_t max_size,
                        uint64_t mask_small, uint64_t mask_large) noexcept nogil:
    """Length of the chunk starting at p (n bytes left)."""
    if n <= min_size:
        return n
    cdef Py_ssize_t limit = n if n < max_size else max_size
    cdef Py_ssize_t normal = avg_size if avg_size < limit else limit
    cdef Py_ssize_t i = min_size
    cdef uint64_t h = 0
    while i < normal:
        h = (h << 1) + GEAR[p[i]]
        i += 1
        if (h & mask_small) == 0:
            return i
    while i < limit:
        h = (h << 1) + GEAR[p[i]]
        i += 1
        if (h & mask_large) == 0:
            return i
    return limit


def check_sizes(Py_ssize_t min_size, Py_ssize_t avg_size, Py_ssize_t max_size) -> int:
    """log2(avg_size) after checking the sizes make a chunker; ValueError otherwise."""
    bits = avg_size.bit_length() - 1
    if avg_size < 256 or avg_size != 1 << bits:
        raise ValueError(f"average chunk size {avg_size}: expected a power of two >= 256")
    if not 64 <= min_size <= avg_size <= max_size:
        raise ValueError(f"chunk sizes {min_size}/{avg_size}/{max_size}: expected "
                         f"64 <= min <= avg <= max")
    return bits


def cut(const uint8_t[::1] buf not None, starts, sizes, Py_ssize_t min_size,
        Py_ssize_t avg_size, Py_ssize_t max_size):
    """Chunk each range ``buf[starts[i]:starts[i] + sizes[i]]``.

    Returns (chunk_starts, chunk_sizes) as ``array('Q')``, the chunks of every range in order;
    together they cover each range exactly. An empty range gives no chunk."""
    cdef int bits = check_sizes(min_size, avg_size, max_size)
    cdef uint64_t mask_small = top_mask(bits + 2)
    cdef uint64_t mask_large = top_mask(bits - 2)
    cdef Py_ssize_t count = len(starts)
    if len(sizes) != count:
        raise ValueError("starts and sizes differ in length")
    cdef Py_ssize_t total = buf.shape[0]
    cdef const uint8_t* p = &buf[0] if total else <const uint8_t*>b""
    cdef array.array out_starts = _array.array('Q')
    cdef array.array out_sizes = _array.array('Q')
    cdef Py_ssize_t r, pos, end, length, used
    for r in range(count):
        pos = starts[r]
        end = pos + <Py_ssize_t>sizes[r]
        if pos < 0 or end < pos or end > total:
            raise ValueError(f"range {pos}+{end - pos} lies outside the {total}-byte buffer")
        while pos < end:
            with nogil:
                length = cut_one(p + pos, end - pos, min_size, avg_size, max_size,
                                 mask_small, mask_large)
            used = len(out_starts)
            array.resize_smart(out_starts, used + 1)
            array.resize_smart(out_sizes, used + 1)
            out_starts.data.as_ulonglongs[used] = pos
            out_sizes.data.as_ulonglongs[used] = length
            pos += length
    return out_starts, out_sizes
