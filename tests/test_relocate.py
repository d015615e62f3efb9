"""The relocation applier (copy_and_relocate): wasm-ld's values and encodings, exactly.

Each encoding is pinned byte for byte, each of the 27 types against the value wasm-ld's
calcNewValue gives in one fixed setting, and the dead / undefined / tombstone rules one by one.
Hypothesis then compares the native loop with the plain-Python twin
(tests/support/relocate_reference.py) on random sections, chunks, relocations and symbol
values, errors included. Finally real clang-22 objects, with and without -g: applied with the
values the compiler itself assumed, every section comes out byte-identical; applied with
shifted values, the bytes change exactly in the windows wasm-objdump lists, each by its shift.
"""
from __future__ import annotations

import mmap
import re
import shutil
import subprocess
from array import array

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from support import relocate_reference as reference
from wasmlink._native.reloc import (RELOC_NAMES, RELOC_TYPES, SYMBOL_DEAD, SYMBOL_NO_SLOT,
                                    SYMBOL_UNDEFINED, RelocationRangeError, copy_and_relocate,
                                    section_tombstone)
from wasmlink._native.scan import scan_code
from wasmlink.binary.files import MappedFile
from wasmlink.binary.linking import (SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL, SYMTAB_SECTION,
                                     SYMTAB_TABLE, SYMTAB_TAG, section_contents)
from wasmlink.binary.module import Module, unit_rows
from wasmlink.errors import ParseError, WasmlinkError

CODE = {name: code for code, name in enumerate(RELOC_NAMES)}
WASM_OBJDUMP = shutil.which("wasm-objdump") or "wasm-objdump"


def arguments(*, inp=bytes(16), out=None, section_start=0, chunks=None, chunk_out=None,
              chunk_address=None, relocs=(), nsyms=1, sym_value=None, sym_table_index=None,
              sym_code_offset=None, type_map=(), tls_base=0, memory_base=0, table_base=0,
              sym_state=None, **keywords):
    """Every argument of copy_and_relocate, as typed arrays; by default one chunk covering the
    whole input, copied to the start of an output of the same size. ``relocs`` are
    (type name or code, offset, index, addend) rows."""
    if chunks is None:
        chunks = [(0, len(inp) - section_start)]
    if chunk_out is None:
        chunk_out = [cs for cs, _ in chunks]
    relocs = [(CODE[t] if isinstance(t, str) else t, o, i, a) for t, o, i, a in relocs]
    args = dict(
        out=bytearray(len(inp)) if out is None else out, inp=inp, section_start=section_start,
        chunk_start=array("I", [c[0] for c in chunks]),
        chunk_end=array("I", [c[1] for c in chunks]),
        chunk_out=array("q", chunk_out),
        chunk_address=array("q", chunk_address or [0] * len(chunks)),
        reloc_type=array("B", [r[0] for r in relocs]),
        reloc_offset=array("I", [r[1] for r in relocs]),
        reloc_index=array("I", [r[2] for r in relocs]),
        reloc_addend=array("q", [r[3] for r in relocs]),
        sym_value=array("Q", sym_value or [0] * nsyms),
        sym_table_index=array("I", sym_table_index or [0] * nsyms),
        sym_code_offset=array("Q", sym_code_offset or [0] * nsyms),
        type_map=array("I", type_map), tls_base=tls_base, memory_base=memory_base,
        table_base=table_base, sym_state=array("B", sym_state or [0] * nsyms))
    if keywords.get("sym_global_index") is not None:
        keywords["sym_global_index"] = array("I", keywords["sym_global_index"])
    args.update(keywords)
    return args


def apply(impl, args):
    """(count, output bytes), or the error as (class name, message)."""
    args = dict(args, out=bytearray(args["out"]))
    try:
        n = impl(**args)
    except (WasmlinkError, ValueError) as e:
        return type(e).__name__, str(e)
    return n, bytes(args["out"])


def both(args):
    """Apply natively and by the reference; they must agree. Returns the native outcome."""
    native = apply(copy_and_relocate, args)
    assert native == apply(reference.copy_and_relocate, args)
    return native


def patched(name, value, **kw):
    """The bytes one relocation of type ``name`` writes at offset 2 of a 16-byte chunk."""
    args = arguments(relocs=[(name, 2, 0, kw.pop("addend", 0))], **kw)
    n, out = both(args)
    assert n == 1
    width = RELOC_TYPES[CODE[name]].width
    assert out[:2] == bytes(2) and out[2 + width:] == bytes(14 - width)
    return out[2:2 + width]


