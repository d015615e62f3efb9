"""`component-type*` sections: the world a module was built for, as `jco embed` (wasm-tools'
embed, the reference) writes it, in every string encoding, and in the legacy 0x03 form."""
import pytest
import wasmtime
from wasmtime.component import Component as WasmtimeComponent

import wasmlink
from conftest import jco_embed
from wasmlink.binary.component_type import component_type_sections, decode_component_type
from wasmlink.errors import ParseError

WIT = """package example:demo;

world demo {
  import log: func(msg: string);
  export run: func(n: u32) -> string;
}
"""


@pytest.fixture(scope="module")
def wit(tmp_path_factory):
    path = tmp_path_factory.mktemp("wit") / "demo.wit"
    path.write_text(WIT)
    return path


@pytest.mark.parametrize("encoding", ["utf8", "utf16", "compact-utf16"])
def test_jco_embed_sections_are_read_with_their_world_and_encoding(wit, hello_module, tmp_path,
                                                                   encoding):
    out = jco_embed(wit, "demo", encoding, tmp_path / "embedded.wasm", hello_module)
    (section,) = component_type_sections(wasmlink.read(out))
    assert section.name == "component-type"
    assert section.version == 4
    assert section.string_encoding == encoding
    assert section.world == "demo"


def test_the_embedded_world_is_a_valid_component(wit, tmp_path):
    out = jco_embed(wit, "demo", "utf8", tmp_path / "dummy.wasm")
    module = wasmlink.read(out)
    (section,) = component_type_sections(module)
    payload = bytes(module.data[section.offset:section.offset + section.size])
    WasmtimeComponent(wasmtime.Engine(), payload)
    assert section.component(module.data).root.size == section.size


def test_inspect_reports_the_world(wit, tmp_path):
    out = jco_embed(wit, "demo", "utf16", tmp_path / "dummy.wasm")
    assert wasmlink.inspect(out)["component_types"] == [
        {"name": "component-type", "world": "demo", "version": 4, "string_encoding": "utf16",
         "size": component_type_sections(wasmlink.read(out))[0].size}]


def current_payload(wit, tmp_path) -> bytes:
    out = jco_embed(wit, "demo", "utf8", tmp_path / "dummy.wasm")
    module = wasmlink.read(out)
    (section,) = component_type_sections(module)
    return bytes(module.data[section.offset:section.offset + section.size])


def test_the_legacy_encoding_puts_version_encoding_and_world_before_the_component(wit, tmp_path):
    legacy = b"\x03\x02\x05other" + current_payload(wit, tmp_path)
    section = decode_component_type(legacy, "component-type:demo", 0, len(legacy))
    assert (section.version, section.string_encoding, section.world) == (3, "compact-utf16", "other")
    assert section.component_offset == 8


def test_the_adapter_in_the_componentize_py_wheel_carries_the_legacy_encoding(wheel_libs):
    (section,) = component_type_sections(wasmlink.read(wheel_libs["wasi_snapshot_preview1.reactor.wasm"]))
    assert (section.name, section.version, section.string_encoding, section.world) == (
        "component-type:imports", 3, "utf8", "imports")


@pytest.mark.parametrize("adapter, world", [("command", "command"), ("reactor", "imports")])
def test_the_adapters_jco_ships_carry_the_current_encoding(jco, adapter, world):
    path = jco.parent.parent / "@bytecodealliance" / "jco" / "lib" / f"wasi_snapshot_preview1.{adapter}.wasm"
    (section,) = component_type_sections(wasmlink.read(path))
    assert (section.version, section.string_encoding, section.world) == (4, "utf8", world)


def test_every_component_type_section_of_the_wheel_libraries_decodes(wheel_libs):
    found = 0
    for name, path in sorted(wheel_libs.items()):
        for s in component_type_sections(wasmlink.read(path)):
            found += 1
            assert s.world, (name, s.name)
    assert found >= 10


def test_an_unknown_version_byte_is_an_error(wit, tmp_path):
    bad = b"\x02\x00" + current_payload(wit, tmp_path)
    with pytest.raises(ParseError, match="unknown component-type encoding version 0x02") as info:
        decode_component_type(bad, "component-type", 0, len(bad))
    assert info.value.offset == 0


def test_an_unknown_string_encoding_is_an_error(wit, tmp_path):
    payload = bytearray(current_payload(wit, tmp_path))
    at = payload.index(b"wit-component-encoding") + len("wit-component-encoding") + 1
    payload[at] = 7
    with pytest.raises(ParseError, match="unknown string encoding 7") as info:
        decode_component_type(bytes(payload), "component-type", 0, len(payload))
    assert info.value.offset == at
