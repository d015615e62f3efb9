"""Whole-process wall time and peak RSS of `wasmlink-ld` against wasm-ld-22, same arguments, same
run, on real links: a C hello world against wasi-libc, a C++ program against libc++, SQLite,
and whole-archive links of wasi-libc + libc++ + libc++abi (with and without debug info) as the
large, many-member case. Also reports whether the outputs are byte-identical.

    python3 bench/ld_link.py [--runs N] [--only NAME...]

Objects are compiled once by clang-22 into ~/.cache/wasmlink-bench/ld (SQLite takes ~15 s).
`--verbose` timings of one wasmlink run show where the time goes, per pass.
"""
import argparse
import hashlib
import os
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

from common import console_script, machine, process_times

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"), "wasmlink-bench", "ld")
CLANG = ["clang-22", "--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated"]
WASI = Path("/usr/lib/wasm32-wasi")
SQLITE = ROOT / ".deps" / "node_modules" / "better-sqlite3" / "deps" / "sqlite3"
REFERENCE = "/usr/bin/wasm-ld-22"

HELLO = '#include <stdio.h>\nint main(void) { printf("hello %d\\n", 42); return 0; }\n'
CXX = r'''#include <iostream>
#include <map>
#include <string>
#include <vector>
#include <algorithm>
static std::map<std::string, int> table = {{"one", 1}, {"two", 2}};
int main() {
  std::vector<int> v = {5, 3, 9, 1};
  std::sort(v.begin(), v.end());
  for (int x : v) std::cout << x << ' ';
  std::cout << table["two"] << std::endl;
}
'''
SQL_MAIN = r'''#include <stdio.h>
#include "sqlite3.h"
static int row(void *u, int n, char **v, char **c) { for (int i = 0; i < n; i++) printf("%s ", v[i]); printf("\n"); return 0; }
int main(void) {
  sqlite3 *db; sqlite3_open(":memory:", &db);
  sqlite3_exec(db, "create table t(a, b); insert into t values (1, 'x'), (2, 'y');"
                   "select count(*), sum(a) from t;", row, 0, 0);
  sqlite3_close(db); return 0;
}
'''


def compile_once(name: str, source: str, flags: list[str], cxx: bool = False) -> Path:
    key = hashlib.sha256((source + " ".join(flags) + str(cxx)).encode()).hexdigest()[:12]
    out = CACHE / f"{name}-{key}.o"
    if not out.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        src = CACHE / (f"{name}-{key}" + (".cpp" if cxx else ".c"))
        src.write_text(source)
        cc = ["clang++-22", *CLANG[1:], "-fno-exceptions"] if cxx else CLANG
        subprocess.run([*cc, *flags, "-c", str(src), "-o", str(out)], check=True)
    return out


def compile_file(name: str, path: Path, flags: list[str]) -> Path:
    key = hashlib.sha256((str(path.stat().st_size) + " ".join(flags)).encode()).hexdigest()[:12]
    out = CACHE / f"{name}-{key}.o"
    if not out.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([*CLANG, *flags, "-c", str(path), "-o", str(out)], check=True)
    return out


def clang_link_args(objects: list[Path], cxx: bool = False) -> list[str]:
    """The arguments clang-22 passes to its linker for these objects (its -### line)."""
    cc = ["clang++-22", *CLANG[1:], "-fno-exceptions"] if cxx else CLANG
    proc = subprocess.run([*cc, *map(str, objects), "-o", "OUT", "-###"], capture_output=True,
                          text=True, check=True)
    argv = shlex.split(proc.stderr.strip().splitlines()[-1])
    return argv[1:]


def cases(only):
    whole = ["--no-entry", "--export-all", "--allow-undefined", "--allow-multiple-definition",
             "--whole-archive", str(WASI / "libc.a"), str(WASI / "libc++.a"),
             str(WASI / "libc++abi.a")]
    table = {
        "hello": lambda: clang_link_args([compile_once("hello", HELLO, ["-O2"])]),
        "cxx": lambda: clang_link_args([compile_once("cxx", CXX, ["-O2"], cxx=True)], cxx=True),
        "sqlite": lambda: clang_link_args([
            compile_once("sqlmain", SQL_MAIN, ["-O2", f"-I{SQLITE}"]),
            compile_file("sqlite3", SQLITE / "sqlite3.c",
                         ["-O2", "-DSQLITE_OMIT_LOAD_EXTENSION", "-DSQLITE_THREADSAFE=0"])]),
        "whole-archive": lambda: whole,
        "whole-archive+sqlite-g": lambda: whole + ["--no-whole-archive", str(compile_file(
            "sqlite3g", SQLITE / "sqlite3.c",
            ["-O0", "-g", "-DSQLITE_OMIT_LOAD_EXTENSION", "-DSQLITE_THREADSAFE=0"]))],
    }
    for name, build in table.items():
        if only and name not in only:
            continue
        if "sqlite" in name and not (SQLITE / "sqlite3.c").exists():
            print(f"# {name}: skipped, {SQLITE} missing (npm install --prefix .deps better-sqlite3@12)")
            continue
        yield name, build()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    ours = console_script("wasmlink-ld")
    # byte-compile as `pip install` does (this machine sets PYTHONDONTWRITEBYTECODE)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    print(f"# wasmlink-ld vs {REFERENCE}; {machine()}; medians of {args.runs} interleaved runs")
    workdir = CACHE / "out"
    workdir.mkdir(parents=True, exist_ok=True)
    for name, link_args in cases(args.only):
        out_ref, out_ours = workdir / "a" / "out.wasm", workdir / "b" / "out.wasm"
        out_ref.parent.mkdir(exist_ok=True)
        out_ours.parent.mkdir(exist_ok=True)
        argv = [a for a in link_args if a != "OUT"]
        i = link_args.index("OUT") if "OUT" in link_args else None

        def command(tool, out):
            a = list(link_args)
            if i is None:
                a += ["-o", str(out)]
            else:
                a[i] = str(out)
            return [tool, *a]
        del argv
        commands = {"wasm-ld-22": command(REFERENCE, out_ref), "wasmlink-ld": command(ours, out_ours)}
        times = process_times(commands, args.runs)
        med = {k: statistics.median(v) for k, v in times.items()}
        rss = process_times.peak_rss
        size_ref, size_ours = out_ref.stat().st_size, out_ours.stat().st_size
        identical = out_ref.read_bytes() == out_ours.read_bytes()
        print(f"{name}: output {size_ours} bytes ({size_ours / size_ref - 1:+.3%} vs wasm-ld; "
              f"{'byte-identical' if identical else 'differs'}); wall {med['wasmlink-ld'] * 1e3:.1f} ms "
              f"vs {med['wasm-ld-22'] * 1e3:.1f} ms = {med['wasmlink-ld'] / med['wasm-ld-22']:.2f}x; "
              f"peak RSS {rss['wasmlink-ld'] / 2**20:.1f} MiB vs {rss['wasm-ld-22'] / 2**20:.1f} MiB "
              f"= {rss['wasmlink-ld'] / rss['wasm-ld-22']:.2f}x")
        verbose = subprocess.run(command(ours, out_ours) + ["--verbose"], capture_output=True, text=True)
        passes = [line.split(":", 1)[1].strip() for line in verbose.stderr.splitlines()
                  if line.endswith(" ms")]
        print("   passes: " + "; ".join(" ".join(p.split()) for p in passes))


if __name__ == "__main__":
    main()
