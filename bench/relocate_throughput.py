"""Relocations applied per second by the native applier (ext/reloc.pyx copy_and_relocate).

Every measurement copies the chunks as the linker will (copy and patch in one pass):

- synthetic: one 16 MiB section of 65,536 chunks carrying 1,048,576 relocations, in one call:
  the hot loop's own speed, with types drawn uniformly from all 27 (the worst case for branch
  prediction), and with one type only (the best);
- sqlite3.o: SQLite's amalgamation (better-sqlite3's deps/sqlite3/sqlite3.c) compiled once by
  clang-22 -O2 -g (cached), each relocated section in one call with the compiler's values;
- libc.a: the code and data sections of every member of Debian's wasi-libc libc.a, one call
  per section: what a link pays per relocation including the per-call cost.

Goal (issue 3, item 7): well over 100M relocations/s in the loop; at least tens of millions.

    python3 bench/relocate_throughput.py
"""
import os
import random
import subprocess
import tempfile
from array import array
from pathlib import Path

from common import ROOT, best_and_median, machine

from wasmlink._native.reloc import RELOC_NAMES, RELOC_TYPES, copy_and_relocate
from wasmlink.binary.files import MappedFile
from wasmlink.binary.linking import section_contents
from wasmlink.binary.module import Module, unit_rows

LLVM_AR = "/usr/lib/llvm-22/bin/llvm-ar"
LIBC = Path("/usr/lib/wasm32-wasi/libc.a")
SQLITE = ROOT / ".deps" / "node_modules" / "better-sqlite3" / "deps" / "sqlite3" / "sqlite3.c"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"), "wasmlink-bench")