# ---- encodings ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, value, expected", [
    ("R_WASM_FUNCTION_INDEX_LEB", 300, "ac 82 80 80 00"),
    ("R_WASM_FUNCTION_INDEX_LEB", 0, "80 80 80 80 00"),
    ("R_WASM_FUNCTION_INDEX_LEB", 0xFFFFFFFF, "ff ff ff ff 0f"),
    ("R_WASM_MEMORY_ADDR_LEB", 624485, "e5 8e a6 80 00"),
    ("R_WASM_MEMORY_ADDR_SLEB", 64, "c0 80 80 80 00"),
    ("R_WASM_MEMORY_ADDR_SLEB", 63, "bf 80 80 80 00"),
    ("R_WASM_MEMORY_ADDR_SLEB", 0x80000000, "80 80 80 80 78"),     # 2 GB: i32.const -2**31
    ("R_WASM_MEMORY_ADDR_SLEB", 0xFFFFFFFF, "ff ff ff ff 7f"),     # i32.const -1
    ("R_WASM_MEMORY_ADDR_I32", 0x12345678, "78 56 34 12"),
    ("R_WASM_MEMORY_ADDR_I64", 0x0102030405060708, "08 07 06 05 04 03 02 01"),
    ("R_WASM_MEMORY_ADDR_LEB64", 1 << 63, "80 80 80 80 80 80 80 80 80 01"),
    ("R_WASM_MEMORY_ADDR_LEB64", 5, "85 80 80 80 80 80 80 80 80 00"),
    ("R_WASM_MEMORY_ADDR_SLEB64", (1 << 64) - 2, "fe ff ff ff ff ff ff ff ff 7f"),
    ("R_WASM_MEMORY_ADDR_SLEB64", 1 << 62, "80 80 80 80 80 80 80 80 c0 00"),
])
def test_each_encoding_writes_the_padded_form_wasm_ld_writes(name, value, expected):
    assert patched(name, value, sym_value=[value]).hex(" ") == expected


def test_negative_addends_give_negative_sleb_and_wrapped_i32():
    assert patched("R_WASM_MEMORY_ADDR_SLEB", 0, sym_value=[4], addend=-8).hex(" ") == \
        "fc ff ff ff 7f"
    assert patched("R_WASM_MEMORY_ADDR_I32", 0, sym_value=[4], addend=-8).hex(" ") == \
        "fc ff ff ff"
    # a memarg offset is unsigned: wasm-ld writes the low 32 bits
    assert patched("R_WASM_MEMORY_ADDR_LEB", 0, sym_value=[4], addend=-8).hex(" ") == \
        "fc ff ff ff 0f"


# ---- values: one fixed setting, every type -----------------------------------------------------

SETTING = dict(sym_value=[1000], sym_table_index=[7], sym_code_offset=[5000], type_map=[9, 11],
               sym_global_index=[42], memory_base=100, tls_base=200, table_base=3,
               chunk_address=[0x4000])
ADDEND = 16
EXPECTED = {        # by hand from lld's ObjFile::calcNewValue; the patched bytes are at 0x4002
    "R_WASM_FUNCTION_INDEX_LEB": 1000, "R_WASM_FUNCTION_INDEX_I32": 1000,
    "R_WASM_TABLE_INDEX_SLEB": 7, "R_WASM_TABLE_INDEX_I32": 7, "R_WASM_TABLE_INDEX_SLEB64": 7,
    "R_WASM_TABLE_INDEX_I64": 7, "R_WASM_TABLE_INDEX_REL_SLEB": 4,
    "R_WASM_TABLE_INDEX_REL_SLEB64": 4,
    "R_WASM_MEMORY_ADDR_LEB": 1016, "R_WASM_MEMORY_ADDR_SLEB": 1016, "R_WASM_MEMORY_ADDR_I32": 1016,
    "R_WASM_MEMORY_ADDR_LEB64": 1016, "R_WASM_MEMORY_ADDR_SLEB64": 1016,
    "R_WASM_MEMORY_ADDR_I64": 1016,
    "R_WASM_MEMORY_ADDR_REL_SLEB": 916, "R_WASM_MEMORY_ADDR_REL_SLEB64": 916,
    "R_WASM_MEMORY_ADDR_TLS_SLEB": 816, "R_WASM_MEMORY_ADDR_TLS_SLEB64": 816,
    "R_WASM_MEMORY_ADDR_LOCREL_I32": 1016 - 0x4002,
    "R_WASM_TYPE_INDEX_LEB": 11,
    "R_WASM_GLOBAL_INDEX_LEB": 42, "R_WASM_GLOBAL_INDEX_I32": 42,
    "R_WASM_FUNCTION_OFFSET_I32": 5016, "R_WASM_FUNCTION_OFFSET_I64": 5016,
    "R_WASM_SECTION_OFFSET_I32": 1016,
    "R_WASM_TAG_INDEX_LEB": 1000, "R_WASM_TABLE_NUMBER_LEB": 1000,
}


def test_the_table_covers_every_type():
    assert sorted(EXPECTED) == sorted(RELOC_NAMES)


@pytest.mark.parametrize("name", RELOC_NAMES)
def test_each_type_writes_wasm_ld_s_value(name):
    rtype = RELOC_TYPES[CODE[name]]
    index = 1 if name == "R_WASM_TYPE_INDEX_LEB" else 0
    args = arguments(relocs=[(name, 2, index, ADDEND if rtype.has_addend else 0)], **SETTING)
    n, out = both(args)
    assert out[2:2 + rtype.width] == reference.encode(name, EXPECTED[name])
    assert n == 1


