"""Relocations and symbol tables of relocatable objects: decoding them, and applying them.

Native because a link reads every relocation and every symbol of every input: a libpython-scale
link has hundreds of thousands of each, and one Python object per entry (pyelftools' way) would
cost more than the rest of the link. Both decoders make one pass over the mapped bytes and fill
struct-of-arrays columns (``array.array``), sized from counts that were first checked against the
bytes present. Symbol names are not copied: the table records each name's file-absolute byte
range, and the Python view decodes a name only when asked (names were checked as UTF-8 here).

The relocation type table below (patch width, encoding, addend, what the index names) is the
single description of the R_WASM_* types: the decoder checks entries against it, and the
relocation applier (copy_and_relocate, at the end of this file) patches bytes by it,
pyelftools-style: one generic loop driven by per-type recipes.
"""
from collections import namedtuple

from cpython cimport array
import array as _array
from libc.stdint cimport uint8_t, uint32_t, uint64_t, int32_t, int64_t
from libc.string cimport memchr, memcpy
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.unicode cimport PyUnicode_DecodeUTF8

from _leb128 cimport read_u32, read_s32, read_u64, read_s64, raise_leb_error
from _utf8 cimport check_utf8
from wasmlink.errors import ParseError, WasmlinkError

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


cdef array.array column(str typecode, Py_ssize_t n):
    """A typed column of n entries (the caller has checked n against the bytes present)."""
    cdef array.array a = _array.array(typecode)
    array.resize(a, n)
    return a

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

    cdef array.array types = column('B', count)
    cdef array.array offsets = column('I', count)
    cdef array.array indexes = column('I', count)
    cdef array.array addends = column('q', count)
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
    (an import's name is used, or a section's). ``names`` holds the names the entries spell,
    decoded (None where an entry spells none): a link asks for every one of them."""
    cdef public object kind, flags, index, offset, size, name_offset, name_size, names

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
    cdef array.array kind_a = column('B', count)
    cdef array.array flags_a = column('I', count)
    cdef array.array index_a = column('I', count)
    cdef array.array offset_a = column('Q', count)
    cdef array.array size_a = column('Q', count)
    cdef array.array name_offset_a = column('Q', count)
    cdef array.array name_size_a = column('I', count)
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
    cdef list names = [None] * count
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
        if name_at:
            # checked as UTF-8 by read_name
            names[i] = PyUnicode_DecodeUTF8(<const char*>(p + name_at), name_len, NULL)
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
    out.names = names
    return out


# ---- segment info and comdats (linking subsections 5 and 7) ----------------------------------
#
# Fast paths: each returns None at the first thing that is not plainly valid, and the caller
# then decodes the subsection in Python, which raises the precise error. So these only need to
# accept exactly what the Python readers accept (same LEB128 and UTF-8 rules, same checks).

cdef object plain_name(const uint8_t* p, Py_ssize_t end, Py_ssize_t* pos):
    """A valid name at p[pos], decoded (pos moves past it); None if it is not one."""
    cdef uint32_t size = 0
    if read_u32(p, end, pos, &size):
        return None
    if <uint64_t>size > <uint64_t>(end - pos[0]) or check_utf8(p + pos[0], size) >= 0:
        return None
    name = PyUnicode_DecodeUTF8(<const char*>(p + pos[0]), size, NULL)
    pos[0] += size
    return name


def segment_info_columns(const uint8_t[::1] buf not None, Py_ssize_t start, Py_ssize_t size):
    """A WASM_SEGMENT_INFO payload at buf[start:start+size] as ``(names, alignments, flags)``
    (a list and two lists of ints), or None when it is not plainly valid."""
    check_range(buf, start, size)
    cdef const uint8_t* p = &buf[0] if buf.shape[0] else EMPTY
    cdef Py_ssize_t end = start + size, pos = start
    cdef uint32_t count = 0, i, alignment = 0, flags = 0
    if read_u32(p, end, &pos, &count) or <uint64_t>count > <uint64_t>((end - pos) // 3):
        return None
    cdef list names = [], alignments = [], all_flags = []
    for i in range(count):
        name = plain_name(p, end, &pos)
        if name is None or read_u32(p, end, &pos, &alignment) or read_u32(p, end, &pos, &flags):
            return None
        names.append(name)
        alignments.append(alignment)
        all_flags.append(flags)
    if pos != end:
        return None
    return names, alignments, all_flags


def comdat_entries(const uint8_t[::1] buf not None, Py_ssize_t start, Py_ssize_t size):
    """A WASM_COMDAT_INFO payload at buf[start:start+size] as a list of ``(name, flags,
    ((kind, index), ...))``, or None when it is not plainly valid (names empty or repeated,
    flags set, an entry kind past WASM_COMDAT_SECTION, ...)."""
    check_range(buf, start, size)
    cdef const uint8_t* p = &buf[0] if buf.shape[0] else EMPTY
    cdef Py_ssize_t end = start + size, pos = start
    cdef uint32_t count = 0, i, flags = 0, nentries = 0, k, kind = 0, index = 0
    if read_u32(p, end, &pos, &count) or <uint64_t>count > <uint64_t>((end - pos) // 3):
        return None
    cdef list out = []
    cdef set seen = set()
    for i in range(count):
        name = plain_name(p, end, &pos)
        if not name or name in seen:
            return None
        seen.add(name)
        if read_u32(p, end, &pos, &flags) or flags:
            return None
        if read_u32(p, end, &pos, &nentries) or <uint64_t>nentries > <uint64_t>((end - pos) // 2):
            return None
        entries = []
        for k in range(nentries):
            if read_u32(p, end, &pos, &kind) or kind > 5 or read_u32(p, end, &pos, &index):
                return None
            entries.append((kind, index))
        out.append((name, flags, tuple(entries)))
    if pos != end:
        return None
    return out


# ---- applying relocations ---------------------------------------------------------------------
#
# mold's way: each input section is copied into the output chunk by chunk and every relocation
# of a chunk is patched right after its bytes land, while they are still in cache. One call per
# input section, one pass over its (sorted) relocations beside its (sorted) chunks, no GIL.
#
# The values are wasm-ld's (lld/wasm/InputFiles.cpp, ObjFile::calcNewValue), computed from
# per-symbol columns that the Python side fills once per input file after layout:
#   - a dead symbol (not live: collected by --gc-sections, or dropped with a COMDAT) gives the
#     section's tombstone if it has one, else the addend, for every type but TYPE_INDEX_LEB and
#     SECTION_OFFSET_I32 (section symbols are never dead);
#   - TABLE_INDEX_*: the function's table slot, 0 if it has none; the REL forms subtract the
#     table base in 32-bit arithmetic, as lld does;
#   - MEMORY_ADDR_*: the address plus the addend, 0 for an undefined, weak undefined or shared
#     data symbol (the addend is dropped too); the REL, TLS and LOCREL forms subtract
#     memory_base, tls_base and the address of the patched bytes;
#   - FUNCTION_OFFSET_*: the function's body offset plus the addend, or, for an undefined
#     function, the tombstone if any, else the addend;
#   - GLOBAL_INDEX_*: the global's index, or for a function or data symbol its GOT entry's;
#   - TYPE_INDEX_LEB: the type map; SECTION_OFFSET_I32: the section's output offset plus the
#     addend; the other index types: the symbol's output index.
# wasm-ld subtracts no memory or TLS base itself: its PIC layout starts at 0 and the address of
# a TLS symbol is its offset in the TLS segment, for every type. Given such values, pass
# memory_base = tls_base = 0 for its output.
# lld then truncates to the field (5-byte LEBs and I32s take the low 32 bits). Here a value
# that does not fit is an error instead, RelocationRangeError: a 32-bit field takes any value
# in [-2**31, 2**32), read as signed or unsigned (an address of 3 GB in an i32.const is fine,
# written as negative, and so is a tombstone of -1), which is everything lld's truncation
# leaves meaningful.

# How each type's value is computed (given a live symbol), by type code. Most types are one
# recipe, V_PLAIN: sym_value + addend (if the type has one) - a base (none, memory_base,
# tls_base, or the address of the patched bytes), so that a stream of mixed types takes few
# data-dependent branches.
cdef enum:
    V_PLAIN = 0             # function, tag, table number, memory address, section offset
    V_TABLE = 1             # sym_table_index, less table_base for the REL forms (32-bit)
    V_GLOBAL = 2            # sym_global_index (sym_value when not given)
    V_FUNCTION_OFFSET = 3   # sym_code_offset + addend
    V_TYPE = 4              # type_map[index]

cdef enum:
    B_NONE = 0
    B_MEMORY = 1
    B_TLS = 2
    B_HERE = 3              # LOCREL: the memory address of the patched bytes

cdef uint8_t RELOC_VALUE[RELOC_TYPE_COUNT]
RELOC_VALUE[:] = [V_PLAIN, V_TABLE, V_TABLE, V_PLAIN, V_PLAIN, V_PLAIN, V_TYPE, V_GLOBAL,
                  V_FUNCTION_OFFSET, V_PLAIN, V_PLAIN, V_PLAIN, V_TABLE, V_GLOBAL, V_PLAIN,
                  V_PLAIN, V_PLAIN, V_PLAIN, V_TABLE, V_TABLE, V_PLAIN, V_PLAIN,
                  V_FUNCTION_OFFSET, V_PLAIN, V_TABLE, V_PLAIN, V_PLAIN]
cdef uint8_t RELOC_BASE[RELOC_TYPE_COUNT]
RELOC_BASE[:] = [B_NONE, B_NONE, B_NONE, B_NONE, B_NONE, B_NONE, B_NONE, B_NONE, B_NONE, B_NONE,
                 B_NONE, B_MEMORY, B_NONE, B_NONE, B_NONE, B_NONE, B_NONE, B_MEMORY, B_NONE,
                 B_NONE, B_NONE, B_TLS, B_NONE, B_HERE, B_NONE, B_TLS, B_NONE]
# TABLE_INDEX_REL_SLEB(64) subtract the table base
cdef uint8_t RELOC_TABLE_REL[RELOC_TYPE_COUNT]
RELOC_TABLE_REL[:] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
                      0, 0]

# Bits of sym_state.
cdef enum:
    S_DEAD = 1          # not live: the tombstone (or the addend) is written
    S_UNDEFINED = 2     # no definition in the output: MEMORY_ADDR_* write 0, FUNCTION_OFFSET_*
                        # the tombstone (or the addend)
    S_NO_SLOT = 4       # a function without a table slot: TABLE_INDEX_* write 0

SYMBOL_DEAD = S_DEAD
SYMBOL_UNDEFINED = S_UNDEFINED
SYMBOL_NO_SLOT = S_NO_SLOT

# The state bits that make a type write its dead value (all but SECTION_OFFSET_I32, whose
# section symbols are never dead, and TYPE_INDEX_LEB, which names no symbol), and those that
# make it write 0 (undefined data for MEMORY_ADDR_*, no slot for TABLE_INDEX_*).
cdef uint8_t RELOC_DEAD_BITS[RELOC_TYPE_COUNT]
cdef uint8_t RELOC_ZERO_BITS[RELOC_TYPE_COUNT]
cdef uint64_t RELOC_ADDEND_MASK[RELOC_TYPE_COUNT]
# How the field is written: 5 or 10 bytes of LEB (SLEB when RELOC_ENCODING says so), 4 or 8
# little-endian bytes.
cdef enum:
    F_LEB5 = 0
    F_I32 = 1           # (the 32-bit forms first: form <= F_I32 is a 32-bit field)
    F_LEB10 = 2
    F_I64 = 3
cdef uint8_t RELOC_FORM[RELOC_TYPE_COUNT]
for _code in range(RELOC_TYPE_COUNT):
    _name = RELOC_NAMES[_code]
    RELOC_DEAD_BITS[_code] = (0 if _name in ("R_WASM_TYPE_INDEX_LEB", "R_WASM_SECTION_OFFSET_I32")
                              else S_DEAD)
    RELOC_ZERO_BITS[_code] = (S_UNDEFINED if RELOC_SYMBOLS[_code] == K_DATA else
                              S_NO_SLOT if "TABLE_INDEX" in _name else 0)
    RELOC_ADDEND_MASK[_code] = 0xffffffffffffffff if RELOC_ADDEND[_code] else 0
    RELOC_FORM[_code] = {5: F_LEB5, 10: F_LEB10, 4: F_I32, 8: F_I64}[RELOC_WIDTH[_code]]


cdef enum:
    E_STRADDLE = 20
    E_OUTSIDE = 21
    E_VALUE = 22
    E_CHUNK_ORDER = 23
    E_CHUNK_INPUT = 24
    E_CHUNK_OUTPUT = 25

cdef int64_t FIELD32_MIN = -0x80000000
cdef int64_t FIELD32_MAX = 0xffffffff


def section_tombstone(name):
    """The value wasm-ld writes in custom section ``name`` for a relocation against a dead
    symbol (InputSection::getTombstoneForSection): -2 in .debug_ranges and .debug_loc, where -1
    already means something, -1 in other .debug_* and llvm.func_attr.* sections, 0 (none: the
    addend is written) elsewhere, and in the code and data sections."""
    if name in (".debug_ranges", ".debug_loc"):
        return -2
    if name.startswith(".debug_") or name.startswith("llvm.func_attr."):
        return -1
    return 0


class RelocationRangeError(WasmlinkError, ValueError):
    """A relocation value that does not fit its field (wasm-ld would write it truncated).
    ``offset`` is file-absolute in the input; ``reloc_type``, ``symbol`` (a type index for
    R_WASM_TYPE_INDEX_LEB) and ``value`` (as a signed 64-bit integer) say which and what."""

    def __init__(self, message, offset, *, reloc_type, symbol, value, context=None):
        super().__init__(message)
        self.offset = offset
        self.context = context
        self.reloc_type = reloc_type
        self.symbol = symbol
        self.value = value

    def __str__(self):
        where = f" (at offset 0x{self.offset:x}" + (f" in {self.context})" if self.context
                                                      else ")")
        return f"{self.path}: {self.message}{where}" if self.path else self.message + where


# The padded LEB writers of _leb128 take the sign as a branch; these take it as a mask, so that
# one path writes both LEB and SLEB (sign: 0, or 1 for SLEB), bytes equal to write_padded_*.
cdef inline void put_leb5(uint8_t* q, uint32_t v, uint32_t sign) noexcept nogil:
    q[0] = (v & 0x7f) | 0x80
    q[1] = ((v >> 7) & 0x7f) | 0x80
    q[2] = ((v >> 14) & 0x7f) | 0x80
    q[3] = ((v >> 21) & 0x7f) | 0x80
    q[4] = ((v >> 28) & 0x0f) | (0x70 & (0 - (sign & (v >> 31))))


cdef inline void put_leb10(uint8_t* q, uint64_t v, uint64_t sign) noexcept nogil:
    cdef int k
    for k in range(9):
        q[k] = ((v >> (7 * k)) & 0x7f) | 0x80
    q[9] = ((v >> 63) & 1) | (0x7e & (0 - (sign & (v >> 63))))


cdef inline void store_le(uint8_t* q, uint64_t v, int n) noexcept nogil:
    cdef int k
    for k in range(n):
        q[k] = <uint8_t>(v >> (8 * k))


def copy_and_relocate(uint8_t[::1] out not None, const uint8_t[::1] inp not None,
                      Py_ssize_t section_start,
                      const uint32_t[::1] chunk_start not None,
                      const uint32_t[::1] chunk_end not None,
                      const int64_t[::1] chunk_out not None,
                      const int64_t[::1] chunk_address not None,
                      const uint8_t[::1] reloc_type not None,
                      const uint32_t[::1] reloc_offset not None,
                      const uint32_t[::1] reloc_index not None,
                      const int64_t[::1] reloc_addend not None,
                      const uint64_t[::1] sym_value not None,
                      const uint32_t[::1] sym_table_index not None,
                      const uint64_t[::1] sym_code_offset not None,
                      const uint32_t[::1] type_map not None,
                      int64_t tls_base, int64_t memory_base, int64_t table_base,
                      const uint8_t[::1] sym_state not None,
                      *, int64_t tombstone=0, const uint32_t[::1] sym_global_index=None,
                      context=None):
    """Copy the live chunks of one input section into ``out`` and patch their relocations.

    The section's contents start at ``inp[section_start]``; chunk i is
    ``[chunk_start[i], chunk_end[i])`` from there (a function body with its size field, a data
    segment's bytes, or a whole custom section), sorted and non-overlapping, and every chunk of
    the section must be listed. It is copied to ``out[chunk_out[i]:]``, or dropped when
    ``chunk_out[i]`` is -1; ``chunk_address[i]`` is where a data chunk is loaded in memory
    (for MEMORY_ADDR_LOCREL_I32). The relocation columns are decode_relocs'.

    Per input symbol: ``sym_value`` (a function, tag or global index, a table number, a data
    address, or a section symbol's section's output offset), ``sym_table_index`` (its slot in
    the indirect function table), ``sym_code_offset`` (for FUNCTION_OFFSET_*: where the
    function's body, after its size field, is in the output code section's contents), and
    ``sym_state`` (bits SYMBOL_DEAD, SYMBOL_UNDEFINED, SYMBOL_NO_SLOT). ``sym_global_index``,
    when given, is what GLOBAL_INDEX_* write: a global's index, or the GOT entry of a
    function or data symbol (needed when an object has such GOT relocations: PIC); without
    it they write ``sym_value``. ``type_map`` maps the input's type indices (TYPE_INDEX_LEB)
    to the output's. ``tls_base``, ``memory_base`` and ``table_base`` are subtracted by the
    TLS, REL (memory) and TABLE_INDEX_REL forms (wasm-ld's values: see the notes above);
    ``tombstone`` is written for dead symbols (section_tombstone(name); 0 for code and data).

    Returns the number of relocations applied (those in dropped chunks are skipped). Raises
    ParseError (file-absolute offset) for an unknown type, relocations out of order, one that
    lies outside every chunk or straddles a chunk's end, or an index past the symbol columns
    or the type map; RelocationRangeError for a value that does not fit its field; ValueError
    for columns of different lengths and for chunks that are unsorted or do not fit ``inp``
    or ``out``. On error ``out`` is partly written.
    """
    cdef Py_ssize_t nchunks = chunk_start.shape[0]
    cdef Py_ssize_t nrelocs = reloc_type.shape[0]
    cdef Py_ssize_t nsyms = sym_value.shape[0]
    cdef Py_ssize_t ntypes = type_map.shape[0]
    if chunk_end.shape[0] != nchunks or chunk_out.shape[0] != nchunks \
            or chunk_address.shape[0] != nchunks:
        raise ValueError("chunk columns of different lengths")
    if reloc_offset.shape[0] != nrelocs or reloc_index.shape[0] != nrelocs \
            or reloc_addend.shape[0] != nrelocs:
        raise ValueError("relocation columns of different lengths")
    if sym_table_index.shape[0] != nsyms or sym_code_offset.shape[0] != nsyms \
            or sym_state.shape[0] != nsyms \
            or (sym_global_index is not None and sym_global_index.shape[0] != nsyms):
        raise ValueError("symbol columns of different lengths")
    cdef Py_ssize_t inp_size = inp.shape[0]
    cdef Py_ssize_t out_size = out.shape[0]
    if not 0 <= section_start <= inp_size:
        raise ValueError(f"section start {section_start} outside the input ({inp_size} bytes)")

    cdef const uint8_t* src = &inp[0] if inp_size else EMPTY
    cdef uint8_t* dst = &out[0] if out_size else NULL
    cdef const uint32_t* cstart = &chunk_start[0] if nchunks else NULL
    cdef const uint32_t* cend = &chunk_end[0] if nchunks else NULL
    cdef const int64_t* cout = &chunk_out[0] if nchunks else NULL
    cdef const int64_t* caddr = &chunk_address[0] if nchunks else NULL
    cdef const uint8_t* rtypes = &reloc_type[0] if nrelocs else EMPTY
    cdef const uint32_t* roffs = &reloc_offset[0] if nrelocs else NULL
    cdef const uint32_t* rindex = &reloc_index[0] if nrelocs else NULL
    cdef const int64_t* radd = &reloc_addend[0] if nrelocs else NULL
    cdef const uint64_t* svalue = &sym_value[0] if nsyms else NULL
    cdef const uint32_t* stable = &sym_table_index[0] if nsyms else NULL
    cdef const uint64_t* scode = &sym_code_offset[0] if nsyms else NULL
    cdef const uint8_t* sstate = &sym_state[0] if nsyms else EMPTY
    cdef const uint32_t* sglobal = NULL
    if sym_global_index is not None and nsyms:
        sglobal = &sym_global_index[0]
    cdef const uint32_t* tmap = &type_map[0] if ntypes else NULL
    cdef uint64_t tomb = <uint64_t>tombstone

    cdef Py_ssize_t c = 0, r = 0, applied = 0
    cdef uint64_t cs = 0, ce = 0, prev_end = 0, off = 0, prev_off = 0, value = 0
    cdef int64_t at = 0, sv = 0
    cdef uint32_t x = 0
    cdef uint8_t t = 0, vclass = 0, state = 0, width = 0, form = 0
    cdef uint32_t sign = 0
    cdef uint8_t* q = NULL
    cdef uint32_t table_bases[2]
    table_bases[0] = 0
    table_bases[1] = <uint32_t>table_base         # 32-bit arithmetic, as lld's
    cdef uint64_t bases[4]
    bases[B_NONE] = 0
    bases[B_MEMORY] = <uint64_t>memory_base
    bases[B_TLS] = <uint64_t>tls_base
    bases[B_HERE] = 0
    cdef int err = E_OK
    with nogil:
        for c in range(nchunks):
            cs = cstart[c]
            ce = cend[c]
            at = cout[c]
            if cs > ce or cs < prev_end:
                err = E_CHUNK_ORDER
                break
            if <uint64_t>section_start + ce > <uint64_t>inp_size:
                err = E_CHUNK_INPUT
                break
            if at < -1 or (at >= 0 and <uint64_t>at + (ce - cs) > <uint64_t>out_size):
                err = E_CHUNK_OUTPUT
                break
            prev_end = ce
            if at >= 0 and ce > cs:
                memcpy(dst + at, src + section_start + cs, ce - cs)
            while r < nrelocs:
                t = rtypes[r]
                off = roffs[r]
                if t >= RELOC_TYPE_COUNT:
                    err = E_TYPE
                    break
                if off < prev_off:
                    err = E_ORDER
                    break
                if off >= ce:
                    break               # the next chunk's
                prev_off = off
                if off < cs:
                    err = E_OUTSIDE
                    break
                width = RELOC_WIDTH[t]
                if off + width > ce:
                    err = E_STRADDLE
                    break
                if at < 0:
                    r += 1
                    continue
                x = rindex[r]
                vclass = RELOC_VALUE[t]
                if vclass == V_TYPE:
                    if x >= ntypes:
                        err = E_INDEX
                        break
                    value = tmap[x]
                else:
                    if x >= nsyms:
                        err = E_INDEX
                        break
                    state = sstate[x]
                    if state & RELOC_DEAD_BITS[t]:
                        value = tomb if tomb else <uint64_t>radd[r]
                    else:
                        if vclass == V_PLAIN:
                            bases[B_HERE] = <uint64_t>caddr[c] + (off - cs)
                            value = (svalue[x] + (<uint64_t>radd[r] & RELOC_ADDEND_MASK[t])
                                     - bases[RELOC_BASE[t]])
                        elif vclass == V_TABLE:
                            value = <uint32_t>(stable[x] - table_bases[RELOC_TABLE_REL[t]])
                        elif vclass == V_GLOBAL:
                            value = sglobal[x] if sglobal != NULL else svalue[x]
                        elif state & S_UNDEFINED:     # V_FUNCTION_OFFSET, of an import
                            value = tomb if tomb else <uint64_t>radd[r]
                        else:
                            value = scode[x] + <uint64_t>radd[r]
                        if state & RELOC_ZERO_BITS[t]:
                            value = 0
                form = RELOC_FORM[t]
                q = dst + at + (off - cs)
                sign = RELOC_ENCODING[t] == ENC_SLEB
                if form <= F_I32:
                    sv = <int64_t>value
                    if sv < FIELD32_MIN or sv > FIELD32_MAX:
                        err = E_VALUE
                        break
                    if form == F_LEB5:
                        put_leb5(q, <uint32_t>value, sign)
                    else:
                        store_le(q, value, 4)
                elif form == F_LEB10:
                    put_leb10(q, value, sign)
                else:
                    store_le(q, value, 8)
                applied += 1
                r += 1
            if err:
                break
        if not err and r < nrelocs:
            # past the last chunk: the first one left is out of order, unknown, or outside
            t = rtypes[r]
            off = roffs[r]
            if t >= RELOC_TYPE_COUNT:
                err = E_TYPE
            elif off < prev_off:
                err = E_ORDER
            else:
                err = E_OUTSIDE
    if not err:
        return applied
    if err == E_CHUNK_ORDER:
        raise ValueError(f"chunk {c} [0x{cs:x}, 0x{ce:x}) does not follow the previous chunk "
                         f"(ending at 0x{prev_end:x}): chunks must be sorted and disjoint")
    if err == E_CHUNK_INPUT:
        raise ValueError(f"chunk {c} [0x{cs:x}, 0x{ce:x}) runs past the end of the input "
                         f"({inp_size} bytes, the section starting at {section_start})")
    if err == E_CHUNK_OUTPUT:
        raise ValueError(f"chunk {c} of {ce - cs} bytes goes to {at}, outside the output "
                         f"buffer of {out_size} bytes")
    cdef Py_ssize_t where = section_start + <Py_ssize_t>off
    if err == E_TYPE:
        raise ParseError(f"invalid relocation type: {t}", where, context=context)
    name = RELOC_NAMES[t]
    if err == E_ORDER:
        raise ParseError(f"relocations not in offset order: {name} at 0x{off:x} follows one "
                         f"at 0x{prev_off:x}", where, context=context)
    if err == E_OUTSIDE:
        raise ParseError(f"invalid relocation offset: {name} at 0x{off:x} lies outside every "
                         f"chunk of the section", where, context=context)
    if err == E_STRADDLE:
        raise ParseError(f"invalid relocation offset: {name} at 0x{off:x} patches "
                         f"{RELOC_WIDTH[t]} bytes, past the end of its chunk [0x{cs:x}, "
                         f"0x{ce:x})", where, context=context)
    if err == E_INDEX:
        if RELOC_VALUE[t] == V_TYPE:
            raise ParseError(f"invalid relocation index: {name} names type {x}, but the type "
                             f"map has {ntypes}", where, context=context)
        raise ParseError(f"invalid relocation index: {name} names symbol {x}, but the symbol "
                         f"columns have {nsyms}", where, context=context)
    target = f"type {x}" if RELOC_VALUE[t] == V_TYPE else f"symbol {x}"
    raise RelocationRangeError(f"relocation {name} against {target} is out of range: "
                               f"{sv:#x} does not fit in 32 bits", where, reloc_type=name,
                               symbol=x, value=sv, context=context)


def symbols_of_type(const uint8_t[::1] reloc_type not None, const uint32_t[::1] reloc_index not None,
                    int wanted, Py_ssize_t nsyms):
    """A bytearray of ``nsyms`` flags: 1 for each symbol some relocation of type ``wanted``
    names (e.g. R_WASM_FUNCTION_INDEX_LEB: the functions the code calls directly)."""
    if reloc_index.shape[0] != reloc_type.shape[0]:
        raise ValueError("relocation columns of different lengths")
    out = bytearray(nsyms)
    cdef uint8_t[::1] flags = out
    cdef Py_ssize_t i, n = reloc_type.shape[0]
    cdef uint32_t s
    with nogil:
        for i in range(n):
            if reloc_type[i] == wanted:
                s = reloc_index[i]
                if s < nsyms:
                    flags[s] = 1
    return out


# ---- mergeable strings (ld/merge_strings.py) --------------------------------------------------
#
# A link with debug info merges every object's `.debug_str` (tens of thousands of NUL-terminated
# pieces) and redirects every SECTION_OFFSET relocation into them: one Python step per piece or
# per relocation would cost more than copying all the debug info.

cdef enum:
    R_WASM_SECTION_OFFSET_I32 = 9


def split_pieces(const uint8_t[::1] buf not None, Py_ssize_t start, Py_ssize_t end):
    """The NUL-terminated pieces of buf[start:end] (the last one may lack its NUL), as
    ``(starts, pieces)``: where each begins, counted from ``start`` (array 'I'), and its bytes
    (a list of bytes, NUL included)."""
    if not (0 <= start <= end <= buf.shape[0]):
        raise ValueError("piece range outside the buffer")
    if end - start > 0xFFFFFFFF:
        raise ValueError("a chunk of mergeable strings is larger than 4 GiB")
    cdef array.array starts = _array.array('I')
    cdef list pieces = []
    cdef const uint8_t* p = &buf[0] if buf.shape[0] else NULL
    cdef Py_ssize_t pos = start, stop
    cdef const void* nul
    while pos < end:
        nul = memchr(p + pos, 0, end - pos)
        stop = end if nul == NULL else (<const uint8_t*>nul - p) + 1
        array.resize_smart(starts, len(starts) + 1)
        starts.data.as_uints[len(starts) - 1] = <uint32_t>(pos - start)
        pieces.append(PyBytes_FromStringAndSize(<const char*>(p + pos), stop - pos))
        pos = stop
    return starts, pieces


def redirect_addends(const uint8_t[::1] reloc_type not None,
                     const uint32_t[::1] reloc_index not None,
                     int64_t[::1] addend not None, uint32_t symbol,
                     const uint32_t[::1] piece_starts not None,
                     const int64_t[::1] piece_outputs not None):
    """Point the addend of each R_WASM_SECTION_OFFSET_I32 relocation against ``symbol`` (a
    section symbol of a merged chunk) at the same byte of the kept copy of its piece: piece k
    of the chunk starts at ``piece_starts[k]`` and was kept at ``piece_outputs[k]`` (as
    merge_strings.merged_offset). ``addend`` is changed in place; returns how many were."""
    cdef Py_ssize_t n = reloc_type.shape[0], npieces = piece_starts.shape[0]
    if reloc_index.shape[0] != n or addend.shape[0] != n:
        raise ValueError("relocation columns of different lengths")
    if piece_outputs.shape[0] != npieces:
        raise ValueError("piece columns of different lengths")
    cdef Py_ssize_t i, lo, hi, mid, k, changed = 0
    cdef int64_t a
    with nogil:
        for i in range(n):
            if reloc_type[i] != R_WASM_SECTION_OFFSET_I32 or reloc_index[i] != symbol:
                continue
            a = addend[i]
            # the last piece starting at or before the addend (bisect_right - 1), else the first
            lo = 0
            hi = npieces
            while lo < hi:
                mid = (lo + hi) >> 1
                if a < <int64_t>piece_starts[mid]:
                    hi = mid
                else:
                    lo = mid + 1
            k = lo - 1 if lo > 0 else 0
            if npieces:
                addend[i] = piece_outputs[k] + a - <int64_t>piece_starts[k]
                changed += 1
    return changed
