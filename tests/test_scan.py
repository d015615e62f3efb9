"""Section scanning and function-body boundaries, checked against wabt's wasm-objdump on real
objects, executables and libraries."""
import re
import subprocess

import pytest

from wasmlink._native.scan import scan, scan_code
from wasmlink.binary.files import MappedFile
from wasmlink.errors import ParseError

OBJDUMP_NAMES = {"Type": 1, "Import": 2, "Function": 3, "Table": 4, "Memory": 5, "Global": 6,
                 "Export": 7, "Start": 8, "Elem": 9, "Code": 10, "Data": 11, "DataCount": 12,
                 "Tag": 13, "Custom": 0}
HEADER = re.compile(r'^\s*(\w+) start=0x([0-9a-f]+) end=0x([0-9a-f]+) \(size=0x[0-9a-f]+\)'
                    r'(?: count: (\d+))?(?: "(.*)")?')


def objdump_sections(path):
    out = subprocess.run(["wasm-objdump", "-h", str(path)], capture_output=True, text=True,
                         check=True).stdout
    rows = []
    for line in out.splitlines():
        m = HEADER.match(line)
        if m:
            kind, start, end, _count, name = m.groups()
            rows.append((OBJDUMP_NAMES[kind], int(start, 16), int(end, 16), name))
    return rows


def our_sections(path):
    with MappedFile(path) as f:
        r = scan(f.data)
        rows = []
        for i in range(r.section_count):
            name = None
            if r.section_id[i] == 0:
                off, size = r.section_name_offset[i], r.section_name_size[i]
                name = bytes(f.data[off:off + size]).decode()
            rows.append((r.section_id[i], r.section_payload[i],
                         r.section_payload[i] + r.section_size[i], name))
        return rows


def objdump_body_sizes(path):
    out = subprocess.run(["wasm-objdump", "-x", "-j", "Code", str(path)], capture_output=True,
                         text=True, check=True).stdout
    return [int(m) for m in re.findall(r"^ - func\[\d+\] size=(\d+)", out, re.M)]


def test_sections_of_an_object_match_wasm_objdump(hello_object):
    assert our_sections(hello_object) == objdump_sections(hello_object)


def test_sections_of_a_linked_module_match_wasm_objdump(hello_module):
    assert our_sections(hello_module) == objdump_sections(hello_module)


def test_sections_of_libc_members_match_wasm_objdump(libc_objects):
    sample = libc_objects[::10]
    assert len(sample) > 50
    for path in sample:
        assert our_sections(path) == objdump_sections(path), path.name


def test_function_bodies_match_wasm_objdump(hello_module):
    with MappedFile(hello_module) as f:
        r = scan(f.data)
        code = list(r.section_id).index(10)
        entries, bodies, sizes = scan_code(f.data, r.section_payload[code], r.section_size[code])
    assert list(sizes) == objdump_body_sizes(hello_module)
    assert all(e < b for e, b in zip(entries, bodies))
    assert bodies[0] > r.section_payload[code]


def test_wheel_libraries_scan_like_wasm_objdump(wheel_libs):
    for name, path in sorted(wheel_libs.items()):
        assert our_sections(path) == objdump_sections(path), name


def test_libpython_function_bodies_match_wasm_objdump(wheel_libs):
    path = wheel_libs["libpython3.14.so"]
    with MappedFile(path) as f:
        r = scan(f.data)
        code = list(r.section_id).index(10)
        _, _, sizes = scan_code(f.data, r.section_payload[code], r.section_size[code])
    assert list(sizes) == objdump_body_sizes(path)


def module(*sections: bytes) -> bytes:
    return b"\0asm\x01\0\0\0" + b"".join(sections)


@pytest.mark.parametrize("data, offset, message", [
    (b"", 0, "unexpected end of input"),
    (b"\0as", 0, "unexpected end of input"),
    (b"\0asm\x01\0", 4, "expected a 4-byte version"),
    (b"\0ASM\x01\0\0\0", 0, "bad magic number"),
    (b"\0asm\x02\0\0\0", 4, "unknown binary version 0x2"),
    (module(b"\x0e\x00"), 8, "malformed section id 14"),
    (module(b"\x01\x05\x00"), 9, "section size 5 runs past the end"),
    (module(b"\x01\x80\x80\x80\x80\x80\x00"), 9, "integer representation too long"),
    (module(b"\x03\x01\x00", b"\x01\x01\x00"), 11, "type section out of order"),
    (module(b"\x01\x01\x00", b"\x01\x01\x00"), 11, "type section out of order or repeated"),
    (module(b"\x00\x03\x05abc"), 10, "name length 5 runs past"),
    (module(b"\x00\x03\x02\xc3\x28"), 11, "invalid UTF-8"),
])
def test_malformed_headers_and_sections_are_parse_errors_at_the_right_offset(data, offset, message):
    with pytest.raises(ParseError, match=message) as info:
        scan(data)
    assert info.value.offset == offset


def test_a_code_count_larger_than_the_bytes_is_refused_before_allocating():
    data = module(b"\x0a\x05\xff\xff\xff\xff\x0f")
    with pytest.raises(ParseError, match="function count 4294967295 is larger"):
        scan_code(data, 10, 5)


def test_a_function_body_running_past_the_section_is_an_error():
    data = module(b"\x0a\x04\x01\x05\x00\x0b")
    with pytest.raises(ParseError, match="function body 0 of size 5 runs past") as info:
        scan_code(data, 10, 4)
    assert info.value.offset == 11


def test_bytes_after_the_last_body_are_an_error():
    data = module(b"\x0a\x05\x01\x02\x00\x0b\x00")
    with pytest.raises(ParseError, match="1 bytes after its 1 function bodies"):
        scan_code(data, 10, 5)


def test_offsets_are_absolute_when_scanning_a_window_of_a_larger_buffer():
    inner = module(b"\x01\x01\x00")
    data = b"x" * 100 + inner + b"y" * 7
    r = scan(data, 100, 100 + len(inner))
    assert list(r.section_payload) == [110]
    assert r.unit_start[0] == 100 and r.unit_end[0] == 100 + len(inner)
