"""A WIT world as a component type (wasmlink.wit.encode): the `component-type` section equals
`jco embed`'s byte for byte, apart from the producers section (jco's names wit-component as
its processor; ours leaves it to the caller). Checked on every single-world case of
wit-component's conformance data, on WASI 0.2's cli command and http proxy worlds, in each
string encoding."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import NODE_MODULES, TESTS
from wasmlink.binary.component_type import component_type_sections
from wasmlink.binary.module import Module
from wasmlink.component import decode_component, encode_component
from wasmlink.component import model as cm
from wasmlink.wit.encode import encode_world
from wasmlink.wit.resolve import Resolve

CONFORMANCE = Path("/work/shared/conformance/wasm-tools/crates/wit-component/tests")
CASES = sorted(p.parent.name for p in (CONFORMANCE / "components").glob("*/module.wit"))
WASI_HTTP = CONFORMANCE / "interfaces" / "wasi-http"
# cases jco's wasm-tools cannot embed on its own (adapter-only worlds, several packages)
JCO_CANNOT = {"adapt-stub-wasip2", "import-export-same-iface-name",
              "import-in-adapter-and-main-module", "multi-package"}


def wasi_cli(root: Path) -> Path:
    """The wasi:cli package of the wasi-http conformance case, as a package with its deps."""
    cli = root / "wasi-cli"
    if not cli.exists():
        (cli / "deps").mkdir(parents=True)
        for wit in (WASI_HTTP / "deps" / "cli").glob("*.wit"):
            (cli / wit.name).write_text(wit.read_text())
        for dep in ("io", "clocks", "filesystem", "random", "sockets"):
            target = cli / "deps" / dep
            target.mkdir()
            for wit in (WASI_HTTP / "deps" / dep).glob("*.wit"):
                (target / wit.name).write_text(wit.read_text())
    return cli


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    """Every (WIT, world, encoding) of this file, embedded by jco in one node process."""
    root = tmp_path_factory.mktemp("wit-encode")
    table = {}
    for case in CASES:
        table[case, "utf8"] = (CONFORMANCE / "components" / case / "module.wit", None)
    cli = wasi_cli(root)
    for encoding in ("utf8", "utf16", "compact-utf16"):
        table["wasi:cli/command", encoding] = (cli, "command")
    table["wasi:http/proxy", "utf8"] = (WASI_HTTP, "proxy")
    batch = []
    for (name, encoding), (wit, world) in table.items():
        out = root / f"{name.replace(':', '_').replace('/', '_')}-{encoding}.wasm"
        batch.append({"wit": str(wit), "world": world, "encoding": encoding, "out": str(out)})
        table[name, encoding] = (wit, world, out)
    (root / "jobs.json").write_text(json.dumps(batch))
    subprocess.run(["node", TESTS / "support" / "jco_embed_batch.mjs", root / "jobs.json"],
                   check=True, env={**os.environ, "JCO_MODULES": str(NODE_MODULES)})
    return table


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
def test_a_conformance_world_encodes_as_jco_embed_does(jobs, case):
    wit, world, out = jobs[case, "utf8"]
    assert ours(wit, world, "utf8") == reference_section(out)


@pytest.mark.parametrize("encoding", ["utf8", "utf16", "compact-utf16"])
def test_the_wasi_cli_command_world_encodes_as_jco_embed_does(jobs, encoding):
    wit, world, out = jobs["wasi:cli/command", encoding]
    assert ours(wit, world, encoding) == reference_section(out)


def test_the_wasi_http_proxy_world_encodes_as_jco_embed_does(jobs):
    wit, world, out = jobs["wasi:http/proxy", "utf8"]
    assert ours(wit, world, "utf8") == reference_section(out)


def test_the_encoding_section_comes_first_with_version_4_and_the_encoding():
    resolve = Resolve()
    package = resolve.push_str("package a:b;\nworld w { export f: func(); }\n", "w.wit")
    component = decode_component(encode_world(resolve, resolve.select_world(package), "utf16"))
    first = component.sections[0]
    assert (first.name, bytes(first.payload)) == ("wit-component-encoding", b"\x04\x01")
    assert [e.name for e in component.exports] == ["w"]
