"""The lazy module view and the encoder: what they decode matches wasm-objdump, and decode →
encode gives back the input byte for byte; modules the encoder writes validate in Wasmtime."""
import re
import subprocess

import pytest
import wasmtime

import wasmlink
from wasmlink.binary.encode import encode_module
from wasmlink.binary.files import MappedFile
from wasmlink.binary.module import Module
from wasmlink.binary.types import Export, FUNC
from wasmlink.errors import ParseError

KINDS = {"func": 0, "table": 1, "memory": 2, "global": 3, "tag": 4}


def objdump_details(path):
    return subprocess.run(["wasm-objdump", "-x", str(path)], capture_output=True, text=True,
                          check=True).stdout


def objdump_imports(text):
    return [(m[2], m[3], KINDS[m[1]]) for m in
            re.finditer(r"^ - (func|table|memory|global|tag)\[\d+\].*<- ([^.\s]+)\.(\S+)$", text, re.M)]


def objdump_exports(text):
    section = text.split("Export[", 1)[1].split("\n\n")[0] if "Export[" in text else ""
    return [(m[3], KINDS[m[1]], int(m[2])) for m in
            re.finditer(r"^ - (func|table|memory|global|tag)\[(\d+)\](?: <[^>]*>)? -> \"(.*)\"$", section, re.M)]


def open_module(path):
    f = MappedFile(path)
    return f, Module(f.data, path=str(path))


def test_imports_and_exports_of_a_linked_module_match_wasm_objdump(hello_module):
    text = objdump_details(hello_module)
    _, m = open_module(hello_module)
    assert [(i.module, i.name, i.kind) for i in m.imports] == objdump_imports(text)
    assert [(e.name, e.kind, e.index) for e in m.exports] == objdump_exports(text)


def test_counts_match_wasm_objdump_for_libc_members(libc_objects):
    for path in libc_objects[::25]:
        text = objdump_details(path)
        _, m = open_module(path)
        assert [(i.module, i.name, i.kind) for i in m.imports] == objdump_imports(text), path
        types = re.search(r"^Type\[(\d+)\]", text, re.M)
        assert len(m.types) == (int(types[1]) if types else 0)
        funcs = re.search(r"^Function\[(\d+)\]", text, re.M)
        assert len(m.functions) == (int(funcs[1]) if funcs else 0)


def test_decode_then_encode_is_byte_identical_on_every_libc_member(libc_objects):
    for path in libc_objects:
        f, m = open_module(path)
        assert encode_module(m) == bytes(f.data), path.name


def test_decode_then_encode_is_byte_identical_on_linked_modules(hello_module):
    f, m = open_module(hello_module)
    assert encode_module(m) == bytes(f.data)


def test_decode_then_encode_is_byte_identical_on_the_wheel_libraries(wheel_libs):
    for name, path in sorted(wheel_libs.items()):
        f, m = open_module(path)
        assert encode_module(m) == bytes(f.data), name


def test_wasmtime_validates_what_the_encoder_writes(hello_module, wheel_libs, libc_objects):
    engine = wasmtime.Engine()
    for path in [hello_module, *sorted(wheel_libs.values()), *libc_objects[::5]]:
        _, m = open_module(path)
        wasmtime.Module.validate(engine, encode_module(m))


def test_an_edited_export_section_is_re_encoded_and_runs(toolchain, tmp_path):
    path = toolchain.build("seven.wasm", "int seven(void) { return 7; }\n",
                           "-nostdlib", "-Wl,--no-entry", "-Wl,--export=seven")
    f, m = open_module(path)
    items, _ = m.decoded(7)
    seven = next(e for e in items if e.name == "seven")
    items.append(Export("also_seven", FUNC, seven.index))
    out = tmp_path / "edited.wasm"
    wasmlink.write_module(m, out)
    store = wasmtime.Store()
    instance = wasmtime.Instance(store, wasmtime.Module.from_file(store.engine, str(out)), [])
    assert instance.exports(store)["also_seven"](store) == 7


def test_encoding_is_deterministic(wheel_libs):
    _, m = open_module(wheel_libs["libc.so"])
    assert encode_module(m) == encode_module(m)
    _, again = open_module(wheel_libs["libc.so"])
    assert encode_module(again) == encode_module(m)


def test_a_truncated_module_names_the_file_and_offset(hello_module, tmp_path):
    data = hello_module.read_bytes()
    cut = tmp_path / "cut.wasm"
    cut.write_bytes(data[:200])
    with pytest.raises(ParseError) as info:
        wasmlink.read(cut)
    assert info.value.path == str(cut)
    assert "runs past the end" in str(info.value)


def test_a_lying_import_count_is_refused_before_allocating():
    data = b"\0asm\x01\0\0\0" + b"\x02\x05\xff\xff\xff\xff\x0f"
    m = Module(data)
    with pytest.raises(ParseError, match="import count 4294967295 is larger") as info:
        m.imports
    assert info.value.offset == 10
    assert "in section import" in str(info.value)


def test_trailing_bytes_in_a_section_are_an_error():
    data = b"\0asm\x01\0\0\0" + b"\x03\x03\x01\x00\x00"
    with pytest.raises(ParseError, match="function section has 1 unexpected bytes"):
        Module(data).functions