def test_without_sym_global_index_global_relocations_write_sym_value():
    args = arguments(relocs=[("R_WASM_GLOBAL_INDEX_LEB", 0, 0, 0)], sym_value=[3])
    assert both(args)[1][:5] == reference.encode("R_WASM_GLOBAL_INDEX_LEB", 3)


def test_table_rel_subtracts_the_table_base_in_32_bits_as_lld():
    # index 1, table base 3: lld computes uint32 1 - 3 = 0xfffffffe, and sign-extends nothing
    assert patched("R_WASM_TABLE_INDEX_REL_SLEB", 0, sym_table_index=[1],
                   table_base=3).hex(" ") == "fe ff ff ff 7f"
    assert patched("R_WASM_TABLE_INDEX_REL_SLEB64", 0, sym_table_index=[1],
                   table_base=3).hex(" ") == "fe ff ff ff 8f 80 80 80 80 00"


# ---- dead, undefined, no slot ------------------------------------------------------------------

def test_section_tombstones_follow_lld():
    assert section_tombstone(".debug_ranges") == -2
    assert section_tombstone(".debug_loc") == -2
    assert section_tombstone(".debug_info") == -1
    assert section_tombstone(".debug_line") == -1
    assert section_tombstone("llvm.func_attr.annotate.foo") == -1
    assert section_tombstone("producers") == 0
    assert section_tombstone("target_features") == 0


NAMING_SYMBOLS = [n for n in RELOC_NAMES
                  if n not in ("R_WASM_TYPE_INDEX_LEB", "R_WASM_SECTION_OFFSET_I32")]


@pytest.mark.parametrize("name", NAMING_SYMBOLS)
def test_a_dead_symbol_gives_the_tombstone_or_else_the_addend(name):
    rtype = RELOC_TYPES[CODE[name]]
    addend = 12 if rtype.has_addend else 0
    kw = dict(SETTING, sym_state=[SYMBOL_DEAD], addend=addend)
    assert patched(name, 0, **kw) == reference.encode(name, addend)
    assert patched(name, 0, tombstone=-1, **kw) == reference.encode(name, (1 << 64) - 1)
    assert patched(name, 0, tombstone=-2, **kw) == reference.encode(name, (1 << 64) - 2)


def test_section_offsets_and_type_indexes_ignore_the_symbol_state():
    kw = dict(SETTING, sym_state=[SYMBOL_DEAD | SYMBOL_UNDEFINED | SYMBOL_NO_SLOT], tombstone=-1)
    assert patched("R_WASM_SECTION_OFFSET_I32", 0, addend=5, **kw) == \
        reference.encode("R_WASM_SECTION_OFFSET_I32", 1005)
    args = arguments(relocs=[("R_WASM_TYPE_INDEX_LEB", 0, 1, 0)], **kw)
    assert both(args)[1][:5] == reference.encode("R_WASM_TYPE_INDEX_LEB", 11)


@pytest.mark.parametrize("name", [n for n in RELOC_NAMES if "MEMORY_ADDR" in n])
def test_undefined_data_gives_zero_and_drops_the_addend(name):
    assert patched(name, 0, addend=16, **dict(SETTING, sym_state=[SYMBOL_UNDEFINED])) == \
        reference.encode(name, 0)


def test_an_undefined_function_s_offset_is_the_tombstone_or_the_addend():
    kw = dict(SETTING, sym_state=[SYMBOL_UNDEFINED], addend=3)
    assert patched("R_WASM_FUNCTION_OFFSET_I32", 0, **kw).hex(" ") == "03 00 00 00"
    assert patched("R_WASM_FUNCTION_OFFSET_I32", 0, tombstone=-1, **kw).hex(" ") == "ff ff ff ff"
    # its index is still its index (an import's)
    assert patched("R_WASM_FUNCTION_INDEX_LEB", 0, **kw) == \
        reference.encode("R_WASM_FUNCTION_INDEX_LEB", 1000)


@pytest.mark.parametrize("name", [n for n in RELOC_NAMES if "TABLE_INDEX" in n])
def test_a_function_without_a_table_slot_gives_zero(name):
    assert patched(name, 0, **dict(SETTING, sym_state=[SYMBOL_NO_SLOT])) == \
        reference.encode(name, 0)


# ---- chunks ------------------------------------------------------------------------------------

def test_chunks_are_copied_to_their_places_and_dropped_ones_skipped():
    inp = bytes(range(1, 41))
    args = arguments(inp=inp, section_start=4, out=bytearray(b"\xee" * 30),
                     chunks=[(0, 10), (10, 20), (24, 36)], chunk_out=[20, -1, 0],
                     relocs=[("R_WASM_FUNCTION_INDEX_LEB", 1, 0, 0),
                             ("R_WASM_FUNCTION_INDEX_LEB", 12, 0, 0),     # in the dropped one
                             ("R_WASM_MEMORY_ADDR_I32", 30, 0, 1)],
                     sym_value=[5])
    n, out = both(args)
    assert n == 2
    assert out[20:30] == inp[4:5] + bytes.fromhex("85 80 80 80 00") + inp[10:14]
    assert out[0:12] == inp[28:34] + bytes.fromhex("06 00 00 00") + inp[38:40]
    assert out[12:20] == b"\xee" * 8


