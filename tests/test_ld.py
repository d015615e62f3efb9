"""The static linker as a user meets it: byte-identical to wasm-ld-22 on real links, the same
errors (naming every file involved), nothing written when a link fails, and malformed inputs
reported against the file that holds them. The behaviour of whole programs is in
test_ld_programs.py; lld's own tests in test_lld_conformance.py."""
import subprocess
import sys
from pathlib import Path

import pytest

import wasmlink
from conftest import CLANG, WASI_LIB, WASM_LD, run

WASMLINK_LD = str(Path(sys.executable).with_name("wasmlink-ld"))
CLANG_ARGS = ["--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated"]


def link_both(tmp_path, sources: dict, *flags: str, cxx: bool = False):
    """Compile once, then link the same objects through clang with wasm-ld-22 and with
    wasmlink-ld (the same output name in two folders: the name goes into the name section)."""
    cc = CLANG.replace("clang-22", "clang++-22") if cxx else CLANG
    extra = ["-fno-exceptions"] if cxx else []
    objects = []
    for name, text in sources.items():
        (tmp_path / name).write_text(text)
        obj = tmp_path / (name + ".o")
        run([cc, *CLANG_ARGS, *extra, *flags, "-c", tmp_path / name, "-o", obj])
        objects.append(obj)
    outs = []
    for tool, folder in ((WASM_LD, "reference"), (WASMLINK_LD, "wasmlink")):
        (tmp_path / folder).mkdir()
        out = tmp_path / folder / "out.wasm"
        run([cc, *CLANG_ARGS, *extra, *objects, "-o", out, f"-fuse-ld={tool}"])
        outs.append(out.read_bytes())
    return outs


def test_a_c_program_against_wasi_libc_is_byte_identical_to_wasm_ld(tmp_path):
    ref, ours = link_both(tmp_path, {"main.c": '#include <stdio.h>\nint main(void) '
                                                '{ printf("%d\\n", 6 * 7); return 0; }\n'}, "-O2")
    assert ours == ref


def test_a_cxx_program_against_libcxx_is_byte_identical_to_wasm_ld(tmp_path):
    source = ('#include <iostream>\n#include <map>\n#include <string>\n'
              'int main() { std::map<std::string, int> m{{"a", 1}}; std::cout << m["a"] << "\\n"; }\n')
    ref, ours = link_both(tmp_path, {"main.cpp": source}, "-O2", cxx=True)
    assert ours == ref


def test_debug_info_is_relocated_like_wasm_ld(tmp_path):
    ref, ours = link_both(tmp_path, {"main.c": "int twice(int x) { return 2 * x; }\n"
                                                "int main(void) { return twice(0); }\n"}, "-O0", "-g")
    assert ours == ref


def test_the_same_link_twice_gives_the_same_bytes(tmp_path, hello_object):
    args = [str(WASI_LIB / "crt1-command.o"), str(hello_object), str(WASI_LIB / "libc.a")]
    first = wasmlink.link(args, tmp_path / "a.wasm")
    (tmp_path / "b").mkdir()
    wasmlink.link(args, tmp_path / "b" / "a.wasm")
    assert (tmp_path / "a.wasm").read_bytes() == (tmp_path / "b" / "a.wasm").read_bytes()
    assert first.exports == ["memory", "_start"]
    assert first.size == (tmp_path / "a.wasm").stat().st_size


