"""Section scanning: where every section, nested module and nested component of a binary lies.

Native because this is the first pass over every input (hundreds of archive members per link,
thousands of files per dedup run) and it must run at memory speed: it only hops from section
header to section header, reading the id, the size and, for custom sections, the name. Nothing
inside a section is decoded here (the style of wasmparser's Parser, and of lld's "do not read
section contents until needed").

Results are struct-of-arrays (``array.array`` columns), one row per section and one per unit
(the root and each nested core module or component), never one Python object per item. All
offsets are absolute in the buffer given, which the caller maps from the whole file, so they
are file offsets even for an archive member.
"""
from cpython cimport array
import array as _array
from libc.stdint cimport uint8_t, uint32_t, uint64_t, int32_t, int64_t

from _leb128 cimport read_u32, raise_leb_error
from _utf8 cimport check_utf8
from wasmlink.errors import ParseError

cdef enum:
    UNIT_MODULE = 0
    UNIT_COMPONENT = 1

MODULE = UNIT_MODULE
COMPONENT = UNIT_COMPONENT
MAX_NESTING = 100

# Rank of each core section id in the required order (custom sections, id 0, go anywhere).
# Tags (13) sit between memory and global, data count (12) between element and code.
cdef int CORE_RANK[14]
CORE_RANK[:] = [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6]

CORE_SECTION_NAMES = {
    0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global",
    7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "datacount", 13: "tag",
}
COMPONENT_SECTION_NAMES = {
    0: "custom", 1: "core module", 2: "core instance", 3: "core type", 4: "component",
    5: "instance", 6: "alias", 7: "type", 8: "canon", 9: "start", 10: "import", 11: "export",
    12: "value",
}


def validate_utf8(const uint8_t[::1] buf not None, Py_ssize_t start, Py_ssize_t size, what="name"):
    """Raise ParseError at the first byte that is not valid UTF-8 in buf[start:start+size]."""
    if size == 0:
        return
    cdef int bad = check_utf8(&buf[start], size)
    if bad >= 0:
        raise ParseError(f"invalid UTF-8 encoding in {what}", start + bad)


cdef class ScanResult:
    """Where everything is. Columns are ``array.array``; row i of the section columns is the
    i-th section in file order, row j of the unit columns the j-th unit in preorder (0 is the
    root)."""
    cdef public object section_unit, section_id, section_start, section_payload, section_size
    cdef public object section_name_offset, section_name_size
    cdef public object unit_kind, unit_parent, unit_depth, unit_start, unit_end
    cdef public object unit_first_section, unit_section_count, unit_section_index

    def __init__(self):
        self.section_unit = _array.array('I')
        self.section_id = _array.array('B')
        self.section_start = _array.array('Q')
        self.section_payload = _array.array('Q')
        self.section_size = _array.array('Q')
        self.section_name_offset = _array.array('Q')
        self.section_name_size = _array.array('I')
        self.unit_kind = _array.array('B')
        self.unit_parent = _array.array('i')
        self.unit_depth = _array.array('I')
        self.unit_start = _array.array('Q')
        self.unit_end = _array.array('Q')
        self.unit_first_section = _array.array('I')
        self.unit_section_count = _array.array('I')
        # for a nested unit: the row of the section (in its parent) that holds it; -1 for root
        self.unit_section_index = _array.array('i')

    @property
    def section_count(self):
        return len(self.section_id)

    @property
    def unit_count(self):
        return len(self.unit_kind)


cdef inline void push_u8(array.array a, uint8_t v):
    cdef Py_ssize_t n = len(a)
    array.resize_smart(a, n + 1)
    a.data.as_uchars[n] = v

cdef inline void push_u32(array.array a, uint32_t v):
    cdef Py_ssize_t n = len(a)
    array.resize_smart(a, n + 1)
    a.data.as_uints[n] = v

cdef inline void push_i32(array.array a, int32_t v):
    cdef Py_ssize_t n = len(a)
    array.resize_smart(a, n + 1)
    a.data.as_ints[n] = v

cdef inline void push_u64(array.array a, uint64_t v):
    cdef Py_ssize_t n = len(a)
    array.resize_smart(a, n + 1)
    a.data.as_ulonglongs[n] = v


