"""Shared fixtures: the real reference tools and real inputs every test file draws on.

Inputs are built by the real toolchain (clang-22 for wasm32-wasi against Debian's wasi-libc)
into a per-session temporary directory; the large libraries of the componentize-py wheel are
extracted once into a cache keyed by the wheel's version (tests/support/wheel_libs.py).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

LLVM_BIN = Path("/usr/lib/llvm-22/bin")
CLANG = shutil.which("clang-22") or str(LLVM_BIN / "clang")
WASM_LD = shutil.which("wasm-ld-22") or str(LLVM_BIN / "wasm-ld")
SYSROOT = "/usr"
WASI_LIB = Path("/usr/lib/wasm32-wasi")
TESTS = Path(__file__).parent


def run(cmd, **kw) -> subprocess.CompletedProcess:
    """Run a reference tool; fail the test with its stderr if it fails."""
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


class Toolchain:
    """clang-22 for wasm32-wasi, writing into one session directory."""

    def __init__(self, root: Path):
        self.root = root

    def compile(self, name: str, source: str, *flags: str, lang: str = "c") -> Path:
        """Compile ``source`` to a relocatable object ``name`` (e.g. 'hello.o')."""
        src = self.root / (Path(name).stem + (".cpp" if lang == "c++" else ".c"))
        src.write_text(source)
        out = self.root / name
        compiler = [CLANG, "--target=wasm32-wasi", f"--sysroot={SYSROOT}", "-Wno-deprecated"]
        if lang == "c++":
            compiler += ["-x", "c++", "-fno-exceptions"]
        run(compiler + ["-c", *flags, str(src), "-o", str(out)])
        return out

    def build(self, name: str, source: str, *flags: str, lang: str = "c") -> Path:
        """Compile and link ``source`` into a module with wasm-ld-22 (through clang)."""
        src = self.root / (Path(name).stem + (".cpp" if lang == "c++" else ".c"))
        src.write_text(source)
        out = self.root / name
        compiler = [CLANG, "--target=wasm32-wasi", f"--sysroot={SYSROOT}", "-Wno-deprecated",
                    f"--ld-path={WASM_LD}"]
        if lang == "c++":
            compiler = [c.replace("clang-22", "clang++-22") for c in compiler]
            compiler += ["-x", "c++", "-fno-exceptions"]
        run(compiler + [*flags, str(src), "-o", str(out)])
        return out


@pytest.fixture(scope="session")
def toolchain(tmp_path_factory) -> Toolchain:
    return Toolchain(tmp_path_factory.mktemp("toolchain"))


HELLO_C = r"""
#include <stdio.h>
static int counter;
__attribute__((constructor)) static void init(void) { counter = 40 + puts("starting"); }
int answer(void) { return ++counter; }
int main(int argc, char **argv) { printf("hello %d %s\n", answer(), argv[0]); return 0; }
"""


@pytest.fixture(scope="session")
def hello_object(toolchain) -> Path:
    return toolchain.compile("hello.o", HELLO_C, "-O1")


@pytest.fixture(scope="session")
def hello_module(toolchain) -> Path:
    return toolchain.build("hello.wasm", HELLO_C, "-O1")


def libc_members(tmp_dir: Path) -> list[Path]:
    """Every member of Debian's wasi-libc libc.a, extracted by llvm-ar into tmp_dir."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    run([LLVM_BIN / "llvm-ar", "x", WASI_LIB / "libc.a"], cwd=tmp_dir)
    return sorted(tmp_dir.glob("*.o"))


@pytest.fixture(scope="session")
def libc_objects(tmp_path_factory) -> list[Path]:
    return libc_members(tmp_path_factory.mktemp("libc"))


@pytest.fixture(scope="session")
def wheel_libs() -> dict[str, Path]:
    """File name → path of each wasm module embedded in componentize-py (libc.so,
    libpython3.14.so, libc++.so, ..., and its WASI adapter), extracted once into a cache."""
    from support.wheel_libs import componentize_py_libraries
    return componentize_py_libraries()


PYTHON_APP_WIT = """package example:hello;

world hello {
  export greet: func(name: string) -> string;
}
"""
PYTHON_APP = '''import wit_world

class WitWorld(wit_world.WitWorld):
    def greet(self, name: str) -> str:
        return f"Hello, {name}!"
'''


def build_python_component(directory: Path) -> Path:
    """A real ~18 MB component, built by componentize-py from a one-function Python app."""
    import importlib.metadata
    version = importlib.metadata.version("componentize-py")
    out = directory / f"hello-componentize-py-{version}.wasm"
    if out.exists():
        return out
    work = directory / "app-src"
    (work / "wit").mkdir(parents=True, exist_ok=True)
    (work / "wit" / "world.wit").write_text(PYTHON_APP_WIT)
    (work / "app.py").write_text(PYTHON_APP)
    tmp = directory / (out.name + ".tmp")
    run([shutil.which("componentize-py") or "componentize-py", "-d", "wit", "-w", "hello",
         "componentize", "app", "-o", tmp], cwd=work)
    tmp.replace(out)
    return out


@pytest.fixture(scope="session")
def python_component() -> Path:
    from support.wheel_libs import CACHE_ROOT
    directory = CACHE_ROOT / "components"
    directory.mkdir(parents=True, exist_ok=True)
    return build_python_component(directory)


NODE_MODULES = TESTS.parent / ".deps" / "node_modules"


@pytest.fixture(scope="session")
def jco() -> Path:
    """The jco CLI that scripts/install-test-deps puts in .deps/."""
    path = NODE_MODULES / ".bin" / "jco"
    if not path.exists():
        pytest.fail("jco is missing: run scripts/install-test-deps (npm @bytecodealliance/jco)")
    return path


def jco_embed(wit: Path, world: str, encoding: str, out: Path, module: Path | None = None) -> Path:
    """`jco embed` (see tests/support/jco_embed.mjs): the reference component-type section."""
    import os
    args = ["node", TESTS / "support" / "jco_embed.mjs", wit, world, encoding, out]
    run(args + ([module] if module else []), env={**os.environ, "JCO_MODULES": str(NODE_MODULES)})
    return out


# -- worlds embedded by jco: the reference for component-type sections and dummy modules ------

CONFORMANCE = Path("/work/shared/conformance/wasm-tools/crates/wit-component/tests")
CONFORMANCE_CASES = sorted(p.parent.name for p in (CONFORMANCE / "components").glob("*/module.wit"))
WASI_HTTP = CONFORMANCE / "interfaces" / "wasi-http"
# cases jco's wasm-tools cannot embed on its own (adapter-only worlds, several packages)
JCO_CANNOT_EMBED = {"adapt-stub-wasip2", "import-export-same-iface-name",
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


@pytest.fixture(scope="session")
def jco_worlds(tmp_path_factory):
    """(name, encoding) -> (WIT path, world, jco's dummy module with the world embedded), for
    every single-world conformance case and WASI's cli command and http proxy worlds: one node
    process embeds them all."""
    root = tmp_path_factory.mktemp("wit-encode")
    table = {}
    for case in CONFORMANCE_CASES:
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


