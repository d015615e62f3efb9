"""What the benchmark scripts share: the real inputs, and timing of in-process calls and of
whole processes, measured the same way for wasmlink and for the reference tool in one run."""
from __future__ import annotations

import os
import tempfile
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def wheel_libraries() -> dict[str, Path]:
    from support.wheel_libs import componentize_py_libraries
    return componentize_py_libraries()


def best_and_median(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def run_measured(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one run of ``cmd``, output discarded.

    The peak comes from GNU time (Debian's `time`): a child that Python forks or spawns would
    report the parent's high-water mark, which Linux carries across exec."""
    with tempfile.NamedTemporaryFile("r") as report:
        t = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *cmd],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        wall = time.perf_counter() - t
        return wall, int(report.read().split()[-1]) * 1024


def process_times(commands: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """Wall time of each command, ``runs`` times, interleaved so that drift hits all alike.
    The peak RSS of each (the largest seen) is in ``process_times.peak_rss[name]``."""
    times = {name: [] for name in commands}
    peak = {name: 0 for name in commands}
    for name, cmd in commands.items():                     # warm the page cache and the disk
        run_measured(cmd)
    for _ in range(runs):
        for name, cmd in commands.items():
            wall, rss = run_measured(cmd)
            times[name].append(wall)
            peak[name] = max(peak[name], rss)
    process_times.peak_rss = peak
    return times


def console_script(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    return str(path) if path.exists() else name


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
