"""`wasmlink component embed`: a WIT world's type recorded in a module (appended as a
`component-type` custom section), on its own (--only-custom), in a dummy module (--dummy) or
in a relocatable object the linker takes (--object); bad input is one line and no output."""
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CLANG, run
from wasmlink.binary.component_type import component_type_sections
from wasmlink.binary.module import Module
from wasmlink.component import decode_component
from wasmlink.wit.encode import encode_world
from wasmlink.wit.resolve import Resolve

WASMLINK = str(Path(sys.executable).with_name("wasmlink"))
WASMLINK_LD = str(Path(sys.executable).with_name("wasmlink-ld"))
wasmtime = pytest.importorskip("wasmtime")

WIT = """package my:demo@0.1.0;

interface host {
  log: func(msg: string);
}

world app {
  import host;
  export run: func(n: u32) -> u32;
}
"""


@pytest.fixture
def wit(tmp_path) -> Path:
    path = tmp_path / "app.wit"
    path.write_text(WIT)
    return path


def embedded(path: Path):
    data = path.read_bytes()
    (section,) = component_type_sections(Module(data, 0, len(data)))
    return section, data[section.offset:section.offset + section.size]


def cli(*args, cwd=None):
    return subprocess.run([WASMLINK, "component", "embed", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd)


def world_payload(wit: Path) -> bytes:
    resolve = Resolve()
    package = resolve.push_path(wit)
    return encode_world(resolve, resolve.select_world(package))


def test_a_module_keeps_its_bytes_and_gains_the_section_at_its_end(tmp_path, wit):
    (tmp_path / "m.c").write_text("int run(int n) { return n * 2; }\n")
    module = tmp_path / "m.wasm"
    run([CLANG, "--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated", "-nostartfiles",
         "-Wl,--no-entry", "-Wl,--export=run", tmp_path / "m.c", "-o", module])
    out = tmp_path / "out.wasm"
    assert cli(wit, module, "-o", out).returncode == 0
    original = module.read_bytes()
    data = out.read_bytes()
    assert data.startswith(original)
    section, payload = embedded(out)
    assert section.name == "component-type" and section.world == "app"
    assert section.offset + section.size == len(data)
    wasmtime.Module(wasmtime.Engine(), data)
    # the payload is the world's encoding plus a producers section naming wasmlink
    sections = decode_component(payload).sections
    assert [getattr(s, "name", None) for s in sections][-1] == "producers"
    assert payload.startswith(world_payload(wit))


def test_only_custom_writes_a_module_holding_just_the_section(tmp_path, wit):
    out = tmp_path / "only.wasm"
    assert cli(wit, "--only-custom", "-o", out).returncode == 0
    data = out.read_bytes()
    m = Module(data, 0, len(data))
    assert [s.name for s in m.sections] == ["component-type"]
    assert embedded(out)[1].startswith(world_payload(wit))


def test_dummy_writes_a_valid_module_implementing_the_world(tmp_path, wit):
    out = tmp_path / "dummy.wasm"
    assert cli(wit, "--dummy", "-o", out).returncode == 0
    module = wasmtime.Module(wasmtime.Engine(), out.read_bytes())
    assert [(i.module, i.name) for i in module.imports] == [("my:demo/host@0.1.0", "log")]
    assert [e.name for e in module.exports] == ["run", "cabi_post_run", "memory", "cabi_realloc",
                                                "_initialize"]
    assert embedded(out)[0].world == "app"


def test_an_object_carries_the_world_through_wasmlink_ld(tmp_path, wit):
    obj = tmp_path / "app_component_type.o"
    assert cli(wit, "--object", obj).returncode == 0
    (tmp_path / "m.c").write_text("int run(int n) { return n * 2; }\n")
    main = tmp_path / "m.o"
    run([CLANG, "--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated", "-c",
         tmp_path / "m.c", "-o", main])
    out = tmp_path / "linked.wasm"
    run([WASMLINK_LD, "--no-entry", "--export=run", main, obj, "-o", out])
    section, payload = embedded(out)
    assert section.name == "component-type:wasmlink:my:demo@0.1.0:app:encoded world"
    assert payload.startswith(world_payload(wit))


@pytest.mark.parametrize("args, message", [
    (["missing.wit", "--dummy"], "missing.wit: no such file or directory"),
    (["bad.wit", "--dummy"], "bad.wit:2:29: name `strin` is not defined"),
    (["app.wit", "app.wit"], "app.wit: not a core wasm module"),
    (["app.wit"], "give exactly one of: a MODULE, --dummy, --only-custom, --object"),
    (["app.wit", "--dummy", "-w", "nope"], "nope"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, wit, args, message):
    (tmp_path / "bad.wit").write_text("package a:b;\nworld w { import f: func(x: strin); }\n")
    proc = cli(*args, "-o", "out.wasm", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("wasmlink: error: ") and proc.stderr.count("\n") == 1
    assert message in proc.stderr
    assert not (tmp_path / "out.wasm").exists()
