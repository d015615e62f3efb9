"""A plain-Python copy_and_relocate, written from wasm-ld's rules (lld/wasm/InputFiles.cpp
calcNewValue, InputChunks.cpp relocate): the oracle the native applier is checked against.

Same arguments, same result, same errors (type and message) as
wasmlink._native.reloc.copy_and_relocate; it is slow on purpose, one relocation at a time
with Python integers, so that it shares nothing with the native loop but the rules.
"""
from wasmlink.errors import ParseError, WasmlinkError

NAMES = (
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

DEAD, UNDEFINED, NO_SLOT = 1, 2, 4
MASK64 = (1 << 64) - 1


def encoding(name: str) -> tuple[str, int]:
    """(LEB | SLEB | I32 | I64, bytes patched), from the type's name as Linking.md spells it."""
    for suffix, form in (("_LEB64", ("LEB", 10)), ("_SLEB64", ("SLEB", 10)),
                         ("_LEB", ("LEB", 5)), ("_SLEB", ("SLEB", 5)),
                         ("_I32", ("I32", 4)), ("_I64", ("I64", 8))):
        if name.endswith(suffix):
            return form
    raise AssertionError(name)


def signed64(v: int) -> int:
    v &= MASK64
    return v - (1 << 64) if v >> 63 else v


def encode(name: str, value: int) -> bytes:
    """The bytes wasm-ld writes: padded LEBs (5 or 10 bytes), little-endian I32/I64."""
    form, width = encoding(name)
    bits = 32 if width in (4, 5) else 64
    v = value & ((1 << bits) - 1)
    if form in ("I32", "I64"):
        return v.to_bytes(width, "little")
    if form == "SLEB" and v >> (bits - 1):
        v -= 1 << bits
    v &= (1 << (7 * width)) - 1        # two's complement over the padded width's bits
    groups = [(v >> (7 * k)) & 0x7F for k in range(width)]
    return bytes(g | 0x80 for g in groups[:-1]) + bytes([groups[-1]])


class RelocationRangeError(WasmlinkError, ValueError):
    def __init__(self, message, offset, *, reloc_type, symbol, value, context=None):
        super().__init__(message)
        self.offset, self.context = offset, context
        self.reloc_type, self.symbol, self.value = reloc_type, symbol, value

    def __str__(self):
        where = f" (at offset 0x{self.offset:x}" + (f" in {self.context})" if self.context
                                                      else ")")
        return self.message + where


def value_of(name, index, addend, offset, chunk_pos, chunk_address, a):
    """calcNewValue: the value for one relocation (a Python int, modulo 2**64)."""
    if name == "R_WASM_TYPE_INDEX_LEB":
        return a["type_map"][index]
    state = a["sym_state"][index]
    tombstone = a["tombstone"] & MASK64
    if state & DEAD and name != "R_WASM_SECTION_OFFSET_I32":
        return tombstone if tombstone else addend
    if "TABLE_INDEX" in name:
        if state & NO_SLOT:
            return 0
        slot = a["sym_table_index"][index]
        if "_REL_" in name:
            return (slot - a["table_base"]) & 0xFFFFFFFF
        return slot
    if "MEMORY_ADDR" in name:
        if state & UNDEFINED:
            return 0
        v = a["sym_value"][index] + addend
        if "_REL_" in name:
            v -= a["memory_base"]
        elif "_TLS_" in name:
            v -= a["tls_base"]
        elif "_LOCREL_" in name:
            v -= chunk_address + (offset - chunk_pos)
        return v
    if "FUNCTION_OFFSET" in name:
        if state & UNDEFINED:
            return tombstone if tombstone else addend
        return a["sym_code_offset"][index] + addend
    if name == "R_WASM_SECTION_OFFSET_I32":
        return a["sym_value"][index] + addend
    if "GLOBAL_INDEX" in name and a["sym_global_index"] is not None:
        return a["sym_global_index"][index]
    return a["sym_value"][index]            # function, global, tag index, table number


def copy_and_relocate(out, inp, section_start, chunk_start, chunk_end, chunk_out, chunk_address,
                      reloc_type, reloc_offset, reloc_index, reloc_addend, sym_value,
                      sym_table_index, sym_code_offset, type_map, tls_base, memory_base,
                      table_base, sym_state, *, tombstone=0, sym_global_index=None,
                      context=None):
    a = dict(sym_value=sym_value, sym_table_index=sym_table_index,
             sym_code_offset=sym_code_offset, type_map=type_map, tls_base=tls_base,
             memory_base=memory_base, table_base=table_base, sym_state=sym_state,
             tombstone=tombstone, sym_global_index=sym_global_index)
    if not (len(chunk_start) == len(chunk_end) == len(chunk_out) == len(chunk_address)):
        raise ValueError("chunk columns of different lengths")
    if not (len(reloc_type) == len(reloc_offset) == len(reloc_index) == len(reloc_addend)):
        raise ValueError("relocation columns of different lengths")
    nsyms = len(sym_value)
    if not (len(sym_table_index) == len(sym_code_offset) == len(sym_state) == nsyms
            and (sym_global_index is None or len(sym_global_index) == nsyms)):
        raise ValueError("symbol columns of different lengths")
    if not 0 <= section_start <= len(inp):
        raise ValueError(f"section start {section_start} outside the input ({len(inp)} bytes)")

    def fail(message, off):
        raise ParseError(message, section_start + off, context=context)

    def check_order(i):
        t, off = reloc_type[i], reloc_offset[i]
        if t >= len(NAMES):
            fail(f"invalid relocation type: {t}", off)
        if i and off < reloc_offset[i - 1]:
            fail(f"relocations not in offset order: {NAMES[t]} at 0x{off:x} follows one at "
                 f"0x{reloc_offset[i - 1]:x}", off)

    applied = 0
    r = 0
    prev_end = 0
    for c in range(len(chunk_start)):
        cs, ce, to = chunk_start[c], chunk_end[c], chunk_out[c]
        if cs > ce or cs < prev_end:
            raise ValueError(f"chunk {c} [0x{cs:x}, 0x{ce:x}) does not follow the previous "
                             f"chunk (ending at 0x{prev_end:x}): chunks must be sorted and "
                             f"disjoint")
        if section_start + ce > len(inp):
            raise ValueError(f"chunk {c} [0x{cs:x}, 0x{ce:x}) runs past the end of the input "
                             f"({len(inp)} bytes, the section starting at {section_start})")
        if to < -1 or (to >= 0 and to + (ce - cs) > len(out)):
            raise ValueError(f"chunk {c} of {ce - cs} bytes goes to {to}, outside the output "
                             f"buffer of {len(out)} bytes")
        prev_end = ce
        if to >= 0:
            out[to:to + ce - cs] = inp[section_start + cs:section_start + ce]
        while r < len(reloc_type):
            check_order(r)
            t, off, index = reloc_type[r], reloc_offset[r], reloc_index[r]
            name = NAMES[t]
            if off >= ce:
                break
            if off < cs:
                fail(f"invalid relocation offset: {name} at 0x{off:x} lies outside every chunk "
                     f"of the section", off)
            width = encoding(name)[1]
            if off + width > ce:
                fail(f"invalid relocation offset: {name} at 0x{off:x} patches {width} bytes, "
                     f"past the end of its chunk [0x{cs:x}, 0x{ce:x})", off)
            r += 1
            if to < 0:
                continue
            if name == "R_WASM_TYPE_INDEX_LEB":
                if index >= len(type_map):
                    fail(f"invalid relocation index: {name} names type {index}, but the type "
                         f"map has {len(type_map)}", off)
            elif index >= nsyms:
                fail(f"invalid relocation index: {name} names symbol {index}, but the symbol "
                     f"columns have {nsyms}", off)
            value = signed64(value_of(name, index, reloc_addend[r - 1], off, cs,
                                      chunk_address[c], a))
            if width in (4, 5) and not -2**31 <= value < 2**32:
                target = "type" if name == "R_WASM_TYPE_INDEX_LEB" else "symbol"
                raise RelocationRangeError(
                    f"relocation {name} against {target} {index} is out of range: {value:#x} "
                    f"does not fit in 32 bits", section_start + off, reloc_type=name,
                    symbol=index, value=value, context=context)
            at = to + off - cs
            out[at:at + width] = encode(name, value)
            applied += 1
    if r < len(reloc_type):
        check_order(r)
        off = reloc_offset[r]
        fail(f"invalid relocation offset: {NAMES[reloc_type[r]]} at 0x{off:x} lies outside "
             f"every chunk of the section", off)
    return applied