def ld(*args, cwd=None):
    return subprocess.run([WASMLINK_LD, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_undefined_symbols_are_reported_for_every_referencing_file(toolchain, tmp_path):
    a = toolchain.compile("uses_a.o", "void missing(void); void _start(void) { missing(); }\n")
    b = toolchain.compile("uses_b.o", "void missing(void); void other(void) { missing(); }\n"
                          "__attribute__((export_name(\"other\"))) void other2(void) { other(); }\n")
    out = tmp_path / "out.wasm"
    proc = ld(a, b, "-o", out)
    assert proc.returncode == 1
    assert f"wasmlink-ld: error: {a}: undefined symbol: missing" in proc.stderr
    assert f"wasmlink-ld: error: {b}: undefined symbol: missing" in proc.stderr
    assert not out.exists()


def test_a_duplicate_symbol_names_both_files(toolchain, tmp_path):
    a = toolchain.compile("dup_a.o", "int twice(int x) { return 2 * x; }\nvoid _start(void) {}\n")
    b = toolchain.compile("dup_b.o", "int twice(int x) { return x + x; }\n")
    proc = ld(a, b, "-o", tmp_path / "out.wasm")
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[:3] == [
        "wasmlink-ld: error: duplicate symbol: twice", f">>> defined in {a}", f">>> defined in {b}"]


def test_allow_undefined_turns_undefined_functions_into_imports(toolchain, tmp_path):
    obj = toolchain.compile("imp.o", "int host(int); int _start(void) { return host(3); }\n")
    result = wasmlink.link([obj], tmp_path / "out.wasm", allow_undefined=True)
    assert ("env", "host") in result.imports


def test_bitcode_is_refused_with_a_clear_message(tmp_path):
    bc = tmp_path / "lto.o"
    run([CLANG, *CLANG_ARGS, "-flto", "-c", "-x", "c", "-", "-o", bc], input="int f(void){return 1;}\n")
    proc = ld(bc, "--no-entry", "-o", tmp_path / "out.wasm")
    assert proc.returncode == 1
    assert "LTO is not supported" in proc.stderr and str(bc) in proc.stderr


def test_a_linked_module_is_not_an_object(hello_module, tmp_path):
    proc = ld(hello_module, "-o", tmp_path / "out.wasm")
    assert proc.returncode == 1
    assert f"{hello_module}: not a relocatable wasm file" in proc.stderr


def corrupt(data: bytes, at: int, value: bytes) -> bytes:
    return data[:at] + value + data[at + len(value):]


def test_a_relocation_offset_past_its_section_names_the_file(toolchain, tmp_path):
    obj = toolchain.compile("rel.o", "int g; int f(void) { return g; }\nvoid _start(void) { f(); }\n")
    data = obj.read_bytes()
    m = wasmlink.read(obj)
    reloc = m.custom("reloc.CODE")
    # the first entry's offset: after target index, count and the type byte
    at = reloc.contents + 1 + 1 + 1
    bad = tmp_path / "bad.o"
    bad.write_bytes(corrupt(data, at, b"\xff\xff\x03"))
    out = tmp_path / "out.wasm"
    proc = ld(bad, "-o", out)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"wasmlink-ld: error: {bad}: ")
    assert "at offset 0x" in proc.stderr
    assert not out.exists()


def test_a_symbol_past_its_segment_names_the_file(toolchain, tmp_path):
    obj = toolchain.compile("seg.o", "int table[4] = {1, 2, 3, 4};\nint *p = &table[1];\n"
                            "void _start(void) {}\n")
    data = bytearray(obj.read_bytes())
    m = wasmlink.read(obj)
    syms = m.linking().symbols
    row = next(i for i in range(len(syms)) if syms.name(i) == "table")
    # rewrite the symbol's offset (a one-byte LEB, 0) to 127: past its 16-byte segment (LLVM's
    # reader checks the offset only: wasm-ld-22 takes a size past the end, as lld's
    # libsearch.s relies on)
    start = syms.name_offset[row] + syms.name_size[row]
    data[start + 1] = 127
    bad = tmp_path / "bad.o"
    bad.write_bytes(bytes(data))
    proc = ld(bad, "-o", tmp_path / "out.wasm")
    assert proc.returncode == 1
    assert str(bad) in proc.stderr
    assert "invalid data symbol offset: `table` (offset: 127 segment size: 16)" in proc.stderr


def test_version_looks_like_lld_for_build_systems():
    proc = ld("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("LLD 22.")


LD_CORPUS = Path(__file__).parent / "corpus" / "ld"


@pytest.mark.parametrize("bad", sorted(LD_CORPUS.glob("*.o")), ids=lambda p: p.name)
def test_objects_that_once_crashed_the_linker_are_clean_errors(bad, tmp_path):
    """Mutated objects a fuzzing run found (tests/corpus/ld/): one error line, no output."""
    out = tmp_path / "out.wasm"
    proc = ld(WASI_LIB / "crt1-command.o", bad, WASI_LIB / "libc.a", "--allow-undefined",
              "--no-entry", "-o", out)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    if proc.returncode:
        assert proc.stderr.startswith(f"wasmlink-ld: error: {bad}: ")
        assert not out.exists()
