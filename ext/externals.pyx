"""Imports and exports as columns: the interface of a module, decoded in one native pass.

Native because linkers and `inspect` read the imports and exports of every input, and a
libpython-scale library has thousands (libpython3.14.so: 649 imports, 1,857 exports): decoding
them a LEB128 at a time through Python costs more than the rest of `inspect`. Each decoder checks
every count against the bytes left, every name as UTF-8 and every descriptor's shape, and
records names as file-absolute byte ranges; the Python views turn rows into objects on demand.
"""
from cpython cimport array
import array as _array
from libc.stdint cimport uint8_t, uint32_t, uint64_t, int32_t, int64_t

from _leb128 cimport read_u32, read_u64, read_s64, raise_leb_error
from _utf8 cimport check_utf8
from wasmlink.errors import ParseError

NO_TYPE = 0xFFFFFFFF

cdef const uint8_t* EMPTY = <const uint8_t*>b""


cdef inline bint is_valtype(uint8_t b) noexcept nogil:
    # i32 i64 f32 f64 v128, funcref externref, the GC abstract heap types' short forms
    return (0x7B <= b <= 0x7F) or (0x69 <= b <= 0x74)


cdef class ImportColumns:
    """One row per import: module and field names as byte ranges, the kind, the type index of
    function and tag imports (NO_TYPE otherwise) and where the descriptor starts and ends."""
    cdef public object module_offset, module_size, name_offset, name_size, kind, type_index
    cdef public object desc_offset, desc_size

    def __init__(self):
        self.module_offset = _array.array('Q')
        self.module_size = _array.array('I')
        self.name_offset = _array.array('Q')
        self.name_size = _array.array('I')
        self.kind = _array.array('B')
        self.type_index = _array.array('I')
        self.desc_offset = _array.array('Q')
        self.desc_size = _array.array('I')

    def __len__(self):
        return len(self.kind)


cdef class ExportColumns:
    cdef public object name_offset, name_size, kind, index

    def __init__(self):
        self.name_offset = _array.array('Q')
        self.name_size = _array.array('I')
        self.kind = _array.array('B')
        self.index = _array.array('I')

    def __len__(self):
        return len(self.kind)


cdef int fail(str message, Py_ssize_t offset, str context) except -1:
    raise ParseError(message, offset, context=context)


cdef int leb(int err, Py_ssize_t offset, const char* what, str context) except -1:
    try:
        raise_leb_error(err, offset, what)
    except ParseError as e:
        e.context = context
        raise


cdef int read_name(const uint8_t* p, Py_ssize_t end, Py_ssize_t* pos, Py_ssize_t* at,
                   uint32_t* size, const char* what, str context) except -1:
    cdef Py_ssize_t start = pos[0]
    cdef int err = read_u32(p, end, pos, size)
    if err:
        leb(err, start, what, context)
    if <uint64_t>size[0] > <uint64_t>(end - pos[0]):
        fail(f"{what.decode()} length {size[0]} runs past the end ({end - pos[0]} bytes left)",
             start, context)
    cdef int bad = check_utf8(p + pos[0], size[0])
    if bad >= 0:
        fail(f"invalid UTF-8 encoding in {what.decode()}", pos[0] + bad, context)
    at[0] = pos[0]
    pos[0] += size[0]
    return 0


cdef int read_byte(const uint8_t* p, Py_ssize_t end, Py_ssize_t* pos, uint8_t* out,
                   str what, str context) except -1:
    if pos[0] >= end:
        fail(f"unexpected end of input: expected {what}", pos[0], context)
    out[0] = p[pos[0]]
    pos[0] += 1
    return 0


cdef int read_valtype(const uint8_t* p, Py_ssize_t end, Py_ssize_t* pos, str context) except -1:
    cdef Py_ssize_t at = pos[0]
    cdef uint8_t b
    cdef int64_t heap
    cdef int err
    read_byte(p, end, pos, &b, "value type", context)
    if b == 0x63 or b == 0x64:
        err = read_s64(p, end, pos, &heap)
        if err:
            leb(err, at + 1, b"heap type", context)
        return 0
    if not is_valtype(b):
        fail(f"invalid value type 0x{b:02x}", at, context)
    return 0


cdef int read_limits(const uint8_t* p, Py_ssize_t end, Py_ssize_t* pos, str what,
                     str context) except -1:
    cdef Py_ssize_t at = pos[0]
    cdef uint8_t flags
    cdef uint32_t v32
    cdef uint64_t v64
    cdef int err, k
    read_byte(p, end, pos, &flags, f"{what} limits flags", context)
    if flags > 15:
        fail(f"invalid {what} limits flags 0x{flags:02x}", at, context)
    for k in range(2 if flags & 1 else 1):
        at = pos[0]
        err = read_u64(p, end, pos, &v64) if flags & 4 else read_u32(p, end, pos, &v32)
        if err:
            leb(err, at, b"limit", context)
    if flags & 8:                  # custom-page-sizes: log2 of the page size
        at = pos[0]
        err = read_u32(p, end, pos, &v32)
        if err:
            leb(err, at, b"page size", context)
    return 0