def synthetic(nrelocs=1 << 20, nchunks=1 << 16, nsyms=4096):
    rng = random.Random(1)
    per_chunk = nrelocs // nchunks
    chunk_size = per_chunk * 16                 # 16 bytes per relocation: room for any width
    size = chunk_size * nchunks
    inp = bytes(rng.getrandbits(8) for _ in range(4096)) * (size // 4096)
    types, offsets = array("B"), array("I")
    for c in range(nchunks):
        for k in range(per_chunk):
            types.append(rng.randrange(len(RELOC_NAMES)))
            offsets.append(c * chunk_size + 16 * k)
    args = dict(
        out=bytearray(size), inp=inp, section_start=0,
        chunk_start=array("I", range(0, size, chunk_size)),
        chunk_end=array("I", range(chunk_size, size + 1, chunk_size)),
        chunk_out=array("q", range(0, size, chunk_size)), chunk_address=array("q", [0]) * nchunks,
        reloc_type=types, reloc_offset=offsets,
        reloc_index=array("I", (rng.randrange(nsyms) for _ in range(nrelocs))),
        reloc_addend=array("q", (rng.randrange(64) for _ in range(nrelocs))),
        sym_value=array("Q", (rng.randrange(1 << 20) for _ in range(nsyms))),
        sym_table_index=array("I", (rng.randrange(1 << 12) for _ in range(nsyms))),
        sym_code_offset=array("Q", (rng.randrange(1 << 24) for _ in range(nsyms))),
        type_map=array("I", range(nsyms)), tls_base=0, memory_base=0, table_base=0,
        sym_state=array("B", [0]) * nsyms)
    return args, size


def section_calls(path: Path, ids=(0, 10, 11)):
    """One copy_and_relocate call per relocated section of the object at ``path`` (code: one
    chunk per function; data: one per segment; custom: the whole section), with the
    compiler's own values. Returns (calls, relocations, bytes copied, the MappedFile)."""
    from wasmlink._native.scan import scan_code
    f = MappedFile(path)
    m = Module(f.data, path=str(path))
    calls, total, copied = [], 0, 0
    link = m.linking()
    if link is None:
        return calls, total, copied, f
    n = len(link.symbols)
    rows = unit_rows(m.scan_result)
    for r in m.relocations():
        sid = m.sections[r.target].id
        if sid not in ids:
            continue
        start, size = section_contents(m.scan_result, rows[r.target])
        if sid == 10:
            starts = [e - start for e in scan_code(f.data, start, size)[0]]
            ends = starts[1:] + [size]
        elif sid == 11:
            starts = [s.data_offset - start for s in m.data_segments]
            ends = [s + seg.data_size for s, seg in zip(starts, m.data_segments)]
        else:
            starts, ends = [0], [size]
        calls.append(dict(
            out=bytearray(size), inp=f.data, section_start=start,
            chunk_start=array("I", starts), chunk_end=array("I", ends),
            chunk_out=array("q", starts), chunk_address=array("q", [0]) * len(starts),
            reloc_type=r.type, reloc_offset=r.offset, reloc_index=r.index,
            reloc_addend=r.addend, sym_value=array("Q", [1000]) * n,
            sym_table_index=array("I", [1]) * n, sym_code_offset=array("Q", [0]) * n,
            type_map=array("I", range(len(m.types))), tls_base=0, memory_base=0,
            table_base=0, sym_state=array("B", [0]) * n))
        total += len(r)
        copied += size
    return calls, total, copied, f


def sqlite_object() -> Path:
    out = CACHE / "sqlite3-O2-g.o"
    if not out.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        subprocess.run(["clang-22", "--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated",
                        "-O2", "-g", "-c", str(SQLITE), "-o", str(tmp)], check=True)
        tmp.replace(out)
    return out


def timed(calls):
    def run_all():
        for c in calls:
            copy_and_relocate(**c)
    return best_and_median(run_all, 15)


def main():
    print(f"# {machine()}")
    args, size = synthetic()
    n = copy_and_relocate(**args)
    best, median = best_and_median(lambda: copy_and_relocate(**args), 15)
    print(f"synthetic, uniform over all {len(RELOC_TYPES)} types: {n} relocations in {1 << 16} "
          f"chunks, {size / 2**20:.0f} MiB copied, one call: median {median * 1e3:.2f} ms -> "
          f"{n / median / 1e6:.0f}M relocs/s (best {n / best / 1e6:.0f}M)")
    args["reloc_type"] = array("B", [RELOC_NAMES.index("R_WASM_FUNCTION_INDEX_LEB")]) * n
    best, median = best_and_median(lambda: copy_and_relocate(**args), 15)
    print(f"synthetic, all R_WASM_FUNCTION_INDEX_LEB: median {median * 1e3:.2f} ms -> "
          f"{n / median / 1e6:.0f}M relocs/s (best {n / best / 1e6:.0f}M)")
    args["chunk_out"] = array("q", [-1]) * len(args["chunk_out"])
    best, median = best_and_median(lambda: copy_and_relocate(**args), 15)
    print(f"synthetic, every chunk dropped (the walk and checks only): median "
          f"{median * 1e3:.2f} ms")

    calls, total, copied, f = section_calls(sqlite_object())
    for c, label in ((calls, "all sections"),
                     ([c for c in calls if len(c["chunk_start"]) > 1], "code and data")):
        count = sum(len(k["reloc_type"]) for k in c)
        best, median = timed(c)
        print(f"sqlite3.o ({label}): {count} relocations in {len(c)} sections, "
              f"{sum(len(k['out']) for k in c) / 2**20:.1f} MiB copied: median "
              f"{median * 1e3:.3f} ms -> {count / median / 1e6:.0f}M relocs/s "
              f"(best {count / best / 1e6:.0f}M)")
    f.close()

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([LLVM_AR, "x", str(LIBC)], cwd=tmp, check=True)
        calls, total, copied, files = [], 0, 0, []
        for path in sorted(Path(tmp).glob("*.o")):
            c, t, b, f = section_calls(path, ids=(10, 11))
            calls += c
            total += t
            copied += b
            files.append(f)
        best, median = timed(calls)
        print(f"libc.a: {total} relocations in {len(calls)} code/data sections of "
              f"{len(files)} members, {copied / 2**20:.1f} MiB copied: median "
              f"{median * 1e3:.2f} ms -> {total / median / 1e6:.1f}M relocs/s "
              f"(best {total / best / 1e6:.1f}M), {median / len(calls) * 1e6:.2f} us per call")
        for f in files:
            f.close()


if __name__ == "__main__":
    main()