def test_a_writable_mmap_receives_from_a_read_only_mmap(tmp_path):
    src = tmp_path / "in.bin"
    src.write_bytes(bytes(range(32)))
    dst = tmp_path / "out.bin"
    dst.write_bytes(bytes(32))
    with open(src, "rb") as f, open(dst, "r+b") as g:
        inp = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        out = mmap.mmap(g.fileno(), 0, access=mmap.ACCESS_WRITE)
        args = arguments(inp=inp, out=out, relocs=[("R_WASM_FUNCTION_INDEX_LEB", 4, 0, 0)],
                         sym_value=[300])
        assert copy_and_relocate(**args) == 1
        out.flush()
        out.close()
        inp.close()
    assert dst.read_bytes() == (bytes(range(4)) + bytes.fromhex("ac 82 80 80 00")
                                + bytes(range(9, 32)))


# ---- errors ------------------------------------------------------------------------------------

def error_of(args):
    outcome = both(args)
    assert isinstance(outcome[0], str), outcome
    return outcome


def test_a_relocation_straddling_its_chunk_s_end_is_a_parse_error():
    args = arguments(inp=bytes(24), section_start=4, chunks=[(0, 8), (8, 20)],
                     relocs=[("R_WASM_FUNCTION_INDEX_LEB", 5, 0, 0)])
    assert error_of(args) == ("ParseError", "invalid relocation offset: R_WASM_FUNCTION_INDEX_LEB "
                              "at 0x5 patches 5 bytes, past the end of its chunk [0x0, 0x8) "
                              "(at offset 0x9)")
    with pytest.raises(ParseError) as e:
        copy_and_relocate(**dict(args, context="section code"))
    assert e.value.offset == 9 and str(e.value).endswith("(at offset 0x9 in section code)")


@pytest.mark.parametrize("offset", [0, 9, 30])
def test_a_relocation_outside_every_chunk_is_a_parse_error(offset):
    args = arguments(inp=bytes(40), chunks=[(2, 8), (12, 20)], relocs=[(3, offset, 0, 0)])
    assert error_of(args) == ("ParseError", f"invalid relocation offset: R_WASM_MEMORY_ADDR_LEB "
                              f"at 0x{offset:x} lies outside every chunk of the section "
                              f"(at offset 0x{offset:x})")


def test_unsorted_relocations_and_unknown_types_are_parse_errors():
    relocs = [("R_WASM_FUNCTION_INDEX_LEB", 8, 0, 0), ("R_WASM_FUNCTION_INDEX_LEB", 2, 0, 0)]
    assert error_of(arguments(relocs=relocs)) == (
        "ParseError", "relocations not in offset order: R_WASM_FUNCTION_INDEX_LEB at 0x2 follows "
                      "one at 0x8 (at offset 0x2)")
    assert error_of(arguments(relocs=[(27, 0, 0, 0)])) == (
        "ParseError", "invalid relocation type: 27 (at offset 0x0)")


def test_indexes_past_the_columns_are_parse_errors():
    assert error_of(arguments(relocs=[("R_WASM_FUNCTION_INDEX_LEB", 0, 3, 0)], nsyms=3)) == (
        "ParseError", "invalid relocation index: R_WASM_FUNCTION_INDEX_LEB names symbol 3, but "
                      "the symbol columns have 3 (at offset 0x0)")
    assert error_of(arguments(relocs=[("R_WASM_TYPE_INDEX_LEB", 0, 2, 0)], type_map=[0, 1])) == (
        "ParseError", "invalid relocation index: R_WASM_TYPE_INDEX_LEB names type 2, but the "
                      "type map has 2 (at offset 0x0)")


def column_for(name: str) -> str:
    """The symbol column a relocation type's value comes from (with no sym_global_index)."""
    if "FUNCTION_OFFSET" in name:
        return "sym_code_offset"
    return "sym_table_index" if "TABLE_INDEX" in name else "sym_value"


# the types whose 32-bit field a 64-bit column can overflow (table slots and types are uint32)
WIDE_TO_NARROW = [n for n in RELOC_NAMES if RELOC_TYPES[CODE[n]].width in (4, 5)
                  and column_for(n) != "sym_table_index" and n != "R_WASM_TYPE_INDEX_LEB"]