def import_columns(const uint8_t[::1] buf not None, Py_ssize_t payload, Py_ssize_t size,
                   str context="section import"):
    """Decode an import section payload (buf[payload:payload+size]) into ImportColumns."""
    if not (0 <= payload and 0 <= size and payload + size <= buf.shape[0]):
        raise ValueError("import section range outside the buffer")
    cdef const uint8_t* p = &buf[0] if buf.shape[0] else EMPTY
    cdef Py_ssize_t end = payload + size, pos = payload, at, mod_at, name_at, desc_at
    cdef uint32_t count = 0, i, mod_size = 0, name_size = 0, type_index
    cdef uint8_t kind, b
    cdef int err = read_u32(p, end, &pos, &count)
    if err:
        leb(err, payload, b"import count", context)
    # module name, field name, kind, descriptor: at least four bytes each
    if <uint64_t>count * 4 > <uint64_t>(end - pos):
        fail(f"import count {count} is larger than the {end - pos} bytes left can hold",
             payload, context)
    out = ImportColumns()
    cdef array.array mo = out.module_offset, ms = out.module_size, no = out.name_offset
    cdef array.array ns = out.name_size, kd = out.kind, ti = out.type_index
    cdef array.array do = out.desc_offset, ds = out.desc_size
    for a in (mo, ms, no, ns, kd, ti, do, ds):
        array.resize(a, count)
    for i in range(count):
        read_name(p, end, &pos, &mod_at, &mod_size, b"import module name", context)
        read_name(p, end, &pos, &name_at, &name_size, b"import name", context)
        at = pos
        read_byte(p, end, &pos, &kind, "import kind", context)
        desc_at = pos
        type_index = NO_TYPE
        if kind == 0:
            err = read_u32(p, end, &pos, &type_index)
            if err:
                leb(err, desc_at, b"type index", context)
        elif kind == 1:
            read_valtype(p, end, &pos, context)
            read_limits(p, end, &pos, "table", context)
        elif kind == 2:
            read_limits(p, end, &pos, "memory", context)
        elif kind == 3:
            read_valtype(p, end, &pos, context)
            read_byte(p, end, &pos, &b, "global mutability", context)
            if b > 1:
                fail(f"invalid global mutability 0x{b:02x}: expected 0 or 1", pos - 1, context)
        elif kind == 4:
            read_byte(p, end, &pos, &b, "tag attribute", context)
            err = read_u32(p, end, &pos, &type_index)
            if err:
                leb(err, desc_at + 1, b"tag type index", context)
        else:
            fail(f"invalid import kind 0x{kind:02x}", at, context)
        mo.data.as_ulonglongs[i] = mod_at
        ms.data.as_uints[i] = mod_size
        no.data.as_ulonglongs[i] = name_at
        ns.data.as_uints[i] = name_size
        kd.data.as_uchars[i] = kind
        ti.data.as_uints[i] = type_index
        do.data.as_ulonglongs[i] = desc_at
        ds.data.as_uints[i] = pos - desc_at
    if pos != end:
        fail(f"import section has {end - pos} unexpected bytes at its end", pos, context)
    return out


def export_columns(const uint8_t[::1] buf not None, Py_ssize_t payload, Py_ssize_t size,
                   str context="section export"):
    """Decode an export section payload into ExportColumns."""
    if not (0 <= payload and 0 <= size and payload + size <= buf.shape[0]):
        raise ValueError("export section range outside the buffer")
    cdef const uint8_t* p = &buf[0] if buf.shape[0] else EMPTY
    cdef Py_ssize_t end = payload + size, pos = payload, at, name_at
    cdef uint32_t count = 0, i, name_size = 0, index = 0
    cdef uint8_t kind
    cdef int err = read_u32(p, end, &pos, &count)
    if err:
        leb(err, payload, b"export count", context)
    if <uint64_t>count * 3 > <uint64_t>(end - pos):
        fail(f"export count {count} is larger than the {end - pos} bytes left can hold",
             payload, context)
    out = ExportColumns()
    cdef array.array no = out.name_offset, ns = out.name_size, kd = out.kind, ix = out.index
    for a in (no, ns, kd, ix):
        array.resize(a, count)
    for i in range(count):
        read_name(p, end, &pos, &name_at, &name_size, b"export name", context)
        at = pos
        read_byte(p, end, &pos, &kind, "export kind", context)
        if kind > 4:
            fail(f"invalid export kind 0x{kind:02x}", at, context)
        at = pos
        err = read_u32(p, end, &pos, &index)
        if err:
            leb(err, at, b"export index", context)
        no.data.as_ulonglongs[i] = name_at
        ns.data.as_uints[i] = name_size
        kd.data.as_uchars[i] = kind
        ix.data.as_uints[i] = index
    if pos != end:
        fail(f"export section has {end - pos} unexpected bytes at its end", pos, context)
    return out
