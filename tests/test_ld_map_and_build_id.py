"""Two outputs beside the module: the link map (--Map / -M) and the build id (--build-id).

Both are checked byte for byte against what wasm-ld-22 writes for the same link, with the output
given the same name in two folders (the name goes into the name section, hence into the map's
sizes and the hash).
"""
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CLANG, WASM_LD, run

WASMLINK_LD = str(Path(sys.executable).with_name("wasmlink-ld"))
CLANG_ARGS = ["--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated"]
LLVM_MC = "/usr/lib/llvm-22/bin/llvm-mc"

# the input of lld's test/wasm/map-file.s: functions, a global, data and bss, debug info
MAP_FILE_S = """
.globaltype wasm_global, i32, immutable
wasm_global:
bar:
    .functype bar () -> (i32)
    i32.const   somedata
    i32.const   somezeroes
    drop
    end_function
write_global:
    .functype write_global (i32) -> ()
    local.get 0
    global.set wasm_global
    end_function
    .globl _start
_start:
    .functype _start () -> ()
    call bar
    call write_global
    end_function
.section .data.somedata,"",@
somedata:
  .int32 123
  .int32 bar
.size somedata, 8
.section .bss.somezeroes,"",@
somezeroes:
    .int32 0
.size somezeroes, 4
.section .debug_info,"",@
    .int32 bar
"""

START_S = ".globl _start\n_start:\n  .functype _start () -> ()\n  end_function\n"


def assemble(tmp_path, text: str, name: str) -> Path:
    src, obj = tmp_path / (name + ".s"), tmp_path / (name + ".o")
    src.write_text(text)
    run([LLVM_MC, "-filetype=obj", "-triple=wasm32-unknown-unknown", src, "-o", obj])
    return obj


def both(tmp_path, *args, output="out.wasm", extra=lambda folder: []):
    """Run wasm-ld-22 and wasmlink-ld on the same arguments, each writing into its own folder;
    returns the two folders."""
    folders = []
    for tool, name in ((WASM_LD, "reference"), (WASMLINK_LD, "wasmlink")):
        folder = tmp_path / name
        folder.mkdir()
        run([tool, *args, "-o", folder / output, *extra(folder)])
        folders.append(folder)
    return folders


# -- the map ---------------------------------------------------------------------------------

def test_the_map_of_lld_map_file_test_is_wasm_lds(tmp_path):
    obj = assemble(tmp_path, MAP_FILE_S, "map")
    ref, ours = both(tmp_path, obj, extra=lambda f: [f"--Map={f / 'out.map'}"])
    expected = (ref / "out.map").read_text()
    assert (ours / "out.map").read_text() == expected
    assert "       -       56       10                 bar\n" in expected   # a local function
    assert "   10008        0        4 .bss\n" not in expected                 # bss at its header


def test_print_map_writes_the_map_to_standard_output(tmp_path):
    obj = assemble(tmp_path, MAP_FILE_S, "map")
    ref = run([WASM_LD, obj, "-o", tmp_path / "out.wasm", "-M"]).stdout
    ours = run([WASMLINK_LD, obj, "-o", tmp_path / "out.wasm", "--print-map"]).stdout
    assert ours == ref
    assert ours.startswith("    Addr      Off     Size Out     In      Symbol\n")


def test_the_map_of_a_cxx_program_demangles_as_wasm_ld(tmp_path):
    source = tmp_path / "main.cpp"
    source.write_text('#include <map>\n#include <string>\n#include <iostream>\n'
                      'int main() { std::map<std::string, int> m{{"a", 1}}; std::cout << m["a"]; }\n')
    cxx = CLANG.replace("clang-22", "clang++-22")
    obj = tmp_path / "main.o"
    run([cxx, *CLANG_ARGS, "-fno-exceptions", "-O2", "-c", source, "-o", obj])
    maps = []
    for tool, name in ((WASM_LD, "reference"), (WASMLINK_LD, "wasmlink")):
        (tmp_path / name).mkdir()
        out = tmp_path / name / "out.wasm"
        run([cxx, *CLANG_ARGS, "-fno-exceptions", obj, "-o", out, f"-fuse-ld={tool}",
             f"-Wl,--Map={out.with_suffix('.map')}"])
        maps.append(out.with_suffix(".map").read_text())
    assert maps[1] == maps[0]
    assert "std::__2::basic_ostream" in maps[0]


def test_an_unwritable_map_fails_the_link_and_writes_no_output(tmp_path):
    obj = assemble(tmp_path, MAP_FILE_S, "map")
    proc = subprocess.run([WASMLINK_LD, obj, "-o", tmp_path / "out.wasm", "-Map=/"],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr == "wasmlink-ld: error: cannot open map file /: Is a directory\n"
    assert not (tmp_path / "out.wasm").exists()


# -- the build id ----------------------------------------------------------------------------

@pytest.mark.parametrize("flag", ["--build-id", "--build-id=fast", "--build-id=sha1",
                                  "--build-id=tree", "--build-id=0x12345678"])
def test_the_build_id_is_wasm_lds(tmp_path, flag):
    obj = assemble(tmp_path, START_S, "start")
    ref, ours = both(tmp_path, obj, flag)
    assert (ours / "out.wasm").read_bytes() == (ref / "out.wasm").read_bytes()


def test_the_build_id_of_a_multi_megabyte_output_hashes_it_in_pieces_as_wasm_ld(tmp_path):
    # 3 MiB of data: the id is the hash of the hashes of three 1 MiB pieces
    obj = assemble(tmp_path, START_S + '.section .data.big,"",@\n.globl big\nbig:\n  .fill 3145728, 1, 7\n'
                   ".size big, 3145728\n", "big")
    for style in ("fast", "sha1"):
        (tmp_path / style).mkdir()
        ref, ours = both(tmp_path / style, obj, f"--build-id={style}", "--export=big")
        assert (ours / "out.wasm").read_bytes() == (ref / "out.wasm").read_bytes()


def test_the_build_id_section_is_the_last_and_holds_the_given_bytes(tmp_path):
    obj = assemble(tmp_path, START_S, "start")
    run([WASMLINK_LD, obj, "-o", tmp_path / "out.wasm", "--build-id=0xdeadbeef"])
    data = (tmp_path / "out.wasm").read_bytes()
    assert data.endswith(b"\x00\x0e\x08build_id\x04\xde\xad\xbe\xef")


def test_a_uuid_build_id_is_a_fresh_version_4_uuid_each_link(tmp_path):
    obj = assemble(tmp_path, START_S, "start")
    ids = []
    for _ in range(2):
        run([WASMLINK_LD, obj, "-o", tmp_path / "out.wasm", "--build-id=uuid"])
        ids.append((tmp_path / "out.wasm").read_bytes()[-16:])
    assert ids[0] != ids[1]
    assert all(i[6] >> 4 == 4 and i[8] >> 6 == 0b10 for i in ids)


def test_the_last_build_id_flag_wins_and_none_removes_it(tmp_path):
    obj = assemble(tmp_path, START_S, "start")
    run([WASMLINK_LD, obj, "-o", tmp_path / "out.wasm", "--build-id=sha1", "--build-id=none"])
    assert b"build_id" not in (tmp_path / "out.wasm").read_bytes()