@pytest.mark.parametrize("name", WIDE_TO_NARROW)
def test_a_32_bit_field_takes_signed_or_unsigned_32_bit_values_only(name):
    column = column_for(name)
    for fits in (0xFFFFFFFF, (1 << 64) - (1 << 31)):        # 2**32 - 1, and -2**31
        n, out = both(arguments(relocs=[(name, 0, 0, 0)], **{column: [fits]}))
        assert n == 1 and out[:RELOC_TYPES[CODE[name]].width] == reference.encode(name, fits)
    for bad, shown in ((1 << 32, "0x100000000"), ((1 << 64) - (1 << 31) - 1, "-0x80000001")):
        assert error_of(arguments(relocs=[(name, 0, 0, 0)], **{column: [bad]})) == (
            "RelocationRangeError", f"relocation {name} against symbol 0 is out of range: "
                                    f"{shown} does not fit in 32 bits (at offset 0x0)")


def test_the_range_error_names_type_symbol_value_and_offset():
    args = arguments(section_start=2, relocs=[("R_WASM_MEMORY_ADDR_SLEB", 3, 0, -1)],
                     sym_value=[(1 << 64) - (1 << 31)], context="section code")
    with pytest.raises(RelocationRangeError) as e:
        copy_and_relocate(**args)
    err = e.value
    assert (err.reloc_type, err.symbol, err.value, err.offset) == (
        "R_WASM_MEMORY_ADDR_SLEB", 0, -(1 << 31) - 1, 5)
    assert str(err) == ("relocation R_WASM_MEMORY_ADDR_SLEB against symbol 0 is out of range: "
                        "-0x80000001 does not fit in 32 bits (at offset 0x5 in section code)")
    assert isinstance(err, ValueError) and isinstance(err, WasmlinkError)
    assert str(err.in_file("a.o")).startswith("a.o: relocation R_WASM_MEMORY_ADDR_SLEB")


def test_64_bit_fields_take_any_value():
    for name in ("R_WASM_MEMORY_ADDR_LEB64", "R_WASM_MEMORY_ADDR_SLEB64", "R_WASM_MEMORY_ADDR_I64"):
        assert patched(name, 0, sym_value=[(1 << 64) - 1], addend=5) == \
            reference.encode(name, 4)


def test_bad_chunks_and_columns_are_value_errors():
    assert error_of(arguments(inp=bytes(20), chunks=[(4, 10), (8, 12)])) == (
        "ValueError", "chunk 1 [0x8, 0xc) does not follow the previous chunk (ending at 0xa): "
                      "chunks must be sorted and disjoint")
    assert error_of(arguments(inp=bytes(20), chunks=[(4, 21)])) == (
        "ValueError", "chunk 0 [0x4, 0x15) runs past the end of the input (20 bytes, the section "
                      "starting at 0)")
    assert error_of(arguments(inp=bytes(20), out=bytearray(5), chunks=[(4, 10)],
                              chunk_out=[0])) == (
        "ValueError", "chunk 0 of 6 bytes goes to 0, outside the output buffer of 5 bytes")
    assert error_of(arguments(chunk_out=[-2]))[0] == "ValueError"
    args = arguments()
    args["sym_state"] = array("B", [0, 0])
    assert error_of(args) == ("ValueError", "symbol columns of different lengths")


# ---- native against the reference, on anything ------------------------------------------------

BOUNDARIES = [0, 1, 0x7F, 0x80, 0x3FFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1 << 32,
              (1 << 63) - 1, 1 << 63, (1 << 64) - (1 << 31), (1 << 64) - 1]
u64 = st.one_of(st.integers(0, 1 << 20), st.sampled_from(BOUNDARIES), st.integers(0, (1 << 64) - 1))
u32 = st.one_of(st.integers(0, 1 << 16), st.integers(0, (1 << 32) - 1))
i64 = st.one_of(st.integers(-1000, 1000), st.integers(-(1 << 63), (1 << 63) - 1))


