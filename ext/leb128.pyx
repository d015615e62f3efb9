"""LEB128, the variable-length integers of every wasm structure.

Native because every other native pass (section scanning, relocation, symbol tables) decodes
LEB128 in its inner loop: the inline readers in leb128.pxd are what they cimport. This module adds
the Python-visible decode/encode functions, used by the Python reader and the encoder.

Decoding follows the core spec exactly: at most ceil(N/7) bytes ("integer representation too
long" beyond), and the unused bits of the last byte must be zero, or the sign for signed forms
("integer too large"). Encoding is minimal unless a width is asked for; relocatable code reserves
5 bytes (10 for 64-bit) so that a linker can patch a value in place.
"""
from libc.stdint cimport uint8_t, uint32_t, uint64_t, int32_t, int64_t
from _leb128 cimport (read_u32, read_s32, read_u64, read_s64, write_padded_u32,
                      write_padded_s32, write_padded_u64, write_padded_s64, raise_leb_error)

cdef const uint8_t* EMPTY = <const uint8_t*>b""


cdef enum:
    U32 = 0
    S32 = 1
    U64 = 2
    S64 = 3


cdef object decode_form(const uint8_t[::1] buf, Py_ssize_t pos, int form):
    if pos < 0:
        raise ValueError("negative position")
    cdef const uint8_t* p = &buf[0] if buf.shape[0] else EMPTY
    cdef Py_ssize_t at = pos
    cdef uint32_t u32 = 0
    cdef int32_t s32 = 0
    cdef uint64_t u64 = 0
    cdef int64_t s64 = 0
    cdef int err
    cdef object value
    if form == U32:
        err = read_u32(p, buf.shape[0], &at, &u32)
        value = u32
    elif form == S32:
        err = read_s32(p, buf.shape[0], &at, &s32)
        value = s32
    elif form == U64:
        err = read_u64(p, buf.shape[0], &at, &u64)
        value = u64
    else:
        err = read_s64(p, buf.shape[0], &at, &s64)
        value = s64
    if err:
        raise_leb_error(err, pos, NULL)
    return value, at


def decode_u32(const uint8_t[::1] buf not None, Py_ssize_t pos=0):
    """Decode an unsigned 32-bit LEB128 at ``pos``; returns (value, position after it)."""
    return decode_form(buf, pos, U32)


def decode_s32(const uint8_t[::1] buf not None, Py_ssize_t pos=0):
    """Decode a signed 32-bit LEB128 at ``pos``; returns (value, position after it)."""
    return decode_form(buf, pos, S32)


def decode_u64(const uint8_t[::1] buf not None, Py_ssize_t pos=0):
    """Decode an unsigned 64-bit LEB128 at ``pos``; returns (value, position after it)."""
    return decode_form(buf, pos, U64)


def decode_s64(const uint8_t[::1] buf not None, Py_ssize_t pos=0):
    """Decode a signed 64-bit LEB128 at ``pos``; returns (value, position after it)."""
    return decode_form(buf, pos, S64)


cdef bytes _encode_unsigned(uint64_t value, int width):
    cdef uint8_t out[16]
    cdef int n = 0
    while True:
        out[n] = value & 0x7f
        value >>= 7
        n += 1
        if value == 0 and n >= width:
            break
        out[n - 1] |= 0x80
    return out[:n]


cdef bytes _encode_signed(int64_t value, int width):
    cdef uint8_t out[16]
    cdef int n = 0
    cdef uint8_t b
    cdef bint done
    while True:
        b = value & 0x7f
        value >>= 7          # arithmetic shift keeps the sign
        done = (value == 0 and not (b & 0x40)) or (value == -1 and (b & 0x40))
        out[n] = b
        n += 1
        if done and n >= width:
            break
        if done:
            # padding bytes repeat the sign in all seven bits
            value = -1 if (b & 0x40) else 0
        out[n - 1] |= 0x80
    return out[:n]


def encode_u32(value, int width=0):
    """Unsigned LEB128 of a 32-bit value, minimal or padded to ``width`` bytes (at most 5)."""
    if not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"{value} is out of range for u32")
    if width > 5:
        raise ValueError("a u32 LEB128 has at most 5 bytes")
    return _encode_unsigned(value, width)


def encode_u64(value, int width=0):
    """Unsigned LEB128 of a 64-bit value, minimal or padded to ``width`` bytes (at most 10)."""
    if not 0 <= value <= 0xFFFFFFFFFFFFFFFF:
        raise ValueError(f"{value} is out of range for u64")
    if width > 10:
        raise ValueError("a u64 LEB128 has at most 10 bytes")
    return _encode_unsigned(value, width)


def encode_s32(value, int width=0):
    """Signed LEB128 of a 32-bit value, minimal or padded to ``width`` bytes (at most 5)."""
    if not -0x80000000 <= value <= 0x7FFFFFFF:
        raise ValueError(f"{value} is out of range for s32")
    if width > 5:
        raise ValueError("an s32 LEB128 has at most 5 bytes")
    return _encode_signed(value, width)


def encode_s64(value, int width=0):
    """Signed LEB128 of a 64-bit value, minimal or padded to ``width`` bytes (at most 10)."""
    if not -0x8000000000000000 <= value <= 0x7FFFFFFFFFFFFFFF:
        raise ValueError(f"{value} is out of range for s64")
    if width > 10:
        raise ValueError("an s64 LEB128 has at most 10 bytes")
    return _encode_signed(value, width)


def padded_u32(uint32_t value):
    """The 5-byte form that R_WASM_*_LEB relocations patch."""
    cdef uint8_t out[5]
    write_padded_u32(out, value)
    return out[:5]


def padded_s32(int32_t value):
    """The 5-byte form that R_WASM_*_SLEB relocations patch."""
    cdef uint8_t out[5]
    write_padded_s32(out, value)
    return out[:5]


def padded_u64(uint64_t value):
    """The 10-byte form that R_WASM_*_LEB64 relocations patch."""
    cdef uint8_t out[10]
    write_padded_u64(out, value)
    return out[:10]


def padded_s64(int64_t value):
    """The 10-byte form that R_WASM_*_SLEB64 relocations patch."""
    cdef uint8_t out[10]
    write_padded_s64(out, value)
    return out[:10]
