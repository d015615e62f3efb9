"""The `linking` and `reloc.*` sections of relocatable objects, against LLVM's own reader.

Real objects from clang-22 (C and C++, weak symbols, constructors with priorities, comdats, TLS,
debug info) and every member of Debian's wasi-libc libc.a are decoded by wasmlink and compared
exactly with what obj2yaml-22 prints (the symbol table, segment info, init functions, comdats
and each section's relocations) and with wasm-objdump's relocation counts. Malformed inputs are
real objects with one field changed; each must raise ParseError at the right file offset.
"""
from __future__ import annotations

import re
import shutil

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import LLVM_BIN, WASI_LIB, run
from wasmlink._native.leb128 import encode_s32, encode_s64, encode_u32
from wasmlink._native.reloc import RELOC_NAMES, RELOC_TYPES, decode_relocs, decode_symbol_table
from wasmlink._native.scan import scan
from wasmlink.binary.files import MappedFile
from wasmlink.binary.linking import (
    SEGMENT_FLAG_NAMES, SYMBOL_FLAG_NAMES, SYMTAB_DATA, SYMTAB_FUNCTION, SYMTAB_GLOBAL,
    SYMTAB_SECTION, SYMTAB_TABLE, SYMTAB_TAG, WASM_COMDAT_DATA, WASM_COMDAT_FUNCTION,
    WASM_SEGMENT_FLAG_TLS, WASM_SYM_BINDING_WEAK, WASM_SYM_EXPLICIT_NAME, WASM_SYM_TLS,
    WASM_SYM_UNDEFINED, read_linking, read_relocs,
    relocation_counts, section_contents)
from wasmlink.binary.reader import Reader
from wasmlink.errors import ParseError

OBJ2YAML = LLVM_BIN / "obj2yaml"
WASM_OBJDUMP = shutil.which("wasm-objdump") or "wasm-objdump"   # installed by scripts/install-test-deps

C_SOURCE = r"""
#include <stdio.h>
int counter = 3;
static const char *msg = "hello";
__attribute__((weak)) int weak_var = 7;
extern int ext_var;
__attribute__((weak)) void weak_fn(void) {}
extern void maybe(void) __attribute__((weak));
__attribute__((constructor(101))) static void early(void) { counter++; }
__attribute__((constructor)) static void late(void) { counter += 2; }
__attribute__((import_module("env"), import_name("host_fn"))) void renamed(int);
int (*fp)(const char *, ...) = printf;
int main(void) {
    renamed(1);
    if (maybe) maybe();
    weak_fn();
    printf("%s %d %d\n", msg, counter, ext_var);
    return fp("x");
}
"""

CXX_SOURCE = r"""
template <typename T> struct Box { T v; T get() const { return v * 2; } };
inline int shared_inline(int x) { static int calls; return x + ++calls; }
int use_box(int x) { Box<int> b{x}; return b.get() + shared_inline(x); }
struct Init { Init(); };
Init::Init() {}
static Init init_obj;
"""

TLS_SOURCE = r"""
_Thread_local int tls_counter = 5;
_Thread_local char tls_buf[16];
int bump(void) { return ++tls_counter + tls_buf[3]; }
"""

KINDS = {"FUNCTION": SYMTAB_FUNCTION, "DATA": SYMTAB_DATA, "GLOBAL": SYMTAB_GLOBAL,
         "SECTION": SYMTAB_SECTION, "TAG": SYMTAB_TAG, "TABLE": SYMTAB_TABLE}
INDEX_KEY = {"FUNCTION": "Function", "DATA": "Segment", "GLOBAL": "Global", "SECTION": "Section",
             "TAG": "Tag", "TABLE": "Table"}
SYMBOL_FLAGS = {name: bit for bit, name in SYMBOL_FLAG_NAMES.items()}
SEGMENT_FLAGS = {name: bit for bit, name in SEGMENT_FLAG_NAMES.items()}
COMDAT_KINDS = {"DATA": 0, "FUNCTION": 1, "GLOBAL": 2, "EVENT": 3, "TAG": 3, "TABLE": 4,
                "SECTION": 5}
