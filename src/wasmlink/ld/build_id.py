"""The `build_id` custom section (--build-id): the last section the writer adds, filled in once
every other byte of the output is final.

As wasm-ld-22 computes it, so that both linkers give the same id for the same output:
the section holds a size and the id; while the id is computed its place holds spaces. The file is
split into 1 MiB pieces, each piece hashed, and the concatenated piece hashes hashed again (lld
does the pieces in parallel). ``fast`` hashes the pieces with xxh3-64 and turns that 8-byte
hash into a version-5 UUID (SHA-1 of a fixed namespace and the hash); ``sha1`` (also ``tree``)
uses SHA-1 throughout; ``uuid`` is a random version-4 UUID (not reproducible, by request);
``0x...`` is the given bytes.
"""
from __future__ import annotations

import hashlib
import os

from .._native.hashing import xxh3_64
from .._native.leb128 import encode_u32
from ..binary.encode import encode_name

PIECE = 1 << 20
# the namespace wasm-ld uses for its version-5 UUIDs
UUID_NAMESPACE = bytes([0xA1, 0xFA, 0x48, 0x2D, 0x0E, 0x22, 0x03, 0x8D,
                        0x33, 0x8B, 0x52, 0x1C, 0xD6, 0xD2, 0x12, 0xB2])
HASH_SIZES = {"fast": 16, "uuid": 16, "sha1": 20}


def hash_size(opts) -> int:
    if opts.build_id == "hexstring":
        return len(opts.build_id_bytes)
    return HASH_SIZES[opts.build_id]


def section_payload(opts) -> tuple[bytes, int]:
    """The section's payload with spaces where the id goes, and the id's offset in it."""
    size = hash_size(opts)
    head = encode_name("build_id") + encode_u32(size)
    return head + b" " * size, len(head)


def _pieces_then_whole(data, digest) -> bytes:
    view = memoryview(data)
    hashes = b"".join(digest(view[at:at + PIECE]) for at in range(0, len(view), PIECE))
    return digest(hashes)


def _xxh3_le(piece) -> bytes:
    return xxh3_64(piece).to_bytes(8, "little")


def _sha1(piece) -> bytes:
    return hashlib.sha1(piece).digest()


def _uuid(version: int, raw: bytes) -> bytes:
    out = bytearray(raw[:16])
    out[6] = (version << 4) | (out[6] & 0x0F)
    out[8] = (out[8] & 0xBF) | 0x80          # the DCE 1.1 variant
    return bytes(out)


def compute(opts, data) -> bytes:
    """The id for the output bytes `data` (its placeholder still holding spaces)."""
    style = opts.build_id
    if style == "hexstring":
        return opts.build_id_bytes
    if style == "sha1":
        return _pieces_then_whole(data, _sha1)
    if style == "fast":
        file_hash = _pieces_then_whole(data, _xxh3_le)
        return _uuid(5, hashlib.sha1(UUID_NAMESPACE + file_hash).digest())
    return _uuid(4, os.urandom(16))


def fill(opts, out: bytearray, at: int) -> None:
    """Write the id into `out` at offset `at`, where the placeholder is."""
    build_id = compute(opts, out)
    out[at:at + len(build_id)] = build_id
