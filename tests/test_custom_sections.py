"""The custom sections a linker reads: dylink.0 (and legacy dylink), name, producers and
target_features. What the decoders find matches wasm-objdump (wabt) and obj2yaml (LLVM) on
PIC libraries built here, -g executables, modules from the wat crate and the real libraries of
the componentize-py wheel; decode → encode gives back every payload byte for byte; sections the
encoders write from scratch read back the same through obj2yaml; malformed bytes raise
ParseError at the file offset of the fault."""
from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest
import wasmtime
from hypothesis import given, settings, strategies as st

from conftest import LLVM_BIN, WASM_LD, run
from wasmlink._native.leb128 import decode_u32, encode_u32
from wasmlink.binary import dylink, names, producers
from wasmlink.binary.dylink import (
    DylinkSection, DylinkSubsection, ExportInfo, ImportInfo, LegacyDylinkSection, MemInfo,
    decode_dylink, decode_legacy_dylink, encode_dylink, encode_legacy_dylink,
)
from wasmlink.binary.files import MappedFile
from wasmlink.binary.linking import (
    WASM_SYM_BINDING_LOCAL, WASM_SYM_BINDING_WEAK, WASM_SYM_EXPORTED, WASM_SYM_TLS,
    WASM_SYM_UNDEFINED, WASM_SYM_VISIBILITY_HIDDEN,
)
from wasmlink.binary.module import Module
from wasmlink.binary.names import IndirectNameMap, NameMap, decode_names, encode_names
from wasmlink.binary.producers import (
    ProducersField, ProducersSection, TargetFeatures, decode_producers, decode_target_features,
    encode_producers, encode_target_features,
)
from wasmlink.errors import ParseError

OBJ2YAML = LLVM_BIN / "obj2yaml"
CODECS = {
    "dylink.0": (decode_dylink, encode_dylink),
    "dylink": (decode_legacy_dylink, encode_legacy_dylink),
    "name": (decode_names, encode_names),
    "producers": (decode_producers, encode_producers),
    "target_features": (decode_target_features, encode_target_features),
}


# -- inputs -----------------------------------------------------------------------------------

LIBA_C = r"""
__attribute__((weak)) extern int maybe_there(void);
_Thread_local int counter = 3;
int shared_value = 42;
static int helper(int x) { return x + 1; }
int (*callback)(int) = helper;
int liba_get(void) {
  return counter + shared_value + callback(1) + (maybe_there ? maybe_there() : 0);
}
"""

LIBB_C = r"""
extern int liba_get(void);
int libb_twice(void) { return 2 * liba_get(); }
"""

PIC = ("-fPIC", "-fvisibility=default", "-g", "-O1")


@pytest.fixture(scope="module")
def liba(toolchain) -> Path:
    """A PIC library with a TLS export, a weak import, data and a table slot."""
    obj = toolchain.compile("liba.o", LIBA_C, *PIC, "-matomics", "-mbulk-memory")
    out = toolchain.root / "liba.so"
    run([WASM_LD, "-shared", "--experimental-pic", "--shared-memory",
         "--unresolved-symbols=import-dynamic", "-o", out, obj])
    return out


@pytest.fixture(scope="module")
def libb(toolchain, liba) -> Path:
    """A PIC library that needs liba.so, with two runtime paths."""
    obj = toolchain.compile("libb.o", LIBB_C, *PIC)
    out = toolchain.root / "libb.so"
    run([WASM_LD, "-shared", "--experimental-pic", "--unresolved-symbols=import-dynamic",
         "-rpath", "$ORIGIN/lib", "-rpath", "/opt/wasm/lib", "-o", out, obj, liba])
    return out


@pytest.fixture(scope="module")
def debug_executable(toolchain) -> Path:
    return toolchain.build("debug.wasm", "int data_word = 7;\n"
                           "int main(void) { return data_word; }\n", "-g")


ALL_NAMES_WAT = r"""
(module $mod
  (type $sig (func (param i32) (result i32)))
  (type $point (struct (field $x i32) (field $y i32)))
  (import "env" "imp" (func $imported (param i32)))
  (table $tab 1 funcref)
  (memory $mem 1)
  (global $g (mut i32) (i32.const 0))
  (tag $exn (param i32))
  (func $add (type $sig) (param $a i32) (result i32) (local $tmp i32)
    (block $outer (result i32) (loop $inner (br $outer (local.get $a)))))
  (elem $seg (i32.const 0) func $add)
  (data $blob (i32.const 0) "hi"))
"""