RELOC_CODES = {name: code for code, name in enumerate(RELOC_NAMES)}
# import kinds in the import section → the symbol kinds that take their names
IMPORT_SYMBOL_KIND = {0: SYMTAB_FUNCTION, 1: SYMTAB_TABLE, 3: SYMTAB_GLOBAL, 4: SYMTAB_TAG}


# ---- helpers ----------------------------------------------------------------------------------

def obj2yaml(path) -> dict:
    text = run([OBJ2YAML, path]).stdout
    return yaml.load(text.replace("--- !WASM", "---", 1), Loader=yaml.CSafeLoader)


def custom_name(data, result, row) -> str | None:
    if result.section_id[row] != 0:
        return None
    start = result.section_name_offset[row]
    return bytes(data[start:start + result.section_name_size[row]]).decode()


def section_row(data, result, name) -> int:
    return next(i for i in range(result.section_count) if custom_name(data, result, i) == name)


def skip_limits(r: Reader) -> None:
    flags = r.byte("limits flags")
    read = r.u64 if flags & 4 else r.u32
    read()
    if flags & 1:
        read()
    if flags & 8:
        r.u32()     # custom page size


def import_names(data, result) -> dict[int, list[str]]:
    """Symbol kind → the field names of the imports of that kind, in index order."""
    names: dict[int, list[str]] = {kind: [] for kind in IMPORT_SYMBOL_KIND.values()}
    rows = [i for i in range(result.section_count) if result.section_id[i] == 2]
    if not rows:
        return names
    row = rows[0]
    r = Reader(data, result.section_payload[row], result.section_payload[row] +
               result.section_size[row])
    for _ in range(r.u32()):
        r.name()
        field = r.name()
        kind = r.byte()
        if kind == 0:
            r.u32()
        elif kind == 1:
            if r.byte() in (0x63, 0x64):
                r.s64()
            skip_limits(r)
        elif kind == 2:
            skip_limits(r)
        elif kind == 3:
            if r.byte() in (0x63, 0x64):
                r.s64()
            r.byte()
        elif kind == 4:
            r.byte()
            r.u32()
        if kind in IMPORT_SYMBOL_KIND:
            names[IMPORT_SYMBOL_KIND[kind]].append(field)
    return names


def external_names(data, result):
    """external_name(kind, index): import names, and section names for section symbols."""
    imports = import_names(data, result)

    def lookup(kind, index):
        if kind == SYMTAB_SECTION:
            return custom_name(data, result, index)
        return imports[kind][index]
    return lookup


def load(data):
    result = scan(data)
    linking = read_linking(data, result, external_name=external_names(data, result))
    return result, linking, read_relocs(data, result, symbols=linking.symbols)


def yaml_linking(doc) -> dict:
    return next(s for s in doc["Sections"] if s.get("Name") == "linking")


def expected_symbols(doc) -> list[tuple]:
    out = []
    for s in yaml_linking(doc).get("SymbolTable", []):
        flags = sum(SYMBOL_FLAGS[f] for f in s["Flags"])
        out.append((KINDS[s["Kind"]], flags, s.get(INDEX_KEY[s["Kind"]], 0), s.get("Offset", 0),
                    s.get("Size", 0), s.get("Name")))
    return out


def actual_symbols(symbols) -> list[tuple]:
    return [(symbols.kind[i], symbols.flags[i], symbols.index[i], symbols.offset[i],
             symbols.size[i], None if symbols.kind[i] == SYMTAB_SECTION else symbols.name(i))
            for i in range(len(symbols))]


def expected_relocs(doc, data, result) -> dict[int, list[tuple]]:
    """Target section index → its entries. obj2yaml folds each reloc.* section into its target
    and does not list it, so its section list is the file's without them."""
    rows = [i for i in range(result.section_count)
            if not (custom_name(data, result, i) or "").startswith("reloc.")]
    out = {}
    for row, section in zip(rows, doc["Sections"], strict=True):
        if section.get("Relocations"):
            out[row] = [(RELOC_CODES[e["Type"]], e["Offset"], e["Index"], e.get("Addend", 0))
                        for e in section["Relocations"]]
    return out


