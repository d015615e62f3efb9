"""The `wasmlink` command line as a user meets it: real files in, one-line errors out."""
import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "wasmtime")


def wasmlink(*args, **kw):
    return subprocess.run([sys.executable, "-m", "wasmlink", *map(str, args)],
                          capture_output=True, text=True, **kw)


def test_help_lists_the_commands():
    proc = wasmlink("--help")
    assert proc.returncode == 0
    assert "inspect" in proc.stdout and "demo" in proc.stdout


def test_the_console_script_is_installed():
    import shutil
    script = shutil.which("wasmlink")
    assert script, "pip install should put a `wasmlink` console script on PATH"
    proc = subprocess.run([script, "--version"], capture_output=True, text=True)
    assert proc.stdout.startswith("wasmlink ")


def test_inspect_shows_the_sections_of_an_object(hello_object):
    proc = wasmlink("inspect", hello_object)
    assert proc.returncode == 0, proc.stderr
    assert f"{hello_object}: object" in proc.stdout
    for name in ("type", "import", "code", "linking", "reloc.CODE"):
        assert f"  {name} " in proc.stdout


def test_inspect_json_has_the_documented_shape(hello_module):
    proc = wasmlink("inspect", "--json", hello_module)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["format"] == 1
    (report,) = doc["files"]
    assert report["kind"] == "module"
    assert report["path"] == str(hello_module)
    assert report["size"] == hello_module.stat().st_size
    assert {s["name"] for s in report["sections"]} >= {"type", "import", "code", "data"}
    assert {"module": "wasi_snapshot_preview1", "name": "fd_write", "kind": "func"}.items() <= \
        next(i for i in report["imports"] if i["name"] == "fd_write").items()
    assert any(e["name"] == "_start" and e["kind"] == "func" for e in report["exports"])


def test_inspect_output_is_the_same_every_run(hello_object, hello_module):
    first = wasmlink("inspect", "--json", hello_object, hello_module).stdout
    assert first == wasmlink("inspect", "--json", hello_object, hello_module).stdout


def test_a_malformed_file_is_one_line_on_stderr_and_exit_1(hello_module, tmp_path):
    cut = tmp_path / "cut.wasm"
    cut.write_bytes(hello_module.read_bytes()[:300])
    proc = wasmlink("inspect", cut)
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"wasmlink: error: {cut}: ")
    assert "at offset 0x" in lines[0]
    assert "Traceback" not in proc.stderr


def test_a_missing_file_is_one_line_and_exit_1(tmp_path):
    proc = wasmlink("inspect", tmp_path / "nope.wasm")
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"wasmlink: error: {tmp_path / 'nope.wasm'}: cannot open: No such file or directory"


def test_a_file_that_is_not_wasm_says_what_was_expected(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    proc = wasmlink("inspect", text)
    assert proc.returncode == 1
    assert "bad magic number (expected \\0asm or !<arch>) (at offset 0x0)" in proc.stderr


def test_an_empty_file_is_a_parse_error(tmp_path):
    empty = tmp_path / "empty.wasm"
    empty.write_bytes(b"")
    proc = wasmlink("inspect", empty)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"wasmlink: error: {empty}: ")


def test_demo_inspects_the_bundled_example():
    proc = wasmlink("demo")
    assert proc.returncode == 0, proc.stderr
    assert "hello.o: object" in proc.stdout
    assert "hello.wasm: module" in proc.stdout


def test_demo_links_the_example_exactly_as_wasm_ld_did():
    proc = wasmlink("demo")
    assert "byte-identical to the bundled hello.wasm that wasm-ld-22 made" in proc.stdout


@pytest.mark.parametrize("code", [
    "import wasmlink",
    "import wasmlink.cli as c, sys; sys.argv=['wasmlink','--help']\ntry: c.main()\nexcept SystemExit: pass",
    "import wasmlink.cli as c; c.main(['demo'])",
])
def test_startup_imports_neither_numpy_nor_wasmtime(code):
    probe = code + "\nimport sys; print([m for m in %r if m in sys.modules])" % (HEAVY,)
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"
