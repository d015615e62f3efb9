"""`inspect` reports on real inputs agree with the reference tools: wasm-objdump for modules,
objects and libraries, llvm-ar for archives, and the bytes themselves for components."""
import hashlib
import re
import subprocess

import wasmlink
from conftest import LLVM_BIN, WASI_LIB


def objdump(*args):
    return subprocess.run(["wasm-objdump", *map(str, args)], capture_output=True, text=True,
                          check=True).stdout


def test_library_sections_and_counts_match_wasm_objdump(wheel_libs):
    path = wheel_libs["libpython3.14.so"]
    report = wasmlink.inspect(path)
    rows = re.findall(r"^\s*(\w+) start=0x([0-9a-f]+) end=0x[0-9a-f]+ \(size=0x([0-9a-f]+)\)"
                      r"(?: count: (\d+))?", objdump("-h", path), re.M)
    ours = [(s["payload_offset"], s["size"], s.get("count")) for s in report["sections"]
            if s["name"] != "start"]
    theirs = [(int(start, 16), int(size, 16), int(count) if count else None)
              for kind, start, size, count in rows if kind != "Start"]
    # wasm-objdump counts a custom section's items not at all, and the start section as none
    assert [(o, s) for o, s, _ in ours] == [(o, s) for o, s, _ in theirs]
    assert [c for _, _, c in ours if c is not None] == [c for _, _, c in theirs if c is not None]
    counts = {s["name"]: s.get("count") for s in report["sections"]}
    assert len(report["imports"]) == counts["import"]
    assert len(report["exports"]) == counts["export"]


def test_dylink_report_matches_wasm_objdump_for_every_wheel_library(wheel_libs):
    for name, path in sorted(wheel_libs.items()):
        report = wasmlink.inspect(path)
        if name.startswith("wasi_snapshot_preview1"):      # the WASI adapter: no dylink.0
            assert "dylink" not in report, name
            continue
        text = objdump("-x", "-j", "dylink.0", path)
        dylink = report["dylink"]
        assert dylink["memory_size"] == int(re.search(r"mem_size\s*: (\d+)", text)[1]), name
        assert dylink["memory_alignment"] == int(re.search(r"mem_p2align\s*: (\d+)", text)[1])
        assert dylink["table_size"] == int(re.search(r"table_size\s*: (\d+)", text)[1])
        needed = re.search(r"needed_dynlibs\[\d+\]:\n((?:  - .*\n)*)", text)
        assert dylink["needed"] == (re.findall(r"  - (.*)", needed[1]) if needed else []), name


def test_object_report_counts_relocations_like_wasm_objdump(libc_objects):
    for path in libc_objects[::40]:
        report = wasmlink.inspect(path)
        theirs = {}
        for section, count in re.findall(r"relocations for section: \d+ \((\w+)\) \[(\d+)\]",
                                         objdump("-x", path)):
            theirs[section] = theirs.get(section, 0) + int(count)
        ours = {{"CODE": "Code", "DATA": "Data"}.get(k, k): v
                for k, v in report.get("relocations", {}).items() if k in ("CODE", "DATA")}
        assert ours == {k: v for k, v in theirs.items() if k in ("Code", "Data")}, path.name


def test_object_report_lists_symbols_with_their_flags(hello_object):
    linking = wasmlink.inspect(hello_object)["linking"]
    by_name = {s["name"]: s for s in linking["symbols"]}
    assert by_name["printf"]["kind"] == "function"
    assert by_name["printf"]["flags"] == ["UNDEFINED"]
    assert "BINDING_LOCAL" in by_name["counter"]["flags"]
    assert linking["init_functions"] == [{"priority": 65535, "symbol": "init"}]
    assert linking["symbol_counts"]["total"] == len(linking["symbols"])


def test_archive_report_lists_members_like_llvm_ar():
    report = wasmlink.inspect(WASI_LIB / "libc++.a")
    listing = subprocess.run([LLVM_BIN / "llvm-ar", "t", WASI_LIB / "libc++.a"],
                             capture_output=True, text=True, check=True).stdout.split()
    assert [m["name"] for m in report["members"]] == listing
    assert report["symbol_count"] == sum(len(m["symbols"]) for m in report["members"])


def test_component_report_hashes_every_unit(python_component):
    report = wasmlink.inspect(python_component)
    data = python_component.read_bytes()
    assert report["sha256"] == hashlib.sha256(data).hexdigest()
    for unit in report["units"]:
        window = data[unit["offset"]:unit["offset"] + unit["size"]]
        assert unit["sha256"] == hashlib.sha256(window).hexdigest()
    assert report["units"][0]["size"] == len(data)
