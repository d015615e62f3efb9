"""Relocations and symbol tables of relocatable objects: decoding now, applying later.

Native because a link reads every relocation and every symbol of every input: a libpython-scale
link has hundreds of thousands of each, and one Python object per entry (pyelftools' way) would
cost more than the rest of the link. Both decoders make one pass over the mapped bytes and fill
struct-of-arrays columns (``array.array``), sized from counts that were first checked against the
bytes present. Symbol names are not copied: the table records each name's file-absolute byte
range, and the Python view decodes a name only when asked (names were checked as UTF-8 here).

The relocation type table below (patch width, encoding, addend, what the index names) is the
single description of the R_WASM_* types: the decoder checks entries against it, and the
relocation applier (later, in this file) patches bytes by it, pyelftools-style: one generic loop
driven by per-type recipes.
"""
from collections import namedtuple

from cpython cimport array
import array as _array
from libc.stdint cimport uint8_t, uint32_t, uint64_t, int32_t, int64_t

from _leb128 cimport read_u32, read_s32, read_u64, read_s64, raise_leb_error
from wasmlink.errors import ParseError

# ---- relocation types -------------------------------------------------------------------------

cdef enum:
    RELOC_TYPE_COUNT = 27
    ENC_LEB = 0         # padded varuint (5 bytes, 10 for the 64-bit forms)
    ENC_SLEB = 1        # padded varint
    ENC_I32 = 2         # little-endian uint32
    ENC_I64 = 3         # little-endian uint64

# symbol kinds, as the symbol table encodes them
cdef enum:
    SYM_FUNCTION = 0
    SYM_DATA = 1
    SYM_GLOBAL = 2
    SYM_SECTION = 3
    SYM_TAG = 4
    SYM_TABLE = 5
    SYM_KIND_COUNT = 6

cdef enum:
    K_FUNCTION = 1 << SYM_FUNCTION
    K_DATA = 1 << SYM_DATA
    K_GLOBAL = 1 << SYM_GLOBAL
    K_SECTION = 1 << SYM_SECTION
    K_TAG = 1 << SYM_TAG
    K_TABLE = 1 << SYM_TABLE

cdef enum:
    FLAG_BINDING_MASK = 0x3
    FLAG_BINDING_LOCAL = 0x2
    FLAG_UNDEFINED = 0x10
    FLAG_EXPLICIT_NAME = 0x40

RELOC_NAMES = (
    "R_WASM_FUNCTION_INDEX_LEB", "R_WASM_TABLE_INDEX_SLEB", "R_WASM_TABLE_INDEX_I32",
    "R_WASM_MEMORY_ADDR_LEB", "R_WASM_MEMORY_ADDR_SLEB", "R_WASM_MEMORY_ADDR_I32",
    "R_WASM_TYPE_INDEX_LEB", "R_WASM_GLOBAL_INDEX_LEB", "R_WASM_FUNCTION_OFFSET_I32",
    "R_WASM_SECTION_OFFSET_I32", "R_WASM_TAG_INDEX_LEB", "R_WASM_MEMORY_ADDR_REL_SLEB",
    "R_WASM_TABLE_INDEX_REL_SLEB", "R_WASM_GLOBAL_INDEX_I32", "R_WASM_MEMORY_ADDR_LEB64",
    "R_WASM_MEMORY_ADDR_SLEB64", "R_WASM_MEMORY_ADDR_I64", "R_WASM_MEMORY_ADDR_REL_SLEB64",
    "R_WASM_TABLE_INDEX_SLEB64", "R_WASM_TABLE_INDEX_I64", "R_WASM_TABLE_NUMBER_LEB",
    "R_WASM_MEMORY_ADDR_TLS_SLEB", "R_WASM_FUNCTION_OFFSET_I64", "R_WASM_MEMORY_ADDR_LOCREL_I32",
    "R_WASM_TABLE_INDEX_REL_SLEB64", "R_WASM_MEMORY_ADDR_TLS_SLEB64", "R_WASM_FUNCTION_INDEX_I32",
)

