"""`component embed --object`: the relocatable object that carries a world's component-type
section into a link. Checked with both linkers: the section reaches the linked module unchanged,
and a reference to the force-link symbol pulls the object out of an archive."""
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CLANG, WASM_LD, WASI_LIB, jco_embed, run
from wasmlink.binary.component_type import component_type_sections
from wasmlink.binary.module import Module
from wasmlink.embed.object_file import component_type_object, force_link_symbol

WASMLINK_LD = str(Path(sys.executable).with_name("wasmlink-ld"))
LLVM_AR = "/usr/lib/llvm-22/bin/llvm-ar"

WIT = """package my:demo@0.1.0;

world app {
  import log: func(msg: string);
  export run: func(n: u32) -> u32;
}
"""


@pytest.fixture(scope="module")
def world_section(tmp_path_factory) -> bytes:
    """The component-type payload jco embed writes for WIT's world."""
    root = tmp_path_factory.mktemp("embed-object")
    (root / "app.wit").write_text(WIT)
    data = jco_embed(root / "app.wit", "app", "utf8", root / "dummy.wasm").read_bytes()
    m = Module(data, 0, len(data))
    (section,) = component_type_sections(m)
    return data[section.offset:section.offset + section.size]


def linked_sections(path: Path) -> dict[str, bytes]:
    data = path.read_bytes()
    m = Module(data, 0, len(data))
    return {s.name: data[s.contents:s.end] for s in m.sections if s.id == 0}


def test_the_force_link_symbol_is_the_world_as_a_c_identifier():
    assert force_link_symbol("my-world") == "__component_type_object_force_link_my_world"


@pytest.mark.parametrize("linker", [WASM_LD, WASMLINK_LD], ids=["wasm-ld-22", "wasmlink-ld"])
def test_the_section_reaches_the_linked_module_unchanged(tmp_path, world_section, linker):
    obj = tmp_path / "app_component_type.o"
    obj.write_bytes(component_type_object("component-type:app", world_section, "app"))
    (tmp_path / "main.c").write_text("int run(int n) { return n + 1; }\n")
    main = tmp_path / "main.o"
    run([CLANG, "--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated", "-c",
         tmp_path / "main.c", "-o", main])
    out = tmp_path / "out.wasm"
    run([linker, "--no-entry", "--export=run", main, obj, "-o", out])
    assert linked_sections(out)["component-type:app"] == world_section


@pytest.mark.parametrize("linker", [WASM_LD, WASMLINK_LD], ids=["wasm-ld-22", "wasmlink-ld"])
def test_referencing_the_force_link_symbol_extracts_the_object_from_an_archive(
        tmp_path, world_section, linker):
    obj = tmp_path / "app_component_type.o"
    obj.write_bytes(component_type_object("component-type:app", world_section, "app"))
    archive = tmp_path / "libbindings.a"
    run([LLVM_AR, "rcs", archive, obj])
    symbol = force_link_symbol("app")
    (tmp_path / "main.c").write_text(
        f"extern void {symbol}(void);\n"
        f"int run(int n) {{ {symbol}(); return n + 1; }}\n")
    main = tmp_path / "main.o"
    run([CLANG, "--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated", "-c",
         tmp_path / "main.c", "-o", main])
    out = tmp_path / "out.wasm"
    run([linker, "--no-entry", "--export=run", main, archive, "-o", out])
    assert "component-type:app" in linked_sections(out)


def test_the_object_is_one_llvm_reads_as_relocatable(tmp_path, world_section):
    obj = tmp_path / "app_component_type.o"
    obj.write_bytes(component_type_object("component-type:app", world_section, "app"))
    nm = run(["/usr/lib/llvm-22/bin/llvm-nm", obj]).stdout
    assert nm == f"00000001 T {force_link_symbol('app')}\n"