@st.composite
def sections(draw):
    nsyms = draw(st.integers(1, 6))
    ntypes = draw(st.integers(0, 3))
    pos = draw(st.integers(0, 3))
    chunks = []
    for _ in range(draw(st.integers(0, 5))):
        size = draw(st.integers(0, 32))
        chunks.append((pos, pos + size))
        pos += size + draw(st.sampled_from([0, 0, 1, 3]))
    section_start = draw(st.integers(0, 6))
    inp = draw(st.binary(min_size=section_start + pos, max_size=section_start + pos + 3))
    relocs = []
    for cs, ce in chunks:
        for _ in range(draw(st.integers(0, 4))):
            t = draw(st.integers(0, len(RELOC_NAMES) - 1))
            width = RELOC_TYPES[t].width
            if draw(st.integers(0, 30)) == 0:          # rarely anywhere: straddling, in a gap
                off = draw(st.integers(0, pos + 2))
            elif ce - cs >= width:
                off = draw(st.integers(cs, ce - width))
            else:
                continue
            if draw(st.integers(0, 50)) == 0:
                t = draw(st.integers(len(RELOC_NAMES), 255))
            limit = ntypes if t == CODE["R_WASM_TYPE_INDEX_LEB"] else nsyms
            index = draw(st.integers(0, limit - 1)) if limit and draw(st.integers(0, 40)) \
                else draw(st.integers(0, limit + 2))
            relocs.append((t, off, index, draw(i64)))
    relocs.sort(key=lambda r: r[1])
    if len(relocs) > 1 and draw(st.integers(0, 30)) == 0:
        relocs.reverse()
    # live chunks in the output in order with gaps, dropped ones -1
    chunk_out, at = [], draw(st.integers(0, 3))
    for cs, ce in chunks:
        if draw(st.integers(0, 4)) == 0:
            chunk_out.append(-1)
        else:
            chunk_out.append(at)
            at += ce - cs + draw(st.integers(0, 2))
    out = bytearray(draw(st.binary(min_size=at, max_size=at + 2)))
    return arguments(
        inp=inp, out=out, section_start=section_start, chunks=chunks, chunk_out=chunk_out,
        chunk_address=[draw(st.integers(0, 1 << 33)) for _ in chunks], relocs=relocs,
        nsyms=nsyms, sym_value=[draw(u64) for _ in range(nsyms)],
        sym_table_index=[draw(u32) for _ in range(nsyms)],
        sym_code_offset=[draw(u64) for _ in range(nsyms)],
        type_map=[draw(u32) for _ in range(ntypes)],
        tls_base=draw(i64), memory_base=draw(i64), table_base=draw(st.integers(0, 1 << 33)),
        sym_state=[draw(st.integers(0, 7)) for _ in range(nsyms)],
        tombstone=draw(st.sampled_from([0, 0, -1, -2, 7])),
        sym_global_index=draw(st.one_of(st.none(), st.lists(u32, min_size=nsyms, max_size=nsyms))),
        context=draw(st.sampled_from([None, "section code"])))


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sections())
def test_native_agrees_with_the_reference_on_random_sections(args):
    both(args)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(RELOC_NAMES), u64, i64, st.integers(0, 7), st.sampled_from([0, -1, -2]))