# Bytes patched at the relocation's offset.
cdef uint8_t RELOC_WIDTH[RELOC_TYPE_COUNT]
RELOC_WIDTH[:] = [5, 5, 4, 5, 5, 4, 5, 5, 4, 4, 5, 5, 5, 4, 10, 10, 8, 10, 10, 8, 5, 5, 8, 4, 10,
                  10, 4]
cdef uint8_t RELOC_ENCODING[RELOC_TYPE_COUNT]
RELOC_ENCODING[:] = [ENC_LEB, ENC_SLEB, ENC_I32, ENC_LEB, ENC_SLEB, ENC_I32, ENC_LEB, ENC_LEB,
                     ENC_I32, ENC_I32, ENC_LEB, ENC_SLEB, ENC_SLEB, ENC_I32, ENC_LEB, ENC_SLEB,
                     ENC_I64, ENC_SLEB, ENC_SLEB, ENC_I64, ENC_LEB, ENC_SLEB, ENC_I64, ENC_I32,
                     ENC_SLEB, ENC_SLEB, ENC_I32]
# The addend that follows the index: 0 none, 32 a varint32, 64 a varint64 (as LLVM reads it:
# MEMORY_ADDR_*, FUNCTION_OFFSET_* and SECTION_OFFSET_I32; the 64-bit types take 64-bit addends).
cdef uint8_t RELOC_ADDEND[RELOC_TYPE_COUNT]
RELOC_ADDEND[:] = [0, 0, 0, 32, 32, 32, 0, 0, 32, 32, 0, 32, 0, 0, 64, 64, 64, 64, 0, 0, 0, 32,
                   64, 32, 0, 64, 0]
# The symbol kinds the index may name (a mask of 1 << kind); 0: the index is a type index, not
# a symbol. GLOBAL_INDEX_LEB may also name a function or data symbol: its GOT entry (PIC).
cdef uint8_t RELOC_SYMBOLS[RELOC_TYPE_COUNT]
RELOC_SYMBOLS[:] = [K_FUNCTION, K_FUNCTION, K_FUNCTION, K_DATA, K_DATA, K_DATA, 0,
                    K_GLOBAL | K_FUNCTION | K_DATA, K_FUNCTION, K_SECTION, K_TAG, K_DATA,
                    K_FUNCTION, K_GLOBAL, K_DATA, K_DATA, K_DATA, K_DATA, K_FUNCTION, K_FUNCTION,
                    K_TABLE, K_DATA, K_FUNCTION, K_DATA, K_FUNCTION, K_DATA, K_FUNCTION]

ENCODING_NAMES = ("LEB", "SLEB", "I32", "I64")
SYMBOL_KIND_NAMES = ("function", "data", "global", "section", "tag", "table")

RelocType = namedtuple("RelocType", "code name width encoding has_addend symbol_kinds")
RelocType.__doc__ = """One relocation type: ``width`` bytes patched, ``encoding`` one of LEB,
SLEB, I32, I64, ``symbol_kinds`` a mask of ``1 << kind`` for the symbols its index may name
(0: a type index)."""

RELOC_TYPES = tuple(
    RelocType(code, RELOC_NAMES[code], RELOC_WIDTH[code], ENCODING_NAMES[RELOC_ENCODING[code]],
              RELOC_ADDEND[code] != 0, RELOC_SYMBOLS[code])
    for code in range(RELOC_TYPE_COUNT))


def reloc_type_name(int code):
    """'R_WASM_...' for a known type, 'unknown relocation type N' otherwise."""
    if 0 <= code < RELOC_TYPE_COUNT:
        return RELOC_NAMES[code]
    return f"unknown relocation type {code}"


# ---- errors -----------------------------------------------------------------------------------

cdef const uint8_t* EMPTY = <const uint8_t*>b""

cdef enum:
    E_OK = 0
    # 1..3 are the LEB_* codes of _leb128
    E_END = 10
    E_TYPE = 11
    E_ORDER = 12
    E_RANGE = 13
    E_INDEX = 14
    E_KIND = 15


cdef int fail_leb(int code, Py_ssize_t offset, const char* what, context) except -1:
    try:
        raise_leb_error(code, offset, what)
    except ParseError as e:
        e.context = context
        raise


cdef inline int check_range(const uint8_t[::1] buf, Py_ssize_t start, Py_ssize_t size) except -1:
    if not (0 <= start and 0 <= size and start + size <= buf.shape[0]):
        raise ValueError("section range outside the buffer")
    return 0