def actual_relocs(relocs) -> dict[int, list[tuple]]:
    return {s.target: [tuple(e) for e in s] for s in relocs}


def expected_segments(doc) -> list[tuple]:
    return [(s["Name"], s["Alignment"], sum(SEGMENT_FLAGS[f] for f in s["Flags"]))
            for s in yaml_linking(doc).get("SegmentInfo", [])]


def expected_comdats(doc) -> list[tuple]:
    return [(c["Name"], tuple((COMDAT_KINDS[e["Kind"]], e["Index"]) for e in c["Entries"]))
            for c in yaml_linking(doc).get("Comdats", [])]


def replace_contents(data: bytes, row: int, contents: bytes) -> bytes:
    """The file with custom section ``row``'s contents (after its name) replaced."""
    result = scan(data)
    start = result.section_start[row]
    end = result.section_payload[row] + result.section_size[row]
    name = bytes(data[result.section_name_offset[row]:
                      result.section_name_offset[row] + result.section_name_size[row]])
    payload = encode_u32(len(name)) + name + contents
    return data[:start] + b"\x00" + encode_u32(len(payload)) + payload + data[end:]


def contents_of(data, name) -> tuple[int, bytes]:
    result = scan(data)
    start, size = section_contents(result, section_row(data, result, name))
    return start, data[start:start + size]


def encode_relocs(target: int, entries) -> bytes:
    out = encode_u32(target) + encode_u32(len(entries))
    for rtype, offset, index, addend in entries:
        out += bytes([rtype]) + encode_u32(offset) + encode_u32(index)
        if RELOC_TYPES[rtype].has_addend:
            out += (encode_s64 if RELOC_TYPES[rtype].width in (8, 10) else encode_s32)(addend)
    return out


def linking_subsections(contents: bytes) -> list[tuple[int, int, int, int]]:
    """(head, type, body, size) of each subsection, positions relative to the contents."""
    r = Reader(contents, 1)
    out = []
    while not r.at_end():
        head = r.pos
        kind = r.byte()
        size = r.u32()
        out.append((head, kind, r.pos, size))
        r.pos += size
    return out


def entry_positions(section_start: int, contents: bytes) -> list[int]:
    """Where each relocation entry starts, by a plain-Python walk (the test's own reader)."""
    r = Reader(contents, 0)
    r.u32()
    positions = []
    for _ in range(r.u32()):
        positions.append(section_start + r.pos)
        rtype = r.byte()
        r.u32()
        r.u32()
        if RELOC_TYPES[rtype].has_addend:
            r.s64()
    return positions


# ---- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def c_object(toolchain):
    return toolchain.compile("linking_c.o", C_SOURCE)


@pytest.fixture(scope="module")
def debug_object(toolchain):
    return toolchain.compile("linking_g.o", C_SOURCE, "-g")


@pytest.fixture(scope="module")
def cxx_object(toolchain):
    return toolchain.compile("linking_cxx.o", CXX_SOURCE, lang="c++")


@pytest.fixture(scope="module")
def tls_object(toolchain):
    return toolchain.compile("linking_tls.o", TLS_SOURCE, "-pthread", "-matomics",
                             "-mbulk-memory")


# ---- well-formed objects: exact agreement with obj2yaml ---------------------------------------

def test_symbol_table_matches_obj2yaml(c_object):
    data = c_object.read_bytes()
    _, linking, _ = load(data)
    assert linking.version == 2
    assert actual_symbols(linking.symbols) == expected_symbols(obj2yaml(c_object))
    t = linking.symbols
    assert [c.typecode for c in (t.kind, t.flags, t.index, t.offset, t.size, t.name_offset,
                                 t.name_size)] == ["B", "I", "I", "Q", "Q", "Q", "I"]