@pytest.fixture(scope="module")
def all_names_module(tmp_path_factory) -> Path:
    """Every kind of name the extended name section has, written by the wat crate."""
    out = tmp_path_factory.mktemp("names") / "all-names.wasm"
    out.write_bytes(wasmtime.wat2wasm(ALL_NAMES_WAT))
    return out


@pytest.fixture(scope="module")
def wabt_padded_module(tmp_path_factory) -> Path:
    """wat2wasm --no-canonicalize-leb128s pads every section and subsection size to 5 bytes."""
    d = tmp_path_factory.mktemp("wabt")
    (d / "m.wat").write_text('(module $m (func $f (param $x i32) (local $y i32))\n'
                             '  (global $g i32 (i32.const 0)) (memory $mem 1)\n'
                             '  (data $d (i32.const 0) "x"))\n')
    run(["wat2wasm", "--debug-names", "--no-canonicalize-leb128s", d / "m.wat",
         "-o", d / "m.wasm"])
    return d / "m.wasm"


def custom(path, name):
    """(mapped data, payload offset after the name, payload size) of the first ``name``."""
    f = MappedFile(path)
    s = Module(f.data, path=str(path)).custom(name)
    assert s is not None, f"{path} has no {name} section"
    return f.data, s.contents, s.end - s.contents


def decode(path, name):
    data, offset, size = custom(path, name)
    return CODECS[name][0](data, offset, size)


def module_with_custom(name: str, payload: bytes) -> bytes:
    """A module holding one custom section: enough for wabt and LLVM to print it."""
    raw = name.encode()
    body = encode_u32(len(raw)) + raw + payload
    return b"\0asm\1\0\0\0" + b"\0" + encode_u32(len(body)) + body


# -- the reference tools ----------------------------------------------------------------------

def objdump(path) -> str:
    return subprocess.run(["wasm-objdump", "-x", str(path)], capture_output=True, text=True,
                          check=True).stdout


def obj2yaml(path) -> str:
    return run([OBJ2YAML, path]).stdout


def objdump_custom(text: str, name: str) -> list[str]:
    """The detail lines wasm-objdump prints under one custom section."""
    lines = text.splitlines()
    start = lines.index(f' - name: "{name}"') + 1
    end = start
    while end < len(lines) and lines[end].startswith(" ") and not lines[end].startswith(" - name:"):
        end += 1
    return lines[start:end]


WABT_FLAGS = {"undefined": WASM_SYM_UNDEFINED, "tls": WASM_SYM_TLS,
              "binding=weak": WASM_SYM_BINDING_WEAK, "binding=local": WASM_SYM_BINDING_LOCAL,
              "binding=global": 0, "vis=hidden": WASM_SYM_VISIBILITY_HIDDEN, "vis=default": 0,
              "exported": WASM_SYM_EXPORTED}


def objdump_dylink(text: str, name: str = "dylink.0") -> dict:
    out = {"needed": [], "exports": [], "imports": []}
    lines = objdump_custom(text, name)
    for key in ("mem_size", "mem_p2align", "table_size", "table_p2align"):
        out[key] = next(int(line.split(":")[1]) for line in lines
                        if line.split(":")[0].strip(" -") == key)
    group = None
    for line in lines:
        m = re.match(r" - (needed_dynlibs|exports|imports)\[\d+\]:$", line)
        if m:
            group = {"needed_dynlibs": "needed"}.get(m[1], m[1])
            continue
        m = re.match(r"  - (.*?)(?: \[ (.*) \])?$", line)
        if m and group:
            if group == "needed":
                out["needed"].append(m[1])
            else:
                flags = sum(WABT_FLAGS[f] for f in m[2].split())
                out[group].append((m[1], flags))
    return out


def objdump_names(text: str) -> list[tuple]:
    """('module', name), (kind, index, name) or ('local', func, local, name) per line."""
    out = []
    for line in objdump_custom(text, "name"):
        if m := re.match(r" - module <(.*)>$", line):
            out.append(("module", m[1]))
        elif m := re.match(r" - func\[(\d+)\] local\[(\d+)\] <(.*)>$", line):
            out.append(("local", int(m[1]), int(m[2]), m[3]))
        elif m := re.match(r" - (\w+)\[(\d+)\] <(.*)>$", line):
            out.append((m[1], int(m[2]), m[3]))
    return out


