"""`wasmlink component new` against `jco new`, whole-process wall time and peak RSS, same run:
a WASI preview1 command (clang-22 + wasi-libc) made a WASI 0.2 command with jco's command
adapter, the module padded to 1 MB and 10 MB (a custom section the component carries as it is,
so the time is the cost of a module of that size going through).

    python3 bench/component_new.py [--runs N]

jco runs wasm-tools compiled to wasm on node; wasmlink's time should be its start-up plus copying
the module's bytes.
"""
import argparse
import statistics
import subprocess
import sys
from pathlib import Path

from common import console_script, machine, process_times

ROOT = Path(__file__).resolve().parent.parent
JCO = ROOT / ".deps" / "node_modules" / ".bin" / "jco"
ADAPTER = ROOT / ".deps" / "node_modules" / "@bytecodealliance" / "jco" / "lib" / \
    "wasi_snapshot_preview1.command.wasm"
HELLO = '#include <stdio.h>\nint main(void) { printf("hello\\n"); return 0; }\n'


def padded_module(work: Path, size: int) -> Path:
    sys.path.insert(0, str(ROOT / "src"))
    from wasmlink.embed.embed import custom_section
    src, base = work / "hello.c", work / "hello.wasm"
    if not base.exists():
        src.write_text(HELLO)
        subprocess.run(["clang-22", "--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated",
                        "-O2", str(src), "-o", str(base)], check=True)
    data = base.read_bytes()
    padding = bytes(range(256)) * ((size - len(data)) // 256 + 1)
    out = work / f"hello-{size >> 20}MB.wasm"
    out.write_bytes(data + custom_section("padding", padding[:size - len(data) - 16]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    work = Path.home() / ".cache" / "wasmlink-bench" / "component-new"
    work.mkdir(parents=True, exist_ok=True)
    ours = console_script("wasmlink")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    print(f"# wasmlink component new vs jco new; {machine()}; medians of {args.runs} runs")
    for size in (1 << 20, 10 << 20):
        module = padded_module(work, size)
        commands = {
            "jco new": [str(JCO), "new", str(module), "--wasi-command", "-o",
                        str(work / "jco.wasm")],
            "wasmlink": [ours, "component", "new", str(module), "--adapt",
                         f"wasi_snapshot_preview1={ADAPTER}", "-o", str(work / "ours.wasm")],
            "wasmlink --skip-validation": [ours, "component", "new", str(module), "--adapt",
                                           f"wasi_snapshot_preview1={ADAPTER}",
                                           "--skip-validation", "-o", str(work / "ours2.wasm")],
        }
        times = process_times(commands, args.runs)
        rss = process_times.peak_rss
        med = {k: statistics.median(v) for k, v in times.items()}
        base = med["jco new"]
        line = "; ".join(f"{k} {v * 1e3:.0f} ms ({v / base:.2f}x), {rss[k] / 2**20:.0f} MiB"
                         for k, v in med.items())
        print(f"{module.stat().st_size / 2**20:.1f} MB module: {line}")


if __name__ == "__main__":
    main()
