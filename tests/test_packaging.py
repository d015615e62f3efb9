"""wasmlink builds into a wheel that carries its native core and the built-in example, and the
installed wheel works on its own (not only from this source tree)."""
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NATIVE = {"leb128", "scan", "hashing", "reloc", "externals", "chunking"}


def test_a_wheel_builds_and_runs_from_where_it_is_installed(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path / "dist"), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("wasmlink-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    built = {Path(n).name.split(".")[0] for n in names if n.startswith("wasmlink/_native/")
             and n.endswith(".so")}
    assert built == NATIVE
    assert "wasmlink/examples/hello.wasm" in names and "wasmlink/examples/hello.o" in names

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(target), str(wheel)], check=True, capture_output=True)
    proc = subprocess.run([sys.executable, "-c", "import wasmlink, sys; print(wasmlink.__file__);"
                           "from wasmlink.cli import main; sys.exit(main(['demo']))"],
                          capture_output=True, text=True, cwd=tmp_path,
                          env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith(str(target))
    assert "hello.wasm: module" in proc.stdout