def test_undefined_symbol_takes_its_import_name_unless_explicit(c_object):
    data = c_object.read_bytes()
    result = scan(data)
    no_imports = read_linking(data, result).symbols
    symbols = read_linking(data, result, external_name=import_names(data, result)).symbols
    by_name = {symbols.name(i): i for i in range(len(symbols))}
    # `renamed` is imported as env.host_fn under an explicit symbol name
    renamed = by_name["renamed"]
    assert symbols.flags[renamed] & (WASM_SYM_UNDEFINED | WASM_SYM_EXPLICIT_NAME) == \
        WASM_SYM_UNDEFINED | WASM_SYM_EXPLICIT_NAME
    assert no_imports.name(renamed) == "renamed"
    assert import_names(data, result)[SYMTAB_FUNCTION][symbols.index[renamed]] == "host_fn"
    # `printf` spells no name: without the import names there is none to give
    printf = by_name["printf"]
    assert not symbols.has_own_name(printf) and no_imports.name(printf) is None
    assert symbols.name_bytes(printf) is None and symbols.name_bytes(renamed) == b"renamed"


def test_weak_symbols_are_flagged(c_object):
    symbols = load(c_object.read_bytes())[1].symbols
    weak = {symbols.name(i) for i in range(len(symbols)) if symbols.is_weak(i)}
    assert weak == {"weak_fn", "weak_var", "maybe"}
    maybe = next(i for i in range(len(symbols)) if symbols.name(i) == "maybe")
    assert symbols.is_undefined(maybe) and symbols.flags[maybe] & WASM_SYM_BINDING_WEAK


def test_init_functions_keep_priorities_and_name_symbols(c_object):
    linking = load(c_object.read_bytes())[1]
    assert [(f.priority, linking.symbols.name(f.symbol)) for f in linking.init_functions] == \
        [(101, "early"), (65535, "late")]
    doc = yaml_linking(obj2yaml(c_object))
    assert [tuple(f) for f in linking.init_functions] == \
        [(f["Priority"], f["Symbol"]) for f in doc["InitFunctions"]]


def test_segment_info_matches_obj2yaml(c_object):
    linking = load(c_object.read_bytes())[1]
    assert [tuple(s) for s in linking.segments] == expected_segments(obj2yaml(c_object))
    strings = next(s for s in linking.segments if s.name == ".rodata..L.str")
    assert strings.flags == 1 and strings.align_bytes == 1


def test_relocations_match_obj2yaml(c_object):
    data = c_object.read_bytes()
    result, _, relocs = load(data)
    assert actual_relocs(relocs) == expected_relocs(obj2yaml(c_object), data, result)
    assert [s.name for s in relocs] == ["reloc.CODE", "reloc.DATA"]
    code = relocs[0]
    assert [c.typecode for c in (code.type, code.offset, code.index, code.addend)] == \
        ["B", "I", "I", "q"]


def test_debug_relocations_in_custom_sections_match_obj2yaml(debug_object):
    data = debug_object.read_bytes()
    result, linking, relocs = load(data)
    expected = expected_relocs(obj2yaml(debug_object), data, result)
    assert actual_relocs(relocs) == expected
    targets = {custom_name(data, result, s.target) for s in relocs}
    assert {".debug_info", ".debug_line", ".debug_ranges"} <= targets
    # debug sections carry addends (offsets into .debug_str, into functions)
    assert any(a for s in relocs for a in s.addend)
    assert actual_symbols(linking.symbols) == expected_symbols(obj2yaml(debug_object))


def test_section_symbols_are_named_after_their_sections(debug_object):
    data = debug_object.read_bytes()
    linking = load(data)[1]
    symbols = linking.symbols
    names = {symbols.name(i) for i in range(len(symbols)) if symbols.kind[i] == SYMTAB_SECTION}
    assert {".debug_abbrev", ".debug_str", ".debug_line"} <= names
    assert all(symbols.is_local(i) for i in range(len(symbols))
               if symbols.kind[i] == SYMTAB_SECTION)


def test_relocation_counts_match_wasm_objdump(debug_object):
    relocs = load(debug_object.read_bytes())[2]
    text = run([WASM_OBJDUMP, "-x", debug_object]).stdout
    expected = {int(m[1]): int(m[2]) for m in
                re.finditer(r"relocations for section: (\d+) \(.*?\) \[(\d+)\]", text)}
    assert relocation_counts(relocs) == expected