cdef int read_preamble(const uint8_t* p, Py_ssize_t start, Py_ssize_t end) except -1:
    """Returns UNIT_MODULE or UNIT_COMPONENT after checking magic, version and layer."""
    if end - start < 8:
        if end - start < 4 or p[start] != 0 or p[start+1] != 0x61 or p[start+2] != 0x73 or p[start+3] != 0x6d:
            raise ParseError("unexpected end of input: expected the 8-byte wasm header (\\0asm and a version)", start)
        raise ParseError("unexpected end of input: expected a 4-byte version after \\0asm", start + 4)
    if not (p[start] == 0 and p[start+1] == 0x61 and p[start+2] == 0x73 and p[start+3] == 0x6d):
        raise ParseError("bad magic number: expected \\0asm", start)
    cdef uint32_t version = p[start+4] | (p[start+5] << 8)
    cdef uint32_t layer = p[start+6] | (p[start+7] << 8)
    if version == 1 and layer == 0:
        return UNIT_MODULE
    if version == 0x0d and layer == 1:
        return UNIT_COMPONENT
    if layer == 1:
        raise ParseError(f"unknown component version 0x{version:x}: expected 0xd", start + 4)
    raise ParseError(f"unknown binary version 0x{version:x} (layer {layer}): expected 1 for a "
                     f"core module or 0xd, layer 1 for a component", start + 4)


cdef int scan_unit(const uint8_t* p, Py_ssize_t start, Py_ssize_t end, int32_t parent,
                   uint32_t depth, int32_t holder, int expect, ScanResult out) except -1:
    cdef int kind = read_preamble(p, start, end)
    if expect >= 0 and kind != expect:
        raise ParseError("expected a core module here, found a component" if expect == UNIT_MODULE
                         else "expected a component here, found a core module", start)
    if depth > MAX_NESTING:
        raise ParseError(f"components nested more than {MAX_NESTING} deep", start)
    cdef uint32_t unit = len(out.unit_kind)
    push_u8(out.unit_kind, kind)
    push_i32(out.unit_parent, parent)
    push_u32(out.unit_depth, depth)
    push_u64(out.unit_start, start)
    push_u64(out.unit_end, end)
    push_u32(out.unit_first_section, len(out.section_id))
    push_u32(out.unit_section_count, 0)
    push_i32(out.unit_section_index, holder)

    cdef Py_ssize_t pos = start + 8
    cdef Py_ssize_t sec_start, payload, payload_end, name_pos
    cdef uint32_t size = 0, name_len = 0, count = 0
    cdef uint8_t sid
    cdef int err, rank, last_rank = 0
    cdef int32_t row
    while pos < end:
        sec_start = pos
        sid = p[pos]
        pos += 1
        if kind == UNIT_MODULE:
            if sid > 13:
                raise ParseError(f"malformed section id {sid}: expected 0 to 13", sec_start)
        elif sid > 12:
            raise ParseError(f"malformed component section id {sid}: expected 0 to 12", sec_start)
        err = read_u32(p, end, &pos, &size)
        if err:
            raise_leb_error(err, sec_start + 1, b"section size")
        payload = pos
        if <uint64_t>size > <uint64_t>(end - payload):
            raise ParseError(f"section size {size} runs past the end: {end - payload} bytes left "
                             f"(section id {sid})", sec_start + 1)
        payload_end = payload + size
        if kind == UNIT_MODULE and sid != 0:
            rank = CORE_RANK[sid]
            if rank <= last_rank:
                raise ParseError(f"{CORE_SECTION_NAMES[sid]} section out of order or repeated",
                                 sec_start)
            last_rank = rank
        name_pos = 0
        name_len = 0
        if sid == 0:
            name_pos = payload
            err = read_u32(p, payload_end, &name_pos, &name_len)
            if err:
                raise_leb_error(err, payload, b"custom section name length")
            if <uint64_t>name_len > <uint64_t>(payload_end - name_pos):
                raise ParseError(f"custom section name length {name_len} runs past the section end",
                                 payload)
            if name_len and check_utf8(p + name_pos, name_len) >= 0:
                raise ParseError("invalid UTF-8 encoding in custom section name",
                                 name_pos + check_utf8(p + name_pos, name_len))
        row = len(out.section_id)
        push_u32(out.section_unit, unit)
        push_u8(out.section_id, sid)
        push_u64(out.section_start, sec_start)
        push_u64(out.section_payload, payload)
        push_u64(out.section_size, size)
        push_u64(out.section_name_offset, name_pos)
        push_u32(out.section_name_size, name_len)
        count += 1
        if kind == UNIT_COMPONENT and (sid == 1 or sid == 4):
            (<array.array>out.unit_section_count).data.as_uints[unit] = count
            scan_unit(p, payload, payload_end, unit, depth + 1, row,
                      UNIT_MODULE if sid == 1 else UNIT_COMPONENT, out)
        pos = payload_end
    (<array.array>out.unit_section_count).data.as_uints[unit] = count
    return 0


