"""`wasmlink component wit`: the world of a component (as `jco wit` prints it) or of a core
module carrying component-type sections (its package as written)."""
import subprocess
import sys
from pathlib import Path

from conftest import CLANG, NODE_MODULES, TESTS, run

WASMLINK = str(Path(sys.executable).with_name("wasmlink"))


def wit(path) -> subprocess.CompletedProcess:
    return subprocess.run([WASMLINK, "component", "wit", str(path)], capture_output=True,
                          text=True)


def test_a_components_world_prints_as_jco_wit_prints_it(python_component):
    expected = run([NODE_MODULES / ".bin" / "jco", "wit", python_component]).stdout
    proc = wit(python_component)
    assert proc.returncode == 0
    assert proc.stdout.rstrip("\n") == expected.rstrip("\n")


def test_a_modules_world_prints_its_package(tmp_path):
    module = tmp_path / "dummy.wasm"
    run([WASMLINK, "component", "embed", TESTS / "components" / "counter.wit", "--dummy",
         "-o", module])
    assert wit(module).stdout == (
        "package my:counter@0.1.0;\n\nworld counter {\n  export bump: func(by: u32) -> u32;\n"
        "  export report: func(label: string) -> string;\n}\n")


def test_a_file_that_is_not_wasm_is_one_line_of_error(tmp_path):
    (tmp_path / "x.wasm").write_bytes(b"not wasm")
    proc = wit(tmp_path / "x.wasm")
    assert proc.returncode == 1
    assert proc.stderr == f"wasmlink: error: {tmp_path / 'x.wasm'}: not a WebAssembly component or module\n"
