"""What the benchmark scripts share: the real inputs, and timing of in-process calls and of
whole processes, measured the same way for wasmlink and for the reference tool in one run."""
from __future__ import annotations

import os
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


def process_times(commands: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """Wall time of each command, ``runs`` times, interleaved so that drift hits all alike."""
    times = {name: [] for name in commands}
    for name, cmd in commands.items():                     # warm the page cache and the disk
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    for _ in range(runs):
        for name, cmd in commands.items():
            t = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - t)
    return times


def console_script(name: str) -> str:
    path = Path(sys.executable).with_name(name)
    return str(path) if path.exists() else name


def machine() -> str:
    return f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
