"""Section scan + function boundaries of libpython3.14.so (9.4 MB), and `wasmlink inspect`.

Prints: in-process throughput of the native scan (goal >= 2 GB/s); the pure-Python `wasm-tools`
package parsing the same file (the Python peer); whole-process `wasmlink inspect` against
`wasm-objdump -h` measured in the same run (goal: within 2x).

    python3 bench/scan_and_inspect.py [--runs N]
"""
import argparse
import statistics
import subprocess
from pathlib import Path
import sys

from common import best_and_median, console_script, machine, process_times, wheel_libraries

from wasmlink._native.scan import scan, scan_code
from wasmlink.binary.files import MappedFile


def scan_all(data):
    r = scan(data)
    for i in range(r.section_count):
        if r.section_id[i] == 10 and r.unit_kind[r.section_unit[i]] == 0:
            scan_code(data, r.section_payload[i], r.section_size[i])
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    args = ap.parse_args()
    path = wheel_libraries()["libpython3.14.so"]
    size = path.stat().st_size
    print(f"# {path.name}: {size} bytes; {machine()}")

    with MappedFile(path) as f:
        data = f.data
        scan_all(data)
        best, median = best_and_median(lambda: scan_all(data), 200)
        r = scan(data)
        code = list(r.section_id).index(10)
        functions = len(scan_code(data, r.section_payload[code], r.section_size[code])[2])
    print(f"native scan + {functions} function boundaries: best {best * 1e3:.3f} ms, median "
          f"{median * 1e3:.3f} ms -> {size / median / 1e9:.1f} GB/s (median), "
          f"{size / best / 1e9:.1f} GB/s (best)")

    try:
        import wasm_tools
        raw = path.read_bytes()
        peer_best, peer_median = best_and_median(
            lambda: wasm_tools.parse_wasm_bytes(raw, include_strings=False,
                                                include_call_graph=False), 3)
        print(f"wasm-tools (pure Python) parse_wasm_bytes: median {peer_median:.3f} s -> "
              f"{size / peer_median / 1e6:.1f} MB/s; wasmlink's scan is "
              f"{peer_median / median:.0f}x faster (it decodes more: every section's items)")
    except ImportError:
        print("wasm-tools (PyPI) not installed: peer comparison skipped")

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(__file__).resolve().parent.parent / "src")], check=True)   # as pip install does
    commands = {
        "wasm-objdump -h": ["wasm-objdump", "-h", str(path)],
        "wasmlink inspect": [console_script("wasmlink"), "inspect", str(path)],
        "python3 -c pass": [sys.executable, "-c", "pass"],
        "python3 -S -c pass": [sys.executable, "-S", "-c", "pass"],
    }
    times = process_times(commands, args.runs)
    med = {k: statistics.median(v) for k, v in times.items()}
    for name, t in med.items():
        print(f"whole process, {name}: median {t * 1e3:.1f} ms (best {min(times[name]) * 1e3:.1f}), "
              f"peak RSS {process_times.peak_rss[name] / 2**20:.1f} MiB")
    ratio = med["wasmlink inspect"] / med["wasm-objdump -h"]
    own = med["wasmlink inspect"] - med["python3 -c pass"]
    print(f"ratio wasmlink inspect / wasm-objdump -h: {ratio:.2f}x (goal <= 2x); the "
          f"interpreter's own start-up here is {med['python3 -c pass'] * 1e3:.1f} ms "
          f"({med['python3 -S -c pass'] * 1e3:.1f} ms without site), so wasmlink's own part is "
          f"{own * 1e3:.1f} ms = {own / med['wasm-objdump -h']:.2f}x wasm-objdump's whole run")


if __name__ == "__main__":
    main()
