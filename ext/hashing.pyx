"""Content hashing of byte ranges, without copying them.

xxh3 (the ``xxhash`` package) is the fast identity used to group candidates (dedup, caches);
sha256 (``hashlib``) is the integrity hash that names content (``integrity=<sha256-...>``, OCI
digests). Both read the caller's buffer, usually a read-only mmap, through zero-copy memoryview
slices; the digest functions release the GIL on large inputs, so processes or threads can hash
in parallel.

Native so that a dedup scan over thousands of nested modules pays one C call per range, not a
slice object, a bounds check and a method lookup in Python for each.
"""
import hashlib
import xxhash
from cpython cimport array
import array as _array
from libc.stdint cimport uint64_t

cdef object _xxh3_64 = xxhash.xxh3_64_intdigest
cdef object _xxh3_128 = xxhash.xxh3_128_intdigest
cdef object _sha256 = hashlib.sha256


cdef inline object window(object view, Py_ssize_t start, Py_ssize_t size, Py_ssize_t limit):
    if start < 0 or size < 0 or start + size > limit:
        raise ValueError(f"range {start}+{size} lies outside the {limit}-byte buffer")
    return view[start:start + size]


cdef object whole_or_window(buf, Py_ssize_t start, Py_ssize_t size):
    view = memoryview(buf).cast('B')
    cdef Py_ssize_t n = len(view)
    return window(view, start, n - start if size < 0 else size, n)


def xxh3_64(buf, Py_ssize_t start=0, Py_ssize_t size=-1):
    """xxh3-64 of buf[start:start+size] (size -1: to the end) as an int."""
    return _xxh3_64(whole_or_window(buf, start, size))


def xxh3_128(buf, Py_ssize_t start=0, Py_ssize_t size=-1):
    """xxh3-128 of buf[start:start+size] as an int."""
    return _xxh3_128(whole_or_window(buf, start, size))


def sha256(buf, Py_ssize_t start=0, Py_ssize_t size=-1):
    """sha256 digest (32 bytes) of buf[start:start+size]."""
    return _sha256(whole_or_window(buf, start, size)).digest()


def xxh3_64_ranges(buf, starts, sizes):
    """xxh3-64 of each range (parallel sequences of starts and sizes), as an array('Q')."""
    view = memoryview(buf).cast('B')
    cdef Py_ssize_t n = len(view)
    cdef Py_ssize_t i, count = len(starts)
    if len(sizes) != count:
        raise ValueError("starts and sizes differ in length")
    cdef array.array out = _array.array('Q')
    array.resize(out, count)
    cdef unsigned long long* o = out.data.as_ulonglongs
    for i in range(count):
        o[i] = _xxh3_64(window(view, starts[i], sizes[i], n))
    return out


def sha256_ranges(buf, starts, sizes):
    """sha256 digests of each range, as a list of 32-byte values."""
    view = memoryview(buf).cast('B')
    cdef Py_ssize_t n = len(view)
    cdef Py_ssize_t i, count = len(starts)
    if len(sizes) != count:
        raise ValueError("starts and sizes differ in length")
    return [_sha256(window(view, starts[i], sizes[i], n)).digest() for i in range(count)]


def file_digests(path, bint want_xxh3=True, bint want_sha256=False, Py_ssize_t chunk=1 << 20):
    """(xxh3-64 int or None, sha256 bytes or None) of a whole file, read in chunks.

    For whole files this beats hashing an mmap of them: each chunk lands in one reused buffer
    that stays in cache, where an mmap pays to map every 4 KiB page first (measured in
    bench/hash_throughput.py). Ranges inside a file use the mmap forms above.
    """
    import os
    buf = bytearray(chunk)
    view = memoryview(buf)
    x = xxhash.xxh3_64() if want_xxh3 else None
    s = _sha256() if want_sha256 else None
    fd = os.open(path, os.O_RDONLY)
    cdef Py_ssize_t n
    try:
        while True:
            n = os.readv(fd, [buf])
            if n == 0:
                break
            if x is not None:
                x.update(view[:n])
            if s is not None:
                s.update(view[:n])
    finally:
        os.close(fd)
    return (x.intdigest() if x is not None else None), (s.digest() if s is not None else None)
