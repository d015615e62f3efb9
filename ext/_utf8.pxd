# UTF-8 validation shared by the native modules: `from _utf8 cimport check_utf8`. Inline, so no
# module of this name exists at run time. Names in wasm must be valid UTF-8 (no overlong forms,
# no surrogates, nothing above U+10FFFF).
from libc.stdint cimport uint8_t, uint32_t


cdef inline int check_utf8(const uint8_t* s, Py_ssize_t n) noexcept nogil:
    """Returns -1 if valid UTF-8, else the index of the first bad byte."""
    cdef Py_ssize_t i = 0
    cdef uint32_t c
    cdef int k, need
    while i < n:
        c = s[i]
        if c < 0x80:
            i += 1
            continue
        if 0xc2 <= c <= 0xdf:
            need = 1; c &= 0x1f
        elif 0xe0 <= c <= 0xef:
            need = 2; c &= 0x0f
        elif 0xf0 <= c <= 0xf4:
            need = 3; c &= 0x07
        else:
            return <int>i
        if i + need >= n:
            return <int>i
        for k in range(1, need + 1):
            if (s[i + k] & 0xc0) != 0x80:
                return <int>i
            c = (c << 6) | (s[i + k] & 0x3f)
        if (need == 2 and (c < 0x800 or 0xd800 <= c <= 0xdfff)) or (need == 3 and not 0x10000 <= c <= 0x10ffff):
            return <int>i
        i += need + 1
    return -1
