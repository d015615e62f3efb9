"""wasm64 (-mwasm64): 64-bit memories and tables, i64 pointers in globals, segment offsets and
the PIC machinery, byte-identical to wasm-ld-22 and running in Wasmtime with memory64 on.

Debian has no wasm64 libc, so the programs are freestanding C compiled by clang-22 for
wasm64-unknown-unknown.
"""
import sys
from pathlib import Path

import pytest

from conftest import CLANG, WASM_LD, run

WASMLINK_LD = str(Path(sys.executable).with_name("wasmlink-ld"))

PROGRAM = r"""
static int table[64];
int counter = 7;
const char *msg = "hello64";
typedef int (*op)(int, int);
static int add(int a, int b) { return a + b; }
static int mul(int a, int b) { return a * b; }
op ops[2] = { add, mul };
int compute(int n) {
  for (int i = 0; i < 64; i++) table[i] = i * n;
  int s = 0;
  for (int i = 0; i < 64; i++) s = ops[i & 1](s, table[i]) % 100003;
  return s + counter + msg[5];
}
"""

TLS_AND_IMPORTS = r"""
extern int ext_counter;
__thread int tl = 5;
int get(void) { return tl + ext_counter; }
int (*fp)(void) = get;
"""


def compile64(tmp_path, source: str, *flags: str) -> Path:
    src, obj = tmp_path / "input.c", tmp_path / "input.o"
    src.write_text(source)
    run([CLANG, "--target=wasm64-unknown-unknown", "-O1", *flags, "-c", src, "-o", obj])
    return obj


def link_both(tmp_path, obj: Path, *args: str) -> tuple[bytes, bytes]:
    outs = []
    for tool, folder in ((WASM_LD, "reference"), (WASMLINK_LD, "wasmlink")):
        (tmp_path / folder).mkdir()
        out = tmp_path / folder / "out.wasm"
        run([tool, "-mwasm64", *args, obj, "-o", out])
        outs.append(out.read_bytes())
    return outs[0], outs[1]


def test_a_wasm64_program_links_as_wasm_ld_and_runs(tmp_path):
    wasmtime = pytest.importorskip("wasmtime")
    ref, ours = link_both(tmp_path, compile64(tmp_path, PROGRAM), "--no-entry", "--export=compute")
    assert ours == ref
    config = wasmtime.Config()
    config.wasm_memory64 = True
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    instance = wasmtime.Instance(store, wasmtime.Module(engine, ours), [])
    memory_type = instance.exports(store)["memory"].type(store)
    assert memory_type.is_64
    expected = 0
    for i in range(64):        # the program's loop: add and multiply by turns, modulo 100003
        expected = (expected + 3 * i if i % 2 == 0 else expected * 3 * i) % 100003
    assert instance.exports(store)["compute"](store, 3) == expected + 7 + ord("6")


@pytest.mark.parametrize("args", [
    ("--experimental-pic", "-shared"),
    ("--experimental-pic", "-pie", "--no-entry", "--allow-undefined"),
    ("--no-entry", "--export=get", "--allow-undefined", "--import-memory", "--export-table",
     "--global-base=4096", "--no-stack-first"),
], ids=["shared", "pie", "import-memory"])
def test_wasm64_pic_and_memory_layouts_are_wasm_lds(tmp_path, args):
    ref, ours = link_both(tmp_path, compile64(tmp_path, TLS_AND_IMPORTS, "-fPIC"), *args)
    assert ours == ref


def test_wasm64_shared_memory_with_tls_is_wasm_lds(tmp_path):
    obj = compile64(tmp_path, TLS_AND_IMPORTS, "-pthread", "-matomics", "-mbulk-memory")
    ref, ours = link_both(tmp_path, obj, "--no-entry", "--export=get", "--allow-undefined",
                          "--shared-memory", "--max-memory=1048576")
    assert ours == ref
