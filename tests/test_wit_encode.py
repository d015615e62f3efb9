"""A WIT world as a component type (wasmlink.wit.encode): the `component-type` section equals
`jco embed`'s byte for byte, apart from the producers section (jco's names wit-component as
its processor; ours leaves it to the caller). Checked on every single-world case of
wit-component's conformance data, on WASI 0.2's cli command and http proxy worlds, in each
string encoding."""
from pathlib import Path

import pytest

from conftest import CONFORMANCE_CASES as CASES, JCO_CANNOT_EMBED as JCO_CANNOT
from wasmlink.binary.component_type import component_type_sections
from wasmlink.binary.module import Module
from wasmlink.component import decode_component, encode_component
from wasmlink.component import model as cm
from wasmlink.wit.encode import encode_world
from wasmlink.wit.resolve import Resolve



def reference_section(out: Path) -> bytes:
    """jco's component-type payload, its producers section left out."""
    data = out.read_bytes()
    (section,) = component_type_sections(Module(data, 0, len(data)))
    embedded = decode_component(data[section.offset:section.offset + section.size])
    kept = tuple(s for s in embedded.sections
                 if not (isinstance(s, cm.CustomSection) and s.name == "producers"))
    return encode_component(cm.Component(kept))


def ours(wit: Path, world: str | None, encoding: str) -> bytes:
    resolve = Resolve()
    package = resolve.push_path(wit)
    return encode_world(resolve, resolve.select_world(package, world), encoding)


@pytest.mark.parametrize("case", [c for c in CASES if c not in JCO_CANNOT])
def test_a_conformance_world_encodes_as_jco_embed_does(jco_worlds, case):
    wit, world, out = jco_worlds[case, "utf8"]
    assert ours(wit, world, "utf8") == reference_section(out)


@pytest.mark.parametrize("encoding", ["utf8", "utf16", "compact-utf16"])
def test_the_wasi_cli_command_world_encodes_as_jco_embed_does(jco_worlds, encoding):
    wit, world, out = jco_worlds["wasi:cli/command", encoding]
    assert ours(wit, world, encoding) == reference_section(out)


def test_the_wasi_http_proxy_world_encodes_as_jco_embed_does(jco_worlds):
    wit, world, out = jco_worlds["wasi:http/proxy", "utf8"]
    assert ours(wit, world, "utf8") == reference_section(out)


def test_the_encoding_section_comes_first_with_version_4_and_the_encoding():
    resolve = Resolve()
    package = resolve.push_str("package a:b;\nworld w { export f: func(); }\n", "w.wit")
    component = decode_component(encode_world(resolve, resolve.select_world(package), "utf16"))
    first = component.sections[0]
    assert (first.name, bytes(first.payload)) == ("wit-component-encoding", b"\x04\x01")
    assert [e.name for e in component.exports] == ["w"]