def scan(const uint8_t[::1] buf not None, Py_ssize_t start=0, Py_ssize_t end=-1):
    """Scan the module or component in buf[start:end] (end -1: to the end of buf).

    Raises ParseError (offsets absolute in ``buf``) on a bad header, an unknown or misordered
    section id, a section running past the end or an overlong LEB128.
    """
    if end < 0:
        end = buf.shape[0]
    if not 0 <= start <= end <= buf.shape[0]:
        raise ValueError("scan range outside the buffer")
    out = ScanResult()
    cdef const uint8_t* p = &buf[0] if buf.shape[0] else <const uint8_t*>b""
    scan_unit(p, start, end, -1, 0, -1, -1, out)
    return out


def scan_code(const uint8_t[::1] buf not None, Py_ssize_t payload, Py_ssize_t size):
    """Function-body boundaries of a code section payload, in one pass.

    Returns (entry_offsets, body_offsets, body_sizes) as ``array.array`` columns: the entry is
    where the body's size field starts, the body is what follows it (locals, then code; the
    offsets R_WASM_FUNCTION_OFFSET_* count from there).
    """
    if not (0 <= payload and 0 <= size and payload + size <= buf.shape[0]):
        raise ValueError("code section range outside the buffer")
    cdef const uint8_t* p = &buf[0] if buf.shape[0] else <const uint8_t*>b""
    cdef Py_ssize_t end = payload + size
    cdef Py_ssize_t pos = payload
    cdef uint32_t count = 0, body_size = 0, i = 0
    cdef int err = read_u32(p, end, &pos, &count)
    if err:
        raise_leb_error(err, payload, b"function count")
    # every body takes at least two bytes (its size and a locals count): a count beyond that
    # cannot be honest, and must not size an allocation
    if <uint64_t>count > <uint64_t>((end - pos) // 2):
        raise ParseError(f"function count {count} is larger than the {end - pos} bytes left "
                         f"can hold", payload, context="section code")
    cdef array.array entries = _array.array('Q')
    cdef array.array bodies = _array.array('Q')
    cdef array.array sizes = _array.array('I')
    array.resize(entries, count)
    array.resize(bodies, count)
    array.resize(sizes, count)
    cdef unsigned long long* e = entries.data.as_ulonglongs
    cdef unsigned long long* b = bodies.data.as_ulonglongs
    cdef uint32_t* s = sizes.data.as_uints
    cdef Py_ssize_t entry = pos
    with nogil:
        for i in range(count):
            entry = pos
            err = read_u32(p, end, &pos, &body_size)
            if err:
                break
            if <uint64_t>body_size > <uint64_t>(end - pos):
                err = -1
                break
            e[i] = entry
            b[i] = pos
            s[i] = body_size
            pos += body_size
    if err > 0:
        raise_leb_error(err, entry, b"function body size")
    if err < 0:
        raise ParseError(f"function body {i} of size {body_size} runs past the end of the code "
                         f"section", entry, context="section code")
    if pos != end:
        raise ParseError(f"code section has {end - pos} bytes after its {count} function bodies",
                         pos, context="section code")
    return entries, bodies, sizes