# ---- relocation sections ----------------------------------------------------------------------

def decode_relocs(const uint8_t[::1] buf not None, Py_ssize_t payload, Py_ssize_t size,
                  Py_ssize_t target_size=-1, const uint8_t[::1] symbol_kind=None,
                  context="reloc section"):
    """Decode the payload of a ``reloc.*`` section (after its name) at buf[payload:payload+size].

    Returns ``(target, type, offset, index, addend)``: the target section's index and four
    ``array.array`` columns ('B', 'I', 'I', 'q'; addend 0 where the type has none), in file
    order. Checks, raising ParseError at the file-absolute offset: the count against the bytes
    left (each entry takes at least 3), known types, offsets in non-decreasing order (as LLVM
    requires), that every entry ends inside the section; and when given, that ``offset +
    width`` lies within ``target_size`` (the target's contents: for a custom section the bytes
    after its name), and that each index names a symbol of a kind the type allows, by the
    ``symbol_kind`` column of the object's symbol table.
    """
    check_range(buf, payload, size)
    cdef const uint8_t* p = &buf[0] if buf.shape[0] else EMPTY
    cdef Py_ssize_t end = payload + size
    cdef Py_ssize_t pos = payload
    cdef uint32_t target = 0, count = 0
    cdef int err = read_u32(p, end, &pos, &target)
    if err:
        fail_leb(err, payload, b"relocation target section", context)
    cdef Py_ssize_t count_at = pos
    err = read_u32(p, end, &pos, &count)
    if err:
        fail_leb(err, count_at, b"relocation count", context)
    if <uint64_t>count > <uint64_t>((end - pos) // 3):
        raise ParseError(f"relocation count {count} is larger than the {end - pos} bytes left "
                         f"can hold", count_at, context=context)

    cdef array.array types = _array.array('B')
    cdef array.array offsets = _array.array('I')
    cdef array.array indexes = _array.array('I')
    cdef array.array addends = _array.array('q')
    array.resize(types, count)
    array.resize(offsets, count)
    array.resize(indexes, count)
    array.resize(addends, count)
    cdef uint8_t* t = types.data.as_uchars
    cdef uint32_t* o = offsets.data.as_uints
    cdef uint32_t* x = indexes.data.as_uints
    cdef int64_t* a = <int64_t*>addends.data.as_longlongs

    cdef const uint8_t* kinds = NULL
    cdef Py_ssize_t nsyms = -1
    if symbol_kind is not None:
        nsyms = symbol_kind.shape[0]
        kinds = &symbol_kind[0] if nsyms else EMPTY

    cdef uint32_t i = 0, offset = 0, index = 0, prev = 0
    cdef uint8_t rtype = 0
    cdef int32_t add32 = 0
    cdef int64_t add64 = 0
    cdef Py_ssize_t entry = pos, at = pos
    cdef const char* what = b""
    with nogil:
        for i in range(count):
            entry = pos
            at = pos
            if pos >= end:
                err = E_END
                break
            rtype = p[pos]
            pos += 1
            if rtype >= RELOC_TYPE_COUNT:
                err = E_TYPE
                break
            at = pos
            what = b"relocation offset"
            err = read_u32(p, end, &pos, &offset)
            if err:
                break
            if offset < prev:
                err = E_ORDER
                break
            if target_size >= 0 and <uint64_t>offset + RELOC_WIDTH[rtype] > <uint64_t>target_size:
                err = E_RANGE
                break
            prev = offset
            at = pos
            what = b"relocation index"
            err = read_u32(p, end, &pos, &index)
            if err:
                break
            if nsyms >= 0 and RELOC_SYMBOLS[rtype] != 0:
                if index >= nsyms:
                    err = E_INDEX
                    break
                if (kinds[index] >= SYM_KIND_COUNT
                        or not (RELOC_SYMBOLS[rtype] & (1 << kinds[index]))):
                    err = E_KIND
                    break
            at = pos
            what = b"relocation addend"
            if RELOC_ADDEND[rtype] == 32:
                err = read_s32(p, end, &pos, &add32)
                add64 = add32
            elif RELOC_ADDEND[rtype] == 64:
                err = read_s64(p, end, &pos, &add64)
            else:
                add64 = 0
            if err:
                break
            t[i] = rtype
            o[i] = offset
            x[i] = index
            a[i] = add64
    if err:
        if err < E_END:
            fail_leb(err, at, what, context)
        if err == E_END:
            raise ParseError(f"unexpected end of reloc section: entry {i} of {count} is missing",
                             at, context=context)
        name = RELOC_NAMES[rtype] if rtype < RELOC_TYPE_COUNT else ""
        if err == E_TYPE:
            raise ParseError(f"invalid relocation type: {rtype}", at, context=context)
        if err == E_ORDER:
            raise ParseError(f"relocations not in offset order: {name} at 0x{offset:x} follows "
                             f"one at 0x{prev:x}", at, context=context)
        if err == E_RANGE:
            raise ParseError(f"invalid relocation offset: {name} at 0x{offset:x} patches "
                             f"{RELOC_WIDTH[rtype]} bytes, past the end of the target section "
                             f"(size 0x{target_size:x})", at, context=context)
        if err == E_INDEX:
            raise ParseError(f"invalid relocation index: {name} names symbol {index}, but the "
                             f"symbol table has {nsyms}", at, context=context)
        kind = (SYMBOL_KIND_NAMES[kinds[index]] if kinds[index] < SYM_KIND_COUNT
                else f"kind {kinds[index]}")
        raise ParseError(f"invalid relocation: {name} cannot name symbol {index}, a {kind} "
                         f"symbol", at, context=context)
    if pos != end:
        raise ParseError(f"reloc section has {end - pos} bytes after its {count} entries", pos,
                         context=context)
    return target, types, offsets, indexes, addends


# ---- the symbol table (linking subsection 8) --------------------------------------------------

cdef int is_ascii(const uint8_t* s, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t k
    for k in range(n):
        if s[k] & 0x80:
            return 0
    return 1


cdef class SymbolColumns:
    """The symbol table as columns, row i being symbol i. ``index`` is the function, global,
    tag or table index (an import's when undefined), the data segment of a defined data symbol,
    or the section of a section symbol; ``offset`` and ``size`` are a defined data symbol's
    place in its segment. ``name_offset`` is file-absolute, 0 when the entry spells no name
    (an import's name is used, or a section's)."""
    cdef public object kind, flags, index, offset, size, name_offset, name_size

    def __len__(self):
        return len(self.kind)


cdef int read_name(const uint8_t* p, Py_ssize_t end, Py_ssize_t* pos, uint64_t* name_at,
                   uint32_t* name_len, const uint8_t[::1] buf, context) except -1:
    cdef Py_ssize_t start = pos[0]
    cdef int err = read_u32(p, end, pos, name_len)
    if err:
        fail_leb(err, start, b"symbol name length", context)
    if <uint64_t>name_len[0] > <uint64_t>(end - pos[0]):
        raise ParseError(f"symbol name length {name_len[0]} runs past the end of the symbol "
                         f"table ({end - pos[0]} bytes left)", start, context=context)
    name_at[0] = pos[0]
    if not is_ascii(p + pos[0], name_len[0]):
        from wasmlink._native.scan import validate_utf8      # rare: names are nearly all ASCII
        try:
            validate_utf8(buf, pos[0], name_len[0], "symbol name")
        except ParseError as e:
            e.context = context
            raise
    pos[0] += name_len[0]
    return 0


def decode_symbol_table(const uint8_t[::1] buf not None, Py_ssize_t start, Py_ssize_t size,
                        context="linking symbol table"):
    """Decode a WASM_SYMBOL_TABLE subsection payload at buf[start:start+size] into a
    SymbolColumns. It must fill the subsection exactly. Raises ParseError on an unknown symbol
    kind, a count larger than the bytes can hold (each entry takes at least 3), a name running
    past the end or not UTF-8, and a section symbol without local binding (as LLVM does)."""
    check_range(buf, start, size)
    cdef const uint8_t* p = &buf[0] if buf.shape[0] else EMPTY
    cdef Py_ssize_t end = start + size
    cdef Py_ssize_t pos = start
    cdef uint32_t count = 0
    cdef int err = read_u32(p, end, &pos, &count)
    if err:
        fail_leb(err, start, b"symbol count", context)
    if <uint64_t>count > <uint64_t>((end - pos) // 3):
        raise ParseError(f"symbol count {count} is larger than the {end - pos} bytes left can "
                         f"hold", start, context=context)

    cdef SymbolColumns out = SymbolColumns()
    cdef array.array kind_a = _array.array('B')
    cdef array.array flags_a = _array.array('I')
    cdef array.array index_a = _array.array('I')
    cdef array.array offset_a = _array.array('Q')
    cdef array.array size_a = _array.array('Q')
    cdef array.array name_offset_a = _array.array('Q')
    cdef array.array name_size_a = _array.array('I')
    array.resize(kind_a, count)
    array.resize(flags_a, count)
    array.resize(index_a, count)
    array.resize(offset_a, count)
    array.resize(size_a, count)
    array.resize(name_offset_a, count)
    array.resize(name_size_a, count)
    cdef uint8_t* kinds = kind_a.data.as_uchars
    cdef uint32_t* flags = flags_a.data.as_uints
    cdef uint32_t* indexes = index_a.data.as_uints
    cdef uint64_t* offsets = <uint64_t*>offset_a.data.as_ulonglongs
    cdef uint64_t* sizes = <uint64_t*>size_a.data.as_ulonglongs
    cdef uint64_t* name_offsets = <uint64_t*>name_offset_a.data.as_ulonglongs
    cdef uint32_t* name_sizes = name_size_a.data.as_uints

    cdef uint32_t i, f = 0, index = 0, name_len = 0
    cdef uint64_t name_at = 0, value = 0
    cdef uint8_t kind
    cdef Py_ssize_t entry, at
    for i in range(count):
        entry = pos
        if pos >= end:
            raise ParseError(f"unexpected end of symbol table: symbol {i} of {count} is missing",
                             pos, context=context)
        kind = p[pos]
        pos += 1
        if kind >= SYM_KIND_COUNT:
            raise ParseError(f"invalid symbol type: {kind} (symbol {i})", entry, context=context)
        at = pos
        err = read_u32(p, end, &pos, &f)
        if err:
            fail_leb(err, at, b"symbol flags", context)
        index = 0
        name_at = 0
        name_len = 0
        offsets[i] = 0
        sizes[i] = 0
        if kind == SYM_DATA:
            read_name(p, end, &pos, &name_at, &name_len, buf, context)
            if not (f & FLAG_UNDEFINED):
                at = pos
                err = read_u32(p, end, &pos, &index)
                if err:
                    fail_leb(err, at, b"data symbol segment", context)
                at = pos
                err = read_u64(p, end, &pos, &value)
                if err:
                    fail_leb(err, at, b"data symbol offset", context)
                offsets[i] = value
                at = pos
                err = read_u64(p, end, &pos, &value)
                if err:
                    fail_leb(err, at, b"data symbol size", context)
                sizes[i] = value
        elif kind == SYM_SECTION:
            if (f & FLAG_BINDING_MASK) != FLAG_BINDING_LOCAL:
                raise ParseError(f"section symbols must have local binding (symbol {i})", entry,
                                 context=context)
            at = pos
            err = read_u32(p, end, &pos, &index)
            if err:
                fail_leb(err, at, b"section symbol section", context)
        else:
            at = pos
            err = read_u32(p, end, &pos, &index)
            if err:
                fail_leb(err, at, b"symbol index", context)
            # a defined symbol spells its name; an import's symbol takes the import's name
            # unless it has an explicit one
            if not (f & FLAG_UNDEFINED) or (f & FLAG_EXPLICIT_NAME):
                read_name(p, end, &pos, &name_at, &name_len, buf, context)
        kinds[i] = kind
        flags[i] = f
        indexes[i] = index
        name_offsets[i] = name_at
        name_sizes[i] = name_len
    if pos != end:
        raise ParseError(f"symbol table has {end - pos} bytes after its {count} symbols", pos,
                         context=context)
    out.kind = kind_a
    out.flags = flags_a
    out.index = index_a
    out.offset = offset_a
    out.size = size_a
    out.name_offset = name_offset_a
    out.name_size = name_size_a
    return out
