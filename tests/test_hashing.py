"""Content hashes of byte ranges: the same digests as hashlib and xxhash over copies, computed
over windows of a mapped file without copying."""
import hashlib

import pytest
import xxhash

from wasmlink._native import hashing
from wasmlink.binary.files import MappedFile


@pytest.fixture(scope="module")
def mapped():
    f = MappedFile("/usr/lib/wasm32-wasi/libc.a")
    yield f
    f.close()


def test_range_digests_equal_the_digests_of_a_copy(mapped):
    data = bytes(mapped.data)
    for start, size in [(0, 0), (0, 8), (123, 4567), (len(data) - 10, 10)]:
        window = data[start:start + size]
        assert hashing.sha256(mapped.data, start, size) == hashlib.sha256(window).digest()
        assert hashing.xxh3_64(mapped.data, start, size) == xxhash.xxh3_64_intdigest(window)
        assert hashing.xxh3_128(mapped.data, start, size) == xxhash.xxh3_128_intdigest(window)


def test_whole_buffer_digest_is_the_default(mapped):
    assert hashing.sha256(mapped.data) == hashlib.sha256(mapped.data).digest()


def test_many_ranges_in_one_call(mapped):
    starts, sizes = [0, 100, 2000], [50, 0, 999]
    data = bytes(mapped.data)
    assert list(hashing.xxh3_64_ranges(mapped.data, starts, sizes)) == [
        xxhash.xxh3_64_intdigest(data[s:s + n]) for s, n in zip(starts, sizes)]
    assert hashing.sha256_ranges(mapped.data, starts, sizes) == [
        hashlib.sha256(data[s:s + n]).digest() for s, n in zip(starts, sizes)]


def test_a_range_outside_the_buffer_is_refused(mapped):
    with pytest.raises(ValueError, match="outside"):
        hashing.sha256(mapped.data, len(mapped.data) - 5, 10)


def test_whole_file_digests_read_in_chunks_match(tmp_path):
    path = tmp_path / "blob"
    data = bytes(range(256)) * 20000 + b"tail"
    path.write_bytes(data)
    x, s = hashing.file_digests(str(path), want_sha256=True, chunk=4096)
    assert x == xxhash.xxh3_64_intdigest(data)
    assert s == hashlib.sha256(data).digest()