def test_cxx_comdats_match_obj2yaml(cxx_object):
    data = cxx_object.read_bytes()
    linking = load(data)[1]
    doc = obj2yaml(cxx_object)
    assert [(c.name, tuple(tuple(e) for e in c.entries)) for c in linking.comdats] == \
        expected_comdats(doc)
    names = {c.name for c in linking.comdats}
    assert {"_Z13shared_inlinei", "_ZNK3BoxIiE3getEv"} <= names
    kinds = {e.kind for c in linking.comdats for e in c.entries}
    assert kinds == {WASM_COMDAT_FUNCTION, WASM_COMDAT_DATA}
    assert actual_symbols(linking.symbols) == expected_symbols(doc)


def test_tls_symbols_segments_and_relocations(tls_object):
    data = tls_object.read_bytes()
    result, linking, relocs = load(data)
    doc = obj2yaml(tls_object)
    symbols = linking.symbols
    tls = {symbols.name(i) for i in range(len(symbols)) if symbols.flags[i] & WASM_SYM_TLS}
    assert tls == {"tls_counter", "tls_buf"}
    assert all(s.flags & WASM_SEGMENT_FLAG_TLS for s in linking.segments)
    assert [tuple(s) for s in linking.segments] == expected_segments(doc)
    types = {RELOC_NAMES[t] for s in relocs for t in s.type}
    assert "R_WASM_MEMORY_ADDR_TLS_SLEB" in types
    assert actual_relocs(relocs) == expected_relocs(doc, data, result)


def assert_matches_obj2yaml(path) -> dict:
    doc = obj2yaml(path)
    with MappedFile(path) as f:
        result, linking, relocs = load(f.data)
        assert actual_symbols(linking.symbols) == expected_symbols(doc), path.name
        assert actual_relocs(relocs) == expected_relocs(doc, f.data, result), path.name
        assert [tuple(s) for s in linking.segments] == expected_segments(doc), path.name
        assert [tuple(i) for i in linking.init_functions] == \
            [(i["Priority"], i["Symbol"]) for i in
             yaml_linking(doc).get("InitFunctions", [])], path.name
        assert [(c.name, tuple(tuple(e) for e in c.entries)) for c in linking.comdats] == \
            expected_comdats(doc), path.name
        del linking, relocs       # release the views before the mapping closes
    return doc


def test_every_libc_member_matches_obj2yaml(libc_objects):
    assert len(libc_objects) > 500
    for path in libc_objects:
        assert_matches_obj2yaml(path)


def test_every_libcxx_member_matches_obj2yaml(tmp_path):
    run([LLVM_BIN / "llvm-ar", "x", WASI_LIB / "libc++.a"], cwd=tmp_path)
    members = sorted(tmp_path.glob("*.o"))
    assert len(members) > 20
    comdats = 0
    for path in members:
        comdats += len(yaml_linking(assert_matches_obj2yaml(path)).get("Comdats", []))
    assert comdats > 1000       # C++ templates and inline functions: comdats at scale


def test_reloc_type_table_follows_the_naming_rule():
    # the spec's rule: _LEB/_SLEB patch 5 bytes, their 64-bit forms 10, _I32 4, _I64 8; the
    # addend is there for MEMORY_ADDR_*, FUNCTION_OFFSET_* and SECTION_OFFSET_I32
    assert len(RELOC_TYPES) == 27 and RELOC_TYPES[26].name == "R_WASM_FUNCTION_INDEX_I32"
    for t in RELOC_TYPES:
        suffix = t.name.rsplit("_", 1)[1]
        assert (t.encoding, t.width) == {"LEB": ("LEB", 5), "SLEB": ("SLEB", 5),
                                         "LEB64": ("LEB", 10), "SLEB64": ("SLEB", 10),
                                         "I32": ("I32", 4), "I64": ("I64", 8)}[suffix], t
        assert t.has_addend == any(k in t.name for k in
                                   ("MEMORY_ADDR", "FUNCTION_OFFSET", "SECTION_OFFSET")), t


