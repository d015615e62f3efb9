"""Malformed input never crashes, hangs or over-allocates: property-based tests that mutate
real binaries (an object, a linked program, a PIC library, a component, an archive) and require
that decoding all of it either succeeds or raises a WasmlinkError, within a memory budget
proportional to the bytes present. Inputs that once failed live in tests/corpus/ and are
replayed, in-process and through the CLI."""
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import LLVM_BIN, TESTS, WASM_LD, jco_embed, run
from support.deep import decode_everything
from wasmlink.errors import WasmlinkError

CORPUS = TESTS / "corpus"
BIG_LEB = b"\xff\xff\xff\xff\x0f"


@pytest.fixture(scope="module")
def seeds(toolchain, hello_object, hello_module, jco, tmp_path_factory):
    import wasmtime
    root = tmp_path_factory.mktemp("seeds")
    pic = toolchain.compile("pic.o", "extern int g; int get(void) { return g; }\n"
                            "int h = 3; int *ph = &h;\n", "-fPIC", "-O1")
    lib = root / "libpic.so"
    run([WASM_LD, "-shared", "--experimental-pic", "--unresolved-symbols=import-dynamic",
         pic, "-o", lib])
    archive = root / "libhello.a"
    run([LLVM_BIN / "llvm-ar", "rcs", archive, hello_object, pic])
    wit = root / "world.wit"
    wit.write_text("package a:b;\nworld w {\n  import f: func(s: string) -> list<u8>;\n"
                   "  export g: func() -> option<u32>;\n}\n")
    typed = jco_embed(wit, "w", "utf8", root / "typed.wasm")
    component = root / "nested.wasm"
    component.write_bytes(wasmtime.wat2wasm(
        '(component (core module (func (export "f"))) (component (core module (memory 1))))'))
    return Seeds({p.name: p.read_bytes() for p in (hello_object, hello_module, lib, archive, component, typed)})


class Seeds(dict):
    def __repr__(self) -> str:        # hypothesis prints the test's arguments
        return f"<seeds {', '.join(self)}>"


def check(data: bytes, directory: Path) -> None:
    path = directory / "input.wasm"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        decode_everything(path)
    except WasmlinkError:
        pass
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    # decoding may build Python objects per item, but never sizes anything by a declared count
    assert peak < 200 * len(data) + (8 << 20), f"peak {peak} bytes for a {len(data)}-byte input"


mutation = st.tuples(st.sampled_from(["flip", "byte", "leb", "cut", "insert", "delete"]),
                     st.floats(0, 1, exclude_max=True), st.integers(0, 255))


def mutate(data: bytes, mutations) -> bytes:
    out = bytearray(data)
    for op, where, value in mutations:
        if not out:
            break
        at = int(where * len(out))
        if op == "flip":
            out[at] ^= 1 << (value % 8)
        elif op == "byte":
            out[at] = value
        elif op == "leb":
            out[at:at + 5] = BIG_LEB
        elif op == "cut":
            del out[at:]
        elif op == "insert":
            out[at:at] = bytes([value]) * (1 + value % 7)
        else:
            del out[at:at + 1 + value % 16]
    return bytes(out)


@settings(max_examples=400, deadline=5000, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(seed=st.sampled_from(["hello.o", "hello.wasm", "libpic.so", "libhello.a", "nested.wasm",
                             "typed.wasm"]),
       mutations=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_real_binaries_fail_cleanly(seeds, tmp_path, seed, mutations):
    check(mutate(seeds[seed], mutations), tmp_path)


@pytest.mark.parametrize("name", ["hello.o", "hello.wasm", "libpic.so", "libhello.a", "nested.wasm",
                                  "typed.wasm"])
def test_every_truncation_of_a_seed_fails_cleanly(seeds, tmp_path, name):
    data = seeds[name]
    step = max(1, len(data) // 300)
    for end in range(0, len(data), step):
        check(data[:end], tmp_path)


def corpus_files():
    return sorted(p for p in CORPUS.iterdir() if p.suffix == ".bin")


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_inputs_fail_cleanly(path, tmp_path):
    check(path.read_bytes(), tmp_path)


def test_corpus_inputs_are_one_line_errors_through_the_cli():
    files = corpus_files()
    assert files, "tests/corpus/ holds the inputs that once failed"
    for path in files:
        proc = subprocess.run([sys.executable, "-m", "wasmlink", "inspect", str(path)],
                              capture_output=True, text=True)
        assert proc.returncode in (0, 1), (path.name, proc.stderr)
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, path.name
        assert len(proc.stderr.splitlines()) <= 1, path.name