def yaml_scalar(s: str) -> str:
    s = s.strip()
    if s.startswith("'"):
        return s[1:-1].replace("''", "'")
    if s.startswith('"'):
        return ast.literal_eval(s)                  # \x.. \n \" \\ mean the same in Python
    return s


def obj2yaml_section(text: str, name: str) -> list[str]:
    """The YAML lines of the custom section ``name`` (after its Name: line)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines)
                 if re.fullmatch(rf"\s+Name:\s+{re.escape(name)}", line)) + 1
    end = start
    while end < len(lines) and not lines[end].startswith("  - Type:") and lines[end] != "...":
        end += 1
    return lines[start:end]


def obj2yaml_lists(lines: list[str]) -> dict[str, list]:
    """Top-level keys of a section → their list items: str, or dict for '- Key: value' items."""
    out: dict[str, list] = {}
    key = None
    for line in lines:
        if m := re.fullmatch(r"    (\w+):\s*(.*)", line):
            key = m[1]
            out[key] = [] if m[2] in ("", "[]") else [yaml_scalar(m[2])]
        elif m := re.fullmatch(r"      - (\w+):\s+(.*)", line):
            out[key].append({m[1]: yaml_scalar(m[2])})
        elif m := re.fullmatch(r"        (\w+):\s+(.*)", line):
            out[key][-1][m[1]] = yaml_scalar(m[2])
        elif m := re.fullmatch(r"      - (.*)", line):
            out[key].append(yaml_scalar(m[1]))
    return out


def name_rows(sec) -> list[tuple]:
    """A decoded name section in the rows objdump_names gives (wabt's order and kind names)."""
    rows = [("module", sec.module_name)] if sec.module_name is not None else []
    for s in sec.subsections:
        kind = {names.FUNCTION: "func", names.TYPE: "type", names.TABLE: "table",
                names.MEMORY: "memory", names.GLOBAL: "global", names.ELEM_SEGMENT: "elemseg",
                names.DATA_SEGMENT: "dataseg"}.get(s.id)
        if kind:
            rows += [(kind, i, n) for i, n in s.value]
        elif s.id == names.LOCAL:
            rows += [("local", f, i, n) for f, m in s.value for i, n in m]
    return rows


def test_wheel_libraries_are_named_alike_by_their_name_section_and_their_exports(wheel_libs):
    from support.wheel_libs import name_by_exports
    guessed = {}
    for name, path in wheel_libs.items():
        if name.endswith(".so"):
            guessed[name] = name_by_exports(path.read_bytes(), "3.14")
    assert guessed == {name: name for name in guessed}
    assert {"libc.so", "libpython3.14.so", "libc++.so", "libc++abi.so",
            "libwasi-emulated-mman.so"} <= set(guessed)


# -- dylink.0 ---------------------------------------------------------------------------------

def test_dylink_of_a_pic_library_matches_wasm_objdump(liba):
    sec = decode(liba, "dylink.0")
    ref = objdump_dylink(objdump(liba))
    assert sec.mem_info == MemInfo(ref["mem_size"], ref["mem_p2align"], ref["table_size"],
                                   ref["table_p2align"])
    assert sec.mem_info.table_size >= 1          # the callback's slot
    assert [(e.name, e.flags) for e in sec.export_info] == ref["exports"] == [
        ("counter", WASM_SYM_TLS)]
    assert [(f"{i.module}.{i.field}", i.flags) for i in sec.import_info] == ref["imports"] == [
        ("env.maybe_there", WASM_SYM_BINDING_WEAK | WASM_SYM_UNDEFINED)]


def test_dylink_needed_and_runtime_path_match_obj2yaml(libb):
    sec = decode(libb, "dylink.0")
    ref = obj2yaml_lists(obj2yaml_section(obj2yaml(libb), "dylink.0"))
    assert sec.needed == ref["Needed"] == ["liba.so"]
    assert sec.runtime_path == ref["RuntimePath"] == ["$ORIGIN/lib", "/opt/wasm/lib"]
    assert [s.type for s in sec.subsections] == [dylink.WASM_DYLINK_MEM_INFO,
                                                 dylink.WASM_DYLINK_NEEDED,
                                                 dylink.WASM_DYLINK_RUNTIME_PATH]


def test_dylink_of_every_wheel_library_matches_wasm_objdump(wheel_libs):
    checked = 0
    for name, path in wheel_libs.items():
        text = objdump(path)
        if '"dylink.0"' not in text:
            continue
        sec = decode(path, "dylink.0")
        ref = objdump_dylink(text)
        info = sec.mem_info
        assert (info.memory_size, info.memory_p2align, info.table_size, info.table_p2align) == (
            ref["mem_size"], ref["mem_p2align"], ref["table_size"], ref["table_p2align"]), name
        assert sec.needed == ref["needed"], name
        assert [(e.name, e.flags) for e in sec.export_info] == ref["exports"], name
        assert [(f"{i.module}.{i.field}", i.flags) for i in sec.import_info] == ref["imports"], name
        checked += 1
    assert checked == 10
    assert decode(wheel_libs["libpython3.14.so"], "dylink.0").needed == [
        "libwasi-emulated-signal.so", "libwasi-emulated-getpid.so",
        "libwasi-emulated-process-clocks.so", "libdl.so", "libc.so"]


def test_dylink_repeated_subsections_join_and_the_last_mem_info_wins():
    sec = DylinkSection([
        DylinkSubsection(1, MemInfo(16, 2, 1, 0)),
        DylinkSubsection(2, ["liba.so"]),
        DylinkSubsection(3, [ExportInfo("a", WASM_SYM_TLS)]),
        DylinkSubsection(2, ["libb.so"]),
        DylinkSubsection(3, [ExportInfo("b", WASM_SYM_TLS)]),
        DylinkSubsection(1, MemInfo(32, 3, 2, 0)),
    ])
    assert sec.needed == ["liba.so", "libb.so"]
    assert [e.name for e in sec.export_info] == ["a", "b"]
    assert sec.mem_info == MemInfo(32, 3, 2, 0)


def test_dylink_written_from_scratch_reads_back_through_obj2yaml(tmp_path):
    sec = DylinkSection([
        DylinkSubsection(dylink.WASM_DYLINK_MEM_INFO, MemInfo(4096, 4, 7, 1)),
        DylinkSubsection(dylink.WASM_DYLINK_NEEDED, ["libc.so", "libm\u00e9.so"]),
        DylinkSubsection(dylink.WASM_DYLINK_EXPORT_INFO, [ExportInfo("tls_var", WASM_SYM_TLS)]),
        DylinkSubsection(dylink.WASM_DYLINK_IMPORT_INFO, [
            ImportInfo("env", "weak_fn", WASM_SYM_BINDING_WEAK | WASM_SYM_UNDEFINED)]),
        DylinkSubsection(dylink.WASM_DYLINK_RUNTIME_PATH, ["$ORIGIN"]),
    ])
    path = tmp_path / "lib.so"
    path.write_bytes(module_with_custom("dylink.0", encode_dylink(sec)))
    ref = obj2yaml_lists(obj2yaml_section(obj2yaml(path), "dylink.0"))
    assert ref == {
        "MemorySize": ["4096"], "MemoryAlignment": ["4"], "TableSize": ["7"],
        "TableAlignment": ["1"], "Needed": ["libc.so", "libm\u00e9.so"],
        "ImportInfo": [{"Module": "env", "Field": "weak_fn",
                        "Flags": "[ BINDING_WEAK, UNDEFINED ]"}],
        "ExportInfo": [{"Name": "tls_var", "Flags": "[ TLS ]"}],
        "RuntimePath": ["$ORIGIN"],
    }
    assert decode(path, "dylink.0") == sec


def test_dylink_unknown_subsection_is_kept_raw(libb, tmp_path):
    data, offset, size = custom(libb, "dylink.0")
    payload = bytes(data[offset:offset + size]) + b"\x2a\x03abc"
    sec = decode_dylink(memoryview(payload), 0, len(payload))
    assert sec.subsections[-1] == DylinkSubsection(0x2a, b"abc")
    assert encode_dylink(sec) == payload


def test_dylink_padded_subsection_size_is_kept():
    payload = b"\x02\x89\x80\x80\x80\x00\x01\x07liba.so"    # needed, size 9 in 5 bytes
    sec = decode_dylink(memoryview(payload), 0, len(payload))
    assert sec.subsections == [DylinkSubsection(2, ["liba.so"], size_width=5)]
    assert encode_dylink(sec) == payload


def test_legacy_dylink_is_decoded_like_wasm_objdump_reads_it(tmp_path):
    payload = encode_legacy_dylink(LegacyDylinkSection(MemInfo(16, 2, 1, 0), ["libfoo.so"]))
    path = tmp_path / "legacy.so"
    path.write_bytes(module_with_custom("dylink", payload))
    sec = decode(path, "dylink")
    ref = objdump_dylink(objdump(path), "dylink")
    assert sec.mem_info == MemInfo(ref["mem_size"], ref["mem_p2align"], ref["table_size"],
                                   ref["table_p2align"]) == MemInfo(16, 2, 1, 0)
    assert sec.needed == ref["needed"] == ["libfoo.so"]
    assert (sec.export_info, sec.import_info, sec.runtime_path) == ([], [], [])
    assert encode_legacy_dylink(sec) == payload


def test_dylink_summary_for_inspect_has_the_documented_keys(libb):
    f = MappedFile(libb)
    module = Module(f.data, path=str(libb))
    assert dylink.dylink_summary(module, module.custom("dylink.0")) == {
        "memory_size": 0, "memory_alignment": 0, "table_size": 0, "table_alignment": 0,
        "needed": ["liba.so"], "exports": [], "imports": [],
        "runtime_paths": ["$ORIGIN/lib", "/opt/wasm/lib"]}


def test_dylink_renders_as_text_for_inspect(liba):
    f = MappedFile(liba)
    module = Module(f.data, path=str(liba))
    report = dylink.dylink_summary(module, module.custom("dylink.0"))
    out = []
    dylink.render_dylink(report, out, "  ")
    info = decode(liba, "dylink.0").mem_info
    assert out == [
        f"  dylink.0: memory {info.memory_size} bytes (align 2^{info.memory_p2align}), "
        f"table {info.table_size} (align 2^0)",
        "    export info: counter  TLS",
        "    import info: env.maybe_there  BINDING_WEAK|UNDEFINED",
    ]


# -- name -------------------------------------------------------------------------------------

def test_names_of_a_debug_executable_match_wasm_objdump(debug_executable):
    sec = decode(debug_executable, "name")
    assert name_rows(sec) == objdump_names(objdump(debug_executable))
    assert sec.module_name == "debug.wasm"
    assert "__original_main" in sec.function_names.names
    assert sec.global_names.get(0) == "__stack_pointer"


def test_names_of_every_wheel_library_match_wasm_objdump(wheel_libs):
    total = 0
    for lib, path in wheel_libs.items():
        rows = name_rows(decode(path, "name"))
        assert rows == objdump_names(objdump(path)), lib
        total += len(rows)
    assert total > 10000                         # libpython alone has ~11000


def test_names_of_a_pic_library_match_obj2yaml(liba):
    sec = decode(liba, "name")
    ref = obj2yaml_lists(obj2yaml_section(obj2yaml(liba), "name"))
    for key, m in (("FunctionNames", sec.function_names), ("GlobalNames", sec.global_names),
                   ("DataSegmentNames", sec.data_segment_names)):
        assert [(int(e["Index"]), e["Name"]) for e in ref[key]] == list(m), key
    assert sec.module_name == "liba.so"


def test_every_kind_of_name_is_decoded(all_names_module):
    sec = decode(all_names_module, "name")
    assert [s.id for s in sec.subsections] == list(range(12))
    assert sec.module_name == "mod"
    assert dict(sec.function_names) == {0: "imported", 1: "add"}
    assert dict(sec.local_names.get(1)) == {0: "a", 1: "tmp"}
    assert dict(sec.label_names.get(1)) == {0: "outer", 1: "inner"}
    assert dict(sec.type_names) == {0: "sig", 1: "point"}
    assert dict(sec.table_names) == {0: "tab"}
    assert dict(sec.memory_names) == {0: "mem"}
    assert dict(sec.global_names) == {0: "g"}
    assert dict(sec.elem_segment_names) == {0: "seg"}
    assert dict(sec.data_segment_names) == {0: "blob"}
    assert dict(sec.field_names.get(1)) == {0: "x", 1: "y"}
    assert dict(sec.tag_names) == {0: "exn"}


def test_names_wabt_prints_agree_on_the_extended_section(all_names_module):
    # wabt 1.0.32 prints neither labels nor fields (and misreads the field subsection as a tag)
    sec = decode(all_names_module, "name")
    theirs = [t for t in objdump_names(objdump(all_names_module)) if t[0] != "tag"]
    assert name_rows(sec) == theirs


def test_name_maps_are_parallel_columns_read_on_first_use(all_names_module):
    sec = decode(all_names_module, "name")
    functions = sec.function_names
    assert isinstance(functions, NameMap) and not functions.is_loaded
    assert functions.indices.typecode == "I" and list(functions.indices) == [0, 1]
    assert functions.names == ["imported", "add"]
    assert functions.is_loaded
    assert isinstance(sec.local_names, IndirectNameMap) and not sec.local_names.is_loaded


def test_a_bad_name_map_fails_when_read_not_when_the_section_is_split(liba):
    data, offset, size = custom(liba, "name")
    buf = bytearray(data)
    pos = offset                                    # walk to the function names subsection
    while buf[pos] != names.FUNCTION:
        sub_size, pos = decode_u32(buf, pos + 1)
        pos += sub_size
    _, pos = decode_u32(buf, pos + 1)               # its size
    _, pos = decode_u32(buf, pos)                   # the count
    _, pos = decode_u32(buf, pos)                   # the first index
    _, name_at = decode_u32(buf, pos)               # the first name's length
    buf[name_at] = 0xff
    sec = decode_names(memoryview(bytes(buf)), offset, size)
    assert sec.module_name == "liba.so"
    with pytest.raises(ParseError) as e:
        sec.function_names.names
    assert e.value.offset == name_at
    assert e.value.message == "invalid UTF-8 encoding in function names name"


def test_padded_subsection_sizes_from_wabt_round_trip(wabt_padded_module):
    data, offset, size = custom(wabt_padded_module, "name")
    sec = decode_names(data, offset, size)
    assert [(s.id, s.size_width) for s in sec.subsections] == [
        (0, 5), (1, 5), (2, 5), (6, 5), (7, 5), (9, 5)]
    sec.load_all()
    assert encode_names(sec) == bytes(data[offset:offset + size])
    assert dict(sec.local_names.get(0)) == {0: "x", 1: "y"}


def test_name_section_written_from_scratch_is_minimal_and_reads_back():
    sec = names.NameSection([
        names.NameSubsection(names.MODULE, "m"),
        names.NameSubsection(names.FUNCTION, NameMap([0, 2], ["f", "g\u00fc"])),
        names.NameSubsection(names.LOCAL, IndirectNameMap([2], [NameMap([0], ["x"])])),
    ])
    payload = encode_names(sec)
    assert payload == (b"\x00\x02\x01m" b"\x01\x09\x02\x00\x01f\x02\x03g\xc3\xbc"
                       b"\x02\x06\x01\x02\x01\x00\x01x")
    again = decode_names(memoryview(payload), 0, len(payload))
    again.load_all()
    assert again == sec


def test_unknown_name_subsection_is_kept_raw():
    payload = b"\x00\x02\x01m\x0c\x03\x01\x02\x03"
    sec = decode_names(memoryview(payload), 0, len(payload))
    assert sec.subsections[1] == names.NameSubsection(12, b"\x01\x02\x03")
    assert encode_names(sec) == payload


# -- producers and target_features ------------------------------------------------------------

def test_producers_of_an_object_and_a_library_match_obj2yaml(liba, toolchain):
    for path in (toolchain.root / "liba.o", liba):
        sec = decode(path, "producers")
        ref = obj2yaml_lists(obj2yaml_section(obj2yaml(path), "producers"))
        assert [(e["Name"], e["Version"]) for e in ref.get("Languages", [])] == sec.language
        assert [(e["Name"], e["Version"]) for e in ref.get("Tools", [])] == sec.processed_by
        assert sec.sdk == [] and "SDKs" not in ref
        assert sec.language == [("C11", "")]
        assert [n for n, _ in sec.processed_by] == ["Debian clang"]


def test_producers_written_from_scratch_read_back_through_obj2yaml(tmp_path):
    sec = ProducersSection([
        ProducersField("language", [("C", "22"), ("Rust", "1.90")]),
        ProducersField("processed-by", [("wasmlink", "0.1.0 (test)")]),
        ProducersField("sdk", [("Emscripten", "4.0.0")]),
    ])
    path = tmp_path / "p.wasm"
    path.write_bytes(module_with_custom("producers", encode_producers(sec)))
    ref = obj2yaml_lists(obj2yaml_section(obj2yaml(path), "producers"))
    assert ref == {"Languages": [{"Name": "C", "Version": "22"},
                                 {"Name": "Rust", "Version": "1.90"}],
                   "Tools": [{"Name": "wasmlink", "Version": "0.1.0 (test)"}],
                   "SDKs": [{"Name": "Emscripten", "Version": "4.0.0"}]}
    assert decode(path, "producers") == sec


def test_target_features_match_wasm_objdump_and_obj2yaml(liba, libb, toolchain):
    # TLS without atomics is lowered to plain data, and the object then disallows shared memory
    stripped_tls = toolchain.compile("stripped-tls.o", LIBA_C, *PIC)
    prefixes = {"USED": "+", "DISALLOWED": "-", "REQUIRED": "="}
    for path in (liba, libb, toolchain.root / "libb.o", stripped_tls):
        sec = decode(path, "target_features")
        wabt = [tuple(re.fullmatch(r"  - \[(.)\] (.*)", line).groups())
                for line in objdump_custom(objdump(path), "target_features")]
        llvm = [(prefixes[e["Prefix"]], e["Name"]) for e in
                obj2yaml_lists(obj2yaml_section(obj2yaml(path), "target_features"))["Features"]]
        assert sec.entries == wabt == llvm, path.name
    assert "atomics" in decode(liba, "target_features").used
    assert decode(stripped_tls, "target_features").disallowed == ["shared-mem"]
    assert decode(toolchain.root / "libb.o", "target_features").disallowed == []


def test_target_features_legacy_required_prefix_round_trips(tmp_path):
    feats = TargetFeatures([("=", "atomics"), ("+", "simd128"), ("-", "shared-mem")])
    payload = encode_target_features(feats)
    assert payload == b"\x03=\x07atomics+\x07simd128-\x0ashared-mem"
    sec = decode_target_features(memoryview(payload), 0, len(payload))
    assert (sec.required, sec.used, sec.disallowed) == (["atomics"], ["simd128"], ["shared-mem"])


def test_unknown_target_feature_prefix_is_an_error(tmp_path):
    path = tmp_path / "tf.wasm"
    path.write_bytes(module_with_custom("target_features", b"\x01?\x07atomics"))
    data, offset, size = custom(path, "target_features")
    with pytest.raises(ParseError) as e:
        decode_target_features(data, offset, size)
    assert e.value.offset == offset + 1
    assert str(e.value) == ("unknown target feature prefix 0x3f: expected '+', '-' or '=' "
                            f"(at offset 0x{offset + 1:x} in section target_features)")


# -- round trips ------------------------------------------------------------------------------

def round_trip(path) -> list[str]:
    """Decode and re-encode every section we know in ``path``; the names of those checked."""
    f = MappedFile(path)
    checked = []
    for s in Module(f.data, path=str(path)).custom_sections():
        if s.name not in CODECS:
            continue
        dec, enc = CODECS[s.name]
        sec = dec(f.data, s.contents, s.end - s.contents)
        if isinstance(sec, names.NameSection):
            assert encode_names(sec) == f.data[s.contents:s.end], f"{path.name}: unread name"
            sec.load_all()
        assert enc(sec) == f.data[s.contents:s.end], f"{path.name}: {s.name}"
        checked.append(s.name)
    return checked


def test_every_section_of_the_wheel_libraries_round_trips(wheel_libs):
    checked = {name: round_trip(path) for name, path in wheel_libs.items()}
    assert checked["libpython3.14.so"] == ["dylink.0", "name"]
    assert checked["libc.so"] == ["dylink.0", "name"]
    assert checked["wasi_snapshot_preview1.reactor.wasm"] == [
        "name", "producers", "target_features"]
    assert sum(n == "dylink.0" for c in checked.values() for n in c) == 10


def test_every_section_of_locally_built_inputs_round_trips(liba, libb, debug_executable,
                                                           all_names_module, toolchain):
    for path, expected in ((liba, ["dylink.0", "name", "producers", "target_features"]),
                           (libb, ["dylink.0", "name", "producers", "target_features"]),
                           (toolchain.root / "liba.o", ["producers", "target_features"]),
                           (debug_executable, ["name", "producers", "target_features"]),
                           (all_names_module, ["name"])):
        assert round_trip(path) == expected, path.name


# -- errors -----------------------------------------------------------------------------------

@pytest.fixture()
def libb_dylink(libb):
    """A mutable copy of libb.so and where its dylink.0 payload lies."""
    data, offset, size = custom(libb, "dylink.0")
    return bytearray(data), offset, size


def test_dylink_subsection_running_past_the_section_is_an_error(libb_dylink):
    buf, offset, size = libb_dylink
    assert buf[offset] == dylink.WASM_DYLINK_MEM_INFO
    buf[offset + 1] = 0x7f                          # mem info size: 127
    with pytest.raises(ParseError) as e:
        decode_dylink(memoryview(bytes(buf)), offset, size)
    assert e.value.offset == offset + 1
    assert e.value.message.startswith(
        "mem info subsection size 127 runs past the end of the section")
    assert e.value.context == "section dylink.0"


def test_dylink_count_larger_than_the_bytes_left_is_an_error(libb_dylink):
    buf, offset, size = libb_dylink
    mem_size = buf[offset + 1]
    needed = offset + 2 + mem_size                  # the NEEDED subsection
    assert buf[needed] == dylink.WASM_DYLINK_NEEDED
    count_at = needed + 2
    buf[count_at] = 0x7f                            # 127 libraries in 9 bytes
    with pytest.raises(ParseError) as e:
        decode_dylink(memoryview(bytes(buf)), offset, size)
    assert e.value.offset == count_at
    assert e.value.message == "needed library count 127 is larger than the 8 bytes left can hold"


def test_dylink_invalid_utf8_is_an_error_at_the_byte(libb_dylink):
    buf, offset, size = libb_dylink
    at = bytes(buf).index(b"liba.so", offset)
    buf[at + 3] = 0xc0
    with pytest.raises(ParseError) as e:
        decode_dylink(memoryview(bytes(buf)), offset, size)
    assert e.value.offset == at + 3
    assert "invalid UTF-8" in e.value.message


def test_dylink_subsection_with_bytes_left_over_is_an_error():
    payload = b"\x01\x05\x00\x00\x00\x00\x00"       # mem info: four fields and a stray byte
    with pytest.raises(ParseError) as e:
        decode_dylink(memoryview(payload), 0, len(payload))
    assert e.value.message == "mem info subsection has 1 unexpected bytes at its end"
    assert e.value.offset == 6


def test_truncated_producers_is_an_error_at_the_end():
    payload = b"\x01\x08language\x01\x01C"         # a value without its version
    with pytest.raises(ParseError) as e:
        decode_producers(memoryview(payload), 0, len(payload))
    assert e.value.offset == len(payload)
    assert "producer version" in e.value.message


def test_name_count_larger_than_the_bytes_left_is_an_error_on_read():
    payload = b"\x01\x04\xff\xff\x03\x00"           # function names: 65535 entries in 1 byte
    sec = decode_names(memoryview(payload), 0, len(payload))
    with pytest.raises(ParseError) as e:
        len(sec.function_names)
    assert (e.value.offset, e.value.message) == (
        2, "function names count 65535 is larger than the 1 bytes left can hold")


@pytest.fixture(scope="module")
def mutation_samples(liba, libb, all_names_module) -> dict[str, list[bytes]]:
    """Real payloads of every section kind, to mutate."""
    samples = {"dylink": [encode_legacy_dylink(LegacyDylinkSection(MemInfo(16, 2, 1, 0),
                                                                   ["libc.so"]))]}
    for path in (liba, libb, all_names_module):
        f = MappedFile(path)
        for s in Module(f.data).custom_sections():
            if s.name in CODECS:
                samples.setdefault(s.name, []).append(bytes(f.data[s.contents:s.end]))
    return samples


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_mutated_sections_decode_and_re_encode_or_raise_parse_error(data, mutation_samples):
    name = data.draw(st.sampled_from(sorted(mutation_samples)))
    payload = bytearray(data.draw(st.sampled_from(mutation_samples[name])))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(payload) - 1))
        payload[at] = data.draw(st.integers(0, 255))
    payload = bytes(payload[:data.draw(st.integers(0, len(payload)))])
    dec, enc = CODECS[name]
    try:
        sec = dec(memoryview(payload), 0, len(payload))
        if isinstance(sec, names.NameSection):
            sec.load_all()
    except ParseError as e:
        assert e.offset is not None and 0 <= e.offset <= len(payload)
        return
    # what decodes re-encodes to bytes that decode the same (not always the same bytes: a
    # mutation can leave an overlong LEB128 where no width is recorded)
    out = enc(sec)
    assert dec(memoryview(out), 0, len(out)) == sec