def test_unknown_linking_subsection_is_skipped_with_its_range(c_object):
    data = c_object.read_bytes()
    result = scan(data)
    row = section_row(data, result, "linking")
    start, contents = contents_of(data, "linking")
    extra = b"\x63" + encode_u32(3) + b"abc"
    mutated = replace_contents(data, row, contents + extra)
    result2 = scan(mutated)
    linking = read_linking(mutated, result2, external_name=import_names(mutated, result2))
    new_start = section_contents(result2, row)[0]
    assert [tuple(s) for s in linking.unknown_subsections] == \
        [(0x63, new_start + len(contents) + 2, 3)]
    assert actual_symbols(linking.symbols) == actual_symbols(load(data)[1].symbols)


# ---- malformed objects: ParseError at the right offset ----------------------------------------

def test_reloc_count_larger_than_the_bytes(c_object):
    data = c_object.read_bytes()
    row = section_row(data, scan(data), "reloc.CODE")
    start, contents = contents_of(data, "reloc.CODE")
    r = Reader(contents, 0)
    target = r.u32()
    r.u32()
    mutated = replace_contents(data, row, encode_u32(target) + encode_u32(0x7FFFFFFF) +
                               contents[r.pos:])
    new_start = contents_of(mutated, "reloc.CODE")[0]
    with pytest.raises(ParseError, match="relocation count 2147483647 is larger") as e:
        load(mutated)
    assert e.value.offset == new_start + len(encode_u32(target))
    assert e.value.context == "section reloc.CODE"


def test_unknown_reloc_type(c_object):
    data = bytearray(c_object.read_bytes())
    start, contents = contents_of(data, "reloc.CODE")
    third = entry_positions(start, contents)[2]
    data[third] = 27
    with pytest.raises(ParseError, match="invalid relocation type: 27") as e:
        load(bytes(data))
    assert e.value.offset == third


def test_reloc_offset_beyond_the_target_section(c_object):
    data = c_object.read_bytes()
    result, _, relocs = load(data)
    code = relocs[0]
    assert code.name == "reloc.CODE"
    code_size = section_contents(result, code.target)[1]
    entries = [tuple(e) for e in code]
    last = entries[-1]
    entries[-1] = (last[0], code_size - 4, last[2], last[3])    # a 5-byte LEB that sticks out
    row = section_row(data, result, "reloc.CODE")
    mutated = replace_contents(data, row, encode_relocs(code.target, entries))
    start, contents = contents_of(mutated, "reloc.CODE")
    with pytest.raises(ParseError, match="invalid relocation offset") as e:
        load(mutated)
    assert e.value.offset == entry_positions(start, contents)[-1] + 1
    # the same bytes are accepted when the caller does not ask for the range check
    assert len(read_relocs(mutated, scan(mutated), check_offsets=False)[0]) == len(entries)


def test_reloc_offsets_out_of_order(c_object):
    data = c_object.read_bytes()
    result, _, relocs = load(data)
    entries = [tuple(e) for e in relocs[0]]
    entries[3], entries[4] = entries[4], entries[3]
    row = section_row(data, result, "reloc.CODE")
    mutated = replace_contents(data, row, encode_relocs(relocs[0].target, entries))
    start, contents = contents_of(mutated, "reloc.CODE")
    with pytest.raises(ParseError, match="relocations not in offset order") as e:
        load(mutated)
    assert e.value.offset == entry_positions(start, contents)[4] + 1


def test_reloc_naming_a_symbol_of_the_wrong_kind(c_object):
    data = c_object.read_bytes()
    result, linking, relocs = load(data)
    symbols = linking.symbols
    data_symbol = next(i for i in range(len(symbols)) if symbols.kind[i] == SYMTAB_DATA)
    entries = [tuple(e) for e in relocs[0]]
    call = next(k for k, e in enumerate(entries)
                if RELOC_NAMES[e[0]] == "R_WASM_FUNCTION_INDEX_LEB")
    entries[call] = (entries[call][0], entries[call][1], data_symbol, 0)
    row = section_row(data, result, "reloc.CODE")
    mutated = replace_contents(data, row, encode_relocs(relocs[0].target, entries))
    start, contents = contents_of(mutated, "reloc.CODE")
    with pytest.raises(ParseError, match="cannot name symbol .*, a data symbol") as e:
        load(mutated)
    index_at = entry_positions(start, contents)[call] + 1 + len(encode_u32(entries[call][1]))
    assert e.value.offset == index_at


