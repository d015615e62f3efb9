"""`wasmlink-ld -r` and `--emit-relocs` against wasm-ld-22 (issue 3).

Each case is a pair of C or C++ files compiled by clang-22 (`-c`, at -O0 and at -O2, one case
with `-g`). Both files are combined by `-r` with wasm-ld-22 and with wasmlink-ld, into files of
the same name (the name section carries it), and the two partial objects must read the same to
obj2yaml: sections, relocations, symbol table, segment info, init functions and COMDATs.

Then each partial object is linked into a program with crt1 and libc, through clang with
`-fuse-ld=/usr/bin/wasm-ld-22` (clang-22 ignores --ld-path), and wasmlink's is also linked by
wasmlink-ld itself; every program runs in Wasmtime (WASI p1) and prints the expected output.
Finally the original objects are linked with `--emit-relocs` by both linkers, and the two
final modules must read the same to obj2yaml.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime

CLANG = shutil.which("clang-22") or "/usr/lib/llvm-22/bin/clang"
CLANGXX = shutil.which("clang++-22") or "/usr/lib/llvm-22/bin/clang++"
WASM_LD = shutil.which("wasm-ld-22") or "/usr/lib/llvm-22/bin/wasm-ld"
OBJ2YAML = "/usr/lib/llvm-22/bin/obj2yaml"
WASMLINK_LD = str(Path(sys.executable).with_name("wasmlink-ld"))
if not Path(WASMLINK_LD).exists():
    WASMLINK_LD = shutil.which("wasmlink-ld") or WASMLINK_LD
TARGET = ["--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated"]

C_LIB = r"""
#include <string.h>
static int table_data[64];              /* .bss */
static char buf[32];
__thread int per_thread = 5;            /* .tdata, lowered to plain data without atomics */
__attribute__((weak)) int weakfn(void) { return 7; }
typedef int (*op)(int, int);
static int add(int a, int b) { return a + b; }
static int mul(int a, int b) { return a * b; }
op ops[] = { add, mul };                /* table slots from data relocations */
const char *names[] = { "add", "mul" };
int apply(int i, int a, int b) { return ops[i](a, b); }
__attribute__((constructor(200))) static void early(void) { table_data[3] = 9; }
__attribute__((constructor)) static void late(void) { table_data[4] = table_data[3] + 1; }
const char *label(int i) { strcpy(buf, names[i]); return buf; }
int third(void) { return table_data[3] + table_data[4] + weakfn() + per_thread; }
"""

C_MAIN = r"""
#include <stdio.h>
int apply(int, int, int);
const char *label(int);
int third(void);
static const char *greeting = "partial objects";
int main(void) {
  puts(greeting);
  for (int i = 0; i < 2; i++) printf("%s(6, 7) = %d\n", label(i), apply(i, 6, 7));
  printf("third = %d\n", third());
  return 0;
}
"""

C_OUT = "partial objects\nadd(6, 7) = 13\nmul(6, 7) = 42\nthird = 31\n"

CXX_LIB = r"""
#include <cstdio>
template <typename T> struct Box { T v; T get() const { return v * 2; } };
inline int shared_inline(int x) { static int calls; return x + ++calls; }
int from_lib(int x) { Box<int> b{x}; return b.get() + shared_inline(1); }
"""

CXX_MAIN = r"""
#include <cstdio>
template <typename T> struct Box { T v; T get() const { return v * 2; } };
inline int shared_inline(int x) { static int calls; return x + ++calls; }
int from_lib(int);
struct Noisy { Noisy() { std::puts("ctor"); } ~Noisy() { std::puts("dtor"); } } noisy;
int main() {
  Box<long> b{3};
  int a = from_lib(4);
  std::printf("%d %ld %d\n", a, b.get(), shared_inline(10));
}
"""

CXX_OUT = "ctor\n10 6 12\ndtor\n"

CASES = {
    "c-O0": ("c", ["-O0"], C_LIB, C_MAIN, C_OUT),
    "c-O2": ("c", ["-O2"], C_LIB, C_MAIN, C_OUT),
    "c-O1-g": ("c", ["-O1", "-g"], C_LIB, C_MAIN, C_OUT),
    "c++-O0-g": ("c++", ["-O0", "-g"], CXX_LIB, CXX_MAIN, CXX_OUT),
    "c++-O2": ("c++", ["-O2"], CXX_LIB, CXX_MAIN, CXX_OUT),
}


def run(cmd, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def obj2yaml(path: Path) -> str:
    return run([OBJ2YAML, path]).stdout


def compile_pair(tmp: Path, lang: str, flags, lib: str, main: str) -> list[Path]:
    compiler = [CLANGXX, "-fno-exceptions"] if lang == "c++" else [CLANG]
    suffix = ".cpp" if lang == "c++" else ".c"
    objects = []
    for name, source in (("lib", lib), ("main", main)):
        src = tmp / (name + suffix)
        src.write_text(source)
        obj = tmp / (name + ".o")
        run([*compiler, *TARGET, *flags, "-c", src, "-o", obj])
        objects.append(obj)
    return objects


def link_program(lang: str, obj: Path, out: Path, linker: str, *extra: str) -> Path:
    driver = CLANGXX if lang == "c++" else CLANG
    run([driver, *TARGET, f"-fuse-ld={linker}", *extra, obj, "-o", out])
    return out


def run_wasi(path: Path, workdir: Path) -> tuple[str, int]:
    engine = wasmtime.Engine()
    module = wasmtime.Module.from_file(engine, str(path))
    store = wasmtime.Store(engine)
    stdout = workdir / f"{path.name}.stdout"
    wasi = wasmtime.WasiConfig()
    wasi.stdout_file = str(stdout)
    wasi.argv = [path.name]
    store.set_wasi(wasi)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    code = 0
    try:
        linker.instantiate(store, module).exports(store)["_start"](store)
    except wasmtime.ExitTrap as e:
        code = e.code
    return stdout.read_text(), code


@pytest.fixture(params=sorted(CASES))
def case(request, tmp_path):
    lang, flags, lib, main, expected = CASES[request.param]
    objects = compile_pair(tmp_path, lang, flags, lib, main)
    return lang, objects, expected, tmp_path


def test_relocatable_output_matches_wasm_ld(case):
    lang, objects, expected, tmp = case
    (tmp / "ref").mkdir()
    (tmp / "ours").mkdir()
    ref, ours = tmp / "ref" / "partial.o", tmp / "ours" / "partial.o"
    run([WASM_LD, "-r", *objects, "-o", ref])
    run([WASMLINK_LD, "-r", *objects, "-o", ours])
    assert obj2yaml(ours) == obj2yaml(ref)
    assert ours.read_bytes() == ref.read_bytes()

    programs = [
        link_program(lang, ref, tmp / "ref.wasm", WASM_LD),
        link_program(lang, ours, tmp / "ours.wasm", WASM_LD),
        link_program(lang, ours, tmp / "ours-by-wasmlink.wasm", WASMLINK_LD),
    ]
    for program in programs:
        assert run_wasi(program, tmp) == (expected, 0), program.name


def test_emit_relocs_matches_wasm_ld(case):
    lang, objects, expected, tmp = case
    (tmp / "ref").mkdir()
    (tmp / "ours").mkdir()
    driver = CLANGXX if lang == "c++" else CLANG
    outputs = []
    for linker, where in ((WASM_LD, "ref"), (WASMLINK_LD, "ours")):
        out = tmp / where / "program.wasm"
        run([driver, *TARGET, f"-fuse-ld={linker}", "-Wl,--emit-relocs", *objects, "-o", out])
        outputs.append(out)
    ref, ours = outputs
    assert obj2yaml(ours) == obj2yaml(ref)
    assert run_wasi(ours, tmp) == (expected, 0)
