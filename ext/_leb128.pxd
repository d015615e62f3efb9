# LEB128 primitives shared by every native module: `from _leb128 cimport ...`. All inline, so
# no module of this name exists at run time.
#
# Each reader takes the buffer start, its length and a position that it advances, and returns
# 0 or one of the LEB_* error codes; it never raises, so the scanning loops around it can run
# without the GIL. raise_leb_error turns a code into the ParseError that names the offset.
from libc.stdint cimport uint8_t, uint32_t, uint64_t, int32_t, int64_t

cdef enum:
    LEB_OK = 0
    LEB_UNEXPECTED_END = 1
    LEB_TOO_LONG = 2        # more bytes than ceil(N/7): "integer representation too long"
    LEB_TOO_LARGE = 3       # unused bits of the last byte set: "integer too large"


cdef inline int read_u32(const uint8_t* p, Py_ssize_t end, Py_ssize_t* pos,
                         uint32_t* out) noexcept nogil:
    cdef Py_ssize_t i = pos[0]
    cdef uint32_t result = 0
    cdef uint8_t b
    cdef int shift = 0
    while True:
        if i >= end:
            return LEB_UNEXPECTED_END
        b = p[i]
        i += 1
        if shift == 28:
            if b & 0x80:
                return LEB_TOO_LONG
            if b & 0x70:
                return LEB_TOO_LARGE
            result |= (<uint32_t>b) << 28
            break
        result |= (<uint32_t>(b & 0x7f)) << shift
        if not (b & 0x80):
            break
        shift += 7
    pos[0] = i
    out[0] = result
    return LEB_OK


cdef inline int read_s32(const uint8_t* p, Py_ssize_t end, Py_ssize_t* pos,
                         int32_t* out) noexcept nogil:
    cdef Py_ssize_t i = pos[0]
    cdef uint32_t result = 0
    cdef uint8_t b
    cdef int shift = 0
    while True:
        if i >= end:
            return LEB_UNEXPECTED_END
        b = p[i]
        i += 1
        if shift == 28:
            if b & 0x80:
                return LEB_TOO_LONG
            # bits 4..6 must repeat the sign bit (bit 3, which is bit 31 of the value)
            if (b & 0x78) != 0 and (b & 0x78) != 0x78:
                return LEB_TOO_LARGE
            result |= (<uint32_t>b) << 28
            break
        result |= (<uint32_t>(b & 0x7f)) << shift
        shift += 7
        if not (b & 0x80):
            if b & 0x40:
                result |= (~(<uint32_t>0)) << shift
            break
    pos[0] = i
    out[0] = <int32_t>result
    return LEB_OK


cdef inline int read_u64(const uint8_t* p, Py_ssize_t end, Py_ssize_t* pos,
                         uint64_t* out) noexcept nogil:
    cdef Py_ssize_t i = pos[0]
    cdef uint64_t result = 0
    cdef uint8_t b
    cdef int shift = 0
    while True:
        if i >= end:
            return LEB_UNEXPECTED_END
        b = p[i]
        i += 1
        if shift == 63:
            if b & 0x80:
                return LEB_TOO_LONG
            if b & 0x7e:
                return LEB_TOO_LARGE
            result |= (<uint64_t>b) << 63
            break
        result |= (<uint64_t>(b & 0x7f)) << shift
        if not (b & 0x80):
            break
        shift += 7
    pos[0] = i
    out[0] = result
    return LEB_OK


cdef inline int read_s64(const uint8_t* p, Py_ssize_t end, Py_ssize_t* pos,
                         int64_t* out) noexcept nogil:
    cdef Py_ssize_t i = pos[0]
    cdef uint64_t result = 0
    cdef uint8_t b
    cdef int shift = 0
    while True:
        if i >= end:
            return LEB_UNEXPECTED_END
        b = p[i]
        i += 1
        if shift == 63:
            if b & 0x80:
                return LEB_TOO_LONG
            # one value bit (bit 63); bits 1..6 must repeat it
            if b != 0 and b != 0x7f:
                return LEB_TOO_LARGE
            result |= (<uint64_t>b) << 63
            break
        result |= (<uint64_t>(b & 0x7f)) << shift
        shift += 7
        if not (b & 0x80):
            if shift < 64 and (b & 0x40):
                result |= (~(<uint64_t>0)) << shift
            break
    pos[0] = i
    out[0] = <int64_t>result
    return LEB_OK


cdef inline int write_padded_u32(uint8_t* p, uint32_t value) noexcept nogil:
    """Five bytes, continuation bits on the first four: the form relocatable code reserves."""
    p[0] = (value & 0x7f) | 0x80
    p[1] = ((value >> 7) & 0x7f) | 0x80
    p[2] = ((value >> 14) & 0x7f) | 0x80
    p[3] = ((value >> 21) & 0x7f) | 0x80
    p[4] = (value >> 28) & 0x0f
    return 5


cdef inline int write_padded_s32(uint8_t* p, int32_t value) noexcept nogil:
    cdef uint32_t v = <uint32_t>value
    p[0] = (v & 0x7f) | 0x80
    p[1] = ((v >> 7) & 0x7f) | 0x80
    p[2] = ((v >> 14) & 0x7f) | 0x80
    p[3] = ((v >> 21) & 0x7f) | 0x80
    p[4] = (v >> 28) & 0x0f
    if value < 0:
        p[4] |= 0x70    # bits 4..6 of the last byte repeat the sign
    return 5


cdef inline int write_padded_u64(uint8_t* p, uint64_t value) noexcept nogil:
    cdef int k
    for k in range(9):
        p[k] = ((value >> (7 * k)) & 0x7f) | 0x80
    p[9] = (value >> 63) & 0x01
    return 10


cdef inline int write_padded_s64(uint8_t* p, int64_t value) noexcept nogil:
    cdef uint64_t v = <uint64_t>value
    cdef int k
    for k in range(9):
        p[k] = ((v >> (7 * k)) & 0x7f) | 0x80
    p[9] = 0x7f if value < 0 else 0x00
    return 10


cdef inline int raise_leb_error(int code, Py_ssize_t offset, const char* what) except -1:
    from wasmlink.errors import ParseError      # cold path only
    if code == LEB_UNEXPECTED_END:
        message = "unexpected end of input in LEB128"
    elif code == LEB_TOO_LONG:
        message = "integer representation too long"
    else:
        message = "integer too large"
    if what != NULL and what[0] != 0:
        message = f"{message} (reading {what.decode()})"
    raise ParseError(message, offset)