def test_linking_version_1_is_rejected(c_object):
    data = bytearray(c_object.read_bytes())
    start, contents = contents_of(data, "linking")
    assert contents[0] == 2
    data[start] = 1
    with pytest.raises(ParseError, match="unexpected linking metadata version 1: expected 2") as e:
        load(bytes(data))
    assert e.value.offset == start


def test_truncated_linking_subsection(c_object):
    data = c_object.read_bytes()
    row = section_row(data, scan(data), "linking")
    contents = contents_of(data, "linking")[1]
    # the first subsection (the symbol table) claims 9 bytes more than the section holds
    head, kind, body, _ = linking_subsections(contents)[0]
    mutated = replace_contents(data, row, contents[:head] + bytes([kind]) +
                               encode_u32(len(contents) - body + 9) + contents[body:])
    new_start = contents_of(mutated, "linking")[0]
    with pytest.raises(ParseError, match="linking subsection 8 of size .* runs past the end") \
            as e:
        load(mutated)
    assert e.value.offset == new_start + head


def test_symbol_table_with_bytes_missing(c_object):
    data = c_object.read_bytes()
    result = scan(data)
    start, contents = contents_of(data, "linking")
    r = Reader(contents, 1)
    assert r.byte() == 8
    size = r.u32()
    # decode only the symbol table minus its last byte: the last symbol's name runs past the end
    with pytest.raises(ParseError, match="runs past the end of the symbol table|unexpected end") \
            as e:
        decode_symbol_table(data, start + r.pos, size - 1)
    assert start + r.pos <= e.value.offset < start + r.pos + size


def test_invalid_utf8_in_a_symbol_name(c_object):
    data = bytearray(c_object.read_bytes())
    symbols = load(bytes(data))[1].symbols
    i = next(i for i in range(len(symbols)) if symbols.name(i) == "counter")
    at = symbols.name_offset[i] + 2
    data[at] = 0xFF
    with pytest.raises(ParseError, match="invalid UTF-8") as e:
        load(bytes(data))
    assert e.value.offset == at
    assert "symbol table" in e.value.context


def test_init_function_naming_a_data_symbol(c_object):
    data = c_object.read_bytes()
    symbols = load(data)[1].symbols
    data_symbol = next(i for i in range(len(symbols)) if symbols.kind[i] == SYMTAB_DATA)
    contents = contents_of(data, "linking")[1]
    head, _, body, size = next(s for s in linking_subsections(contents) if s[1] == 6)
    init = encode_u32(1) + encode_u32(101) + encode_u32(data_symbol)
    new = contents[:head] + b"\x06" + encode_u32(len(init)) + init + contents[body + size:]
    mutated = replace_contents(data, section_row(data, scan(data), "linking"), new)
    new_start = contents_of(mutated, "linking")[0]
    with pytest.raises(ParseError, match=f"invalid function symbol: {data_symbol}") as e:
        load(mutated)
    assert e.value.offset == new_start + head + 2 + 2   # type, size, count, priority


def test_reloc_entry_cut_short(c_object):
    data = c_object.read_bytes()
    start, contents = contents_of(data, "reloc.DATA")
    # decode the payload minus its last byte: the last entry's addend is cut
    with pytest.raises(ParseError) as e:
        decode_relocs(data, start, len(contents) - 1)
    assert start <= e.value.offset < start + len(contents)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_sections_raise_only_parse_errors(debug_object, draw):
    data = bytearray(debug_object.read_bytes())
    name = draw.draw(st.sampled_from(["linking", "reloc.CODE", "reloc..debug_info"]))
    start, contents = contents_of(bytes(data), name)
    for _ in range(draw.draw(st.integers(1, 4))):
        at = draw.draw(st.integers(0, len(contents) - 1))
        data[start + at] = draw.draw(st.integers(0, 255))
    mutated = bytes(data)
    try:
        load(mutated)
    except ParseError as e:
        # a changed symbol kind may surface later, in a reloc section that names the symbol
        assert e.offset is not None and 0 <= e.offset <= len(mutated)