def test_native_agrees_with_the_reference_for_every_type_and_value(name, value, addend, state,
                                                                   tombstone):
    index = 0
    args = arguments(relocs=[(name, 3, index, addend)], type_map=[value & 0xFFFFFFFF],
                     sym_value=[value], sym_table_index=[value & 0xFFFFFFFF],
                     sym_code_offset=[value], sym_state=[state], tombstone=tombstone,
                     sym_global_index=[value >> 32], memory_base=value >> 3,
                     tls_base=-(addend // 2), table_base=value >> 40, chunk_address=[value >> 1])
    both(args)


# ---- real objects ------------------------------------------------------------------------------

C_SOURCE = r"""
extern int printf(const char *, ...);
int counter = 3;
static int table[4] = {1, 2, 3, 4};
extern int ext_var;
static int add(int a, int b) { return a + b; }
static int mul(int a, int b) { return a * b; }
int (*ops[2])(int, int) = {add, mul};
int *where = &table[2];
int apply(int i, int a, int b) { return ops[i & 1](a, b); }
int main(void) {
    int (*f)(int, int) = counter ? add : mul;
    counter += table[1] + ext_var;
    printf("%d %d\n", f(2, 3), apply(counter, 4, 5));
    return *where;
}
"""

# (wasm-objdump prints offset 0 without its 0x: "offset=00000000")
RELOC_LINE = re.compile(r"^\s+- (R_WASM_\w+) offset=(?:0x)?([0-9a-f]+)\(file=0x[0-9a-f]+\) "
                        r"(?:symbol|type)=(\d+)")
SECTION_LINE = re.compile(r"^\s+- relocations for section: (\d+) ")


def objdump_relocations(path) -> dict[int, list[tuple[str, int, int]]]:
    """Target section index → [(type, offset, index)] as wasm-objdump -x lists them."""
    text = subprocess.run([WASM_OBJDUMP, "-x", str(path)], capture_output=True, text=True,
                          check=True).stdout
    out, current = {}, None
    for line in text.splitlines():
        if m := SECTION_LINE.match(line):
            current = out.setdefault(int(m[1]), [])
        elif (m := RELOC_LINE.match(line)) and current is not None:
            current.append((m[1], int(m[2], 16), int(m[3])))
    return out


def i32_const(expr: bytes) -> int:
    assert expr[0] == 0x41 and expr[-1] == 0x0B
    return reference_decode(expr, 1, "R_WASM_MEMORY_ADDR_SLEB", exact=False)


def reference_decode(data, pos, name, exact=True) -> int:
    """The value at data[pos:] in the form of relocation type ``name`` (unsigned for LEB)."""
    form, width = reference.encoding(name)
    if form in ("I32", "I64"):
        return int.from_bytes(bytes(data[pos:pos + width]), "little")
    value = shift = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    if form == "SLEB" and b & 0x40:
        value -= 1 << shift
    assert not exact or shift == 7 * width      # relocatable fields are padded
    return value


class Object:
    """A clang-22 object, the values its compiler assumed (so that applying them reproduces
    it), and the chunks of each relocated section."""

    def __init__(self, path, data):
        self.path = path
        self.data = data
        self.module = Module(data, path=str(path))
        self.symbols = self.module.linking().symbols
        self.relocs = self.module.relocations()
        rows = unit_rows(self.module.scan_result)
        n = len(self.symbols)
        seg_address = [i32_const(s.offset) for s in self.module.data_segments]
        slot = {}
        for seg in self.module.elements:
            base = i32_const(seg.offset)
            for k, f in enumerate(seg.functions):
                slot[f] = base + k
        code = self.module.section(10)
        entries, bodies, _ = scan_code(data, code.payload, code.size)
        defined_bodies = {len(self.module.imported(0)) + k: bodies[k] - code.payload
                          for k in range(len(bodies))}
        self.value, self.table, self.code_offset, self.state = [0] * n, [0] * n, [0] * n, [0] * n
        for i in range(n):
            kind, index = self.symbols.kind[i], self.symbols.index[i]
            if kind == SYMTAB_DATA:
                if self.symbols.is_undefined(i):
                    self.state[i] = SYMBOL_UNDEFINED
                else:
                    self.value[i] = seg_address[index] + self.symbols.offset[i]
            elif kind == SYMTAB_SECTION:
                self.value[i] = 0           # each input section starts its output section
            else:
                self.value[i] = index
            if kind == SYMTAB_FUNCTION:
                self.table[i] = slot.get(index, 0)
                if index in defined_bodies:
                    self.code_offset[i] = defined_bodies[index]
                else:
                    self.state[i] |= SYMBOL_UNDEFINED
        self.ntypes = len(self.module.types)
        # chunks per relocated section (relative to its contents), and their load addresses
        self.chunks = {}
        for r in self.relocs:
            target = self.module.sections[r.target]
            start, size = section_contents(self.module.scan_result, rows[r.target])
            if target.id == 10:
                ends = [e - start for e in entries[1:]] + [size]
                chunks = [(e - start, end) for e, end in zip(entries, ends)]
                address = [0] * len(chunks)
            elif target.id == 11:
                chunks = [(s.data_offset - start, s.data_offset - start + s.data_size)
                          for s in self.module.data_segments]
                address = seg_address
            else:
                chunks, address = [(0, size)], [0]
            self.chunks[r.target] = (start, chunks, address)

    def apply(self, target, shift=None, dead=()):
        """Apply one section's relocations with the compiler's values, each kind of value moved
        by ``shift`` (function, data, global, table, section, slot, code, type), the symbols
        ``dead`` marked dead; returns (count, the section's contents as relocated, the
        RelocSection)."""
        shift = shift or {}
        r = next(r for r in self.relocs if r.target == target)
        start, chunks, address = self.chunks[target]
        size = chunks[-1][1]
        name = self.module.sections[target].kind
        kinds = self.symbols.kind
        value = [v + {SYMTAB_FUNCTION: shift.get("function", 0), SYMTAB_DATA: shift.get("data", 0),
                      SYMTAB_GLOBAL: shift.get("global", 0), SYMTAB_TAG: 0,
                      SYMTAB_TABLE: shift.get("table", 0),
                      SYMTAB_SECTION: shift.get("section", 0)}[kinds[i]]
                 for i, v in enumerate(self.value)]
        state = list(self.state)
        for i in dead:
            state[i] |= SYMBOL_DEAD
        args = dict(
            out=bytearray(size), inp=self.data, section_start=start,
            chunk_start=array("I", [c[0] for c in chunks]),
            chunk_end=array("I", [c[1] for c in chunks]),
            chunk_out=array("q", [c[0] for c in chunks]),
            chunk_address=array("q", [a + shift.get("data", 0) for a in address]),
            reloc_type=r.type, reloc_offset=r.offset, reloc_index=r.index, reloc_addend=r.addend,
            sym_value=array("Q", value),
            sym_table_index=array("I", [t + shift.get("slot", 0) if t else 0 for t in self.table]),
            sym_code_offset=array("Q", [c + shift.get("code", 0) for c in self.code_offset]),
            type_map=array("I", [(t + shift.get("type", 0)) % max(self.ntypes, 1)
                                 for t in range(self.ntypes)]),
            tls_base=0, memory_base=0, table_base=0, sym_state=array("B", state),
            tombstone=section_tombstone(name) if self.module.sections[target].id == 0 else 0)
        args["out"][:] = b"\xee" * size
        n = copy_and_relocate(**args)
        out = args["out"]
        assert apply(reference.copy_and_relocate, args) == (n, bytes(out))
        # the bytes between chunks (a code section's count, data segment headers) are not
        # copied: they must be untouched; fill them from the input for the comparisons
        gaps = [(end, begin) for (_, end), (begin, _) in zip([(0, 0)] + chunks, chunks)]
        for begin, end in gaps:
            assert out[begin:end] == b"\xee" * (end - begin)
            out[begin:end] = self.data[start + begin:start + end]
        return n, bytes(out), r


@pytest.fixture(scope="module", params=["-O1", "-O1 -g", "-O0 -g"])
def compiled(request, toolchain):
    flags = request.param.split()
    path = toolchain.compile(f"relocate{''.join(flags)}.o", C_SOURCE, *flags)
    with MappedFile(path) as f:
        yield path, Object(path, f.data)


def test_our_relocations_are_the_ones_wasm_objdump_lists(compiled):
    path, obj = compiled
    ours = {r.target: [(RELOC_NAMES[t], o, i) for t, o, i in zip(r.type, r.offset, r.index)]
            for r in obj.relocs}
    assert ours == objdump_relocations(path)
    assert {obj.module.sections[t].kind for t in ours} >= {"code", "data"}


def test_the_compiler_s_own_values_reproduce_every_section(compiled):
    path, obj = compiled
    for r in obj.relocs:
        start, chunks, _ = obj.chunks[r.target]
        n, out, _ = obj.apply(r.target)
        assert n == len(r)
        assert out == bytes(obj.data[start:start + len(out)]), obj.module.sections[r.target].kind


SHIFT = {"function": 1000, "data": 0x10000, "global": 7, "table": 2, "section": 0x300,
         "slot": 50, "code": 0x100000, "type": 1}


def test_shifted_values_change_exactly_the_listed_windows_by_their_shift(compiled):
    path, obj = compiled
    listed = objdump_relocations(path)
    delta = {"FUNCTION_INDEX": 1000, "GLOBAL_INDEX": 7, "TABLE_NUMBER": 2, "TABLE_INDEX": 50,
             "MEMORY_ADDR": 0x10000, "FUNCTION_OFFSET": 0x100000, "SECTION_OFFSET": 0x300}
    for target, rows in listed.items():
        start, chunks, _ = obj.chunks[target]
        _, out, r = obj.apply(target, SHIFT)
        original = bytes(obj.data[start:start + len(out)])
        windows = set()
        for name, offset, index in rows:
            width = RELOC_TYPES[CODE[name]].width
            windows.update(range(offset, offset + width))
            before = reference_decode(original, offset, name)
            after = reference_decode(out, offset, name)
            if name == "R_WASM_TYPE_INDEX_LEB":
                expected = (before + 1) % obj.ntypes
            elif "MEMORY_ADDR" in name and obj.state[index] & SYMBOL_UNDEFINED:
                expected = 0
            else:
                expected = before + next(d for k, d in delta.items() if k in name)
            assert after == expected, (name, offset, index)
        changed = {k for k in range(len(out)) if out[k] != original[k]}
        assert changed <= windows
        assert len(changed) >= len(rows) - sum(1 for n, _, i in rows if "MEMORY_ADDR" in n
                                               and obj.state[i] & SYMBOL_UNDEFINED)


def test_debug_references_to_a_dead_function_get_lld_s_tombstones(toolchain):
    path = toolchain.compile("relocate-dead.o", C_SOURCE, "-O0", "-g")
    with MappedFile(path) as f:
        obj = Object(path, f.data)
        dead = [i for i in range(len(obj.symbols)) if obj.symbols.name(i) == "mul"]
        checked = set()
        for target in obj.chunks:
            name = obj.module.sections[target].kind
            if not name.startswith(".debug_"):
                continue
            _, out, r = obj.apply(target, dead=dead)
            for t, offset, index, addend in zip(r.type, r.offset, r.index, r.addend):
                if index == dead[0] and RELOC_NAMES[t] == "R_WASM_FUNCTION_OFFSET_I32":
                    expected = 0xFFFFFFFE if name in (".debug_ranges", ".debug_loc") \
                        else 0xFFFFFFFF
                    assert reference_decode(out, offset, RELOC_NAMES[t]) == expected
                    checked.add(name)
        assert {".debug_info", ".debug_ranges", ".debug_line"} <= checked, checked


def test_a_real_relocation_moved_onto_a_function_boundary_is_a_clean_error(compiled):
    path, obj = compiled
    code = next(r for r in obj.relocs if obj.module.sections[r.target].id == 10)
    start, chunks, _ = obj.chunks[code.target]
    boundary = chunks[1][0]                         # where the second function's entry starts
    offsets = array("I", code.offset)
    k = next(i for i, o in enumerate(offsets) if o > boundary)   # first relocation past it
    offsets[k - 1 if k else 0] = boundary - 2      # now patches 5 bytes across the boundary
    offsets = array("I", sorted(offsets))
    n = len(obj.symbols)
    with pytest.raises(ParseError) as e:
        copy_and_relocate(
            bytearray(chunks[-1][1]), obj.data, start, array("I", [c[0] for c in chunks]),
            array("I", [c[1] for c in chunks]), array("q", [c[0] for c in chunks]),
            array("q", [0] * len(chunks)), code.type, offsets, code.index, code.addend,
            array("Q", obj.value), array("I", obj.table), array("Q", obj.code_offset),
            array("I", range(obj.ntypes)), 0, 0, 0, array("B", [0] * n), context="section code")
    assert e.value.offset == start + boundary - 2
    assert "past the end of its chunk" in str(e.value)
    assert str(e.value.in_file(path)).startswith(f"{path}: invalid relocation offset: R_WASM_")
