"""Throughput of `wasmlink dedup` over a ~1 GB corpus of real components, against `sha256sum`
of the same files in the same run; peak RSS; and what whole-unit dedup and content-defined
chunking save on it.

The corpus: the five Python app components of tests/support/python_apps.py (~18 MB each, the
same libpython, libc and adapter modules inside), then, until it passes --size, rounds of
variants and copies of them: a variant has one byte of its main module's data changed (so its
root and main module are new, its library modules shared), every third round is a byte-exact
copy (so whole files are shared too, which makes dedup sha256 them). Files live under
~/.cache/wasmlink-bench/dedup-corpus and are read once before timing (warm page cache).

    python3 bench/dedup.py [--runs 3] [--size 1000]      # size in MB

Whole-process figures (interpreter start-up included) are medians of interleaved runs; GB/s is
corpus bytes / wall time; peak RSS from GNU time (for --jobs 2 the largest single process of
the pool, not their sum). Goal: >= 1 GB/s on this 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
from pathlib import Path

from common import console_script, machine, process_times

CORPUS = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"), "wasmlink-bench",
              "dedup-corpus")


def main_module_data_offset(path: Path) -> int:
    """An offset inside the first nested module's last section (the data section of the app's
    main module): changing a byte there makes a variant of the app."""
    from wasmlink.binary.component import Component
    data = path.read_bytes()
    component = Component(data)
    main = component.modules()[0]
    last = component.sections(main.index)[-1]
    return last.payload + last.size // 2


def build_corpus(minimum_bytes: int) -> list[Path]:
    from support.python_apps import python_app_components
    apps = python_app_components()
    files: list[Path] = []
    total = 0
    round_ = 0
    while total < minimum_bytes:
        directory = CORPUS / f"round-{round_:02d}"
        directory.mkdir(parents=True, exist_ok=True)
        for app in apps:
            target = directory / app.name
            if not target.exists() or target.stat().st_size != app.stat().st_size:
                data = bytearray(app.read_bytes())
                if round_ % 3 != 0:                     # a variant; round 0, 3, ...: copies
                    offset = main_module_data_offset(app)
                    data[offset] = (data[offset] + round_) % 256
                tmp = target.with_suffix(".tmp")
                tmp.write_bytes(data)
                tmp.replace(target)
            files.append(target)
            total += target.stat().st_size
        round_ += 1
    return files


def warm(files: list[Path]) -> None:
    for path in files:
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass


def dedup_report(paths, *extra: str) -> dict:
    proc = subprocess.run([console_script("wasmlink"), "dedup", "--json", *extra,
                           *map(str, paths)], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def unique_pieces(files: list[Path]):
    """Each distinct unit's own bytes (its first occurrence's), as bytes, in order."""
    import hashlib
    from wasmlink.binary.files import MappedFile
    from wasmlink.registry.dedup_scan import own_pieces, scan_file
    seen_units: set = set()
    for path in files:
        summary = scan_file(str(path), 4096)
        with MappedFile(path) as mapped:
            data = mapped.data
            fresh = set()
            for row in range(summary.unit_count):
                s, n = summary.start[row], summary.length[row]
                key = hashlib.sha256(data[s:s + n]).digest()
                if key not in seen_units:
                    seen_units.add(key)
                    fresh.add(row)
            for row, start, size in own_pieces(summary):
                if row in fresh:
                    yield bytes(data[start:start + size])
            del data


def pyfastcdc_unique(files: list[Path], avg: int) -> int | None:
    """Distinct-chunk bytes pyfastcdc finds over the same unique bytes, as a cross-check of
    our chunker's figure; None when it is not installed."""
    try:
        import pyfastcdc
    except ImportError:
        return None
    import hashlib
    chunker = pyfastcdc.FastCDC(avg_size=avg, min_size=avg // 4, max_size=avg * 4)
    seen_chunks: dict = {}
    for piece in unique_pieces(files):
        for chunk in chunker.cut_buf(piece):
            seen_chunks[hashlib.sha256(chunk.data).digest()] = chunk.length
    return sum(seen_chunks.values())


def zstd_size(files: list[Path], level: int = 3) -> int:
    """The unique bytes compressed with zstd, each distinct unit's own bytes on their own."""
    import zstandard
    compressor = zstandard.ZstdCompressor(level=level)
    return sum(len(compressor.compress(piece)) for piece in unique_pieces(files))


def savings(label: str, files: list[Path]) -> None:
    doc = dedup_report(files, "--chunking")
    t, c = doc["totals"], doc["chunking"]
    print(f"{label}: {len(files)} files, total {t['bytes']:,}")
    print(f"  whole units: unique {t['unique']:,}, saved {t['saved']:,} "
          f"({t['saved'] / t['bytes']:.1%}); {t['units']} units, {t['distinct_units']} "
          f"distinct, {t['shared_units']} shared")
    print(f"  chunking {c['min_size']}/{c['avg_size']}/{c['max_size']} of the unique bytes: "
          f"unique {c['unique']:,}, saved {c['saved']:,} beyond whole units "
          f"({c['saved'] / c['bytes']:.1%}; {c['chunks']} chunks, {c['distinct_chunks']} "
          f"distinct)")
    other = pyfastcdc_unique(files, c["avg_size"])
    if other is not None:
        print(f"  pyfastcdc {c['avg_size']} on the same bytes: unique {other:,}, saved "
              f"{c['bytes'] - other:,} ({(c['bytes'] - other) / c['bytes']:.1%})")
    packed = zstd_size(files)
    print(f"  zstd -3 of the same bytes, per unit: {packed:,} "
          f"({1 - packed / c['bytes']:.1%} smaller)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", type=int, default=1000, help="corpus size in MB")
    args = parser.parse_args()
    files = build_corpus(args.size * 10**6)
    total = sum(p.stat().st_size for p in files)
    warm(files)
    wasmlink = console_script("wasmlink")
    commands = {
        "wasmlink dedup --jobs 1": [wasmlink, "dedup", "--json", "--jobs", "1", str(CORPUS)],
        "wasmlink dedup --jobs 2": [wasmlink, "dedup", "--json", "--jobs", "2", str(CORPUS)],
        "wasmlink dedup --jobs 2 --chunking": [wasmlink, "dedup", "--json", "--jobs", "2",
                                               "--chunking", str(CORPUS)],
        "sha256sum": ["sha256sum", *map(str, files)],
        "xxh3 (xxhsum -H3)": ["xxhsum", "-H3", *map(str, files)] if shutil.which("xxhsum")
        else None,
    }
    commands = {k: v for k, v in commands.items() if v is not None}
    times = process_times(commands, args.runs)
    print(f"# wasmlink dedup, {len(files)} files, {total / 1e9:.2f} GB; {machine()}; "
          f"medians of {args.runs}")
    for name, runs in times.items():
        wall = statistics.median(runs)
        print(f"{name:<36} {wall * 1000:8.0f} ms  {total / wall / 1e9:5.2f} GB/s  "
              f"peak RSS {process_times.peak_rss[name] / 2**20:5.0f} MiB")
    from support.python_apps import python_app_components
    savings("the five distinct apps", python_app_components())
    savings("the bench corpus (variants and copies)", files)

if __name__ == "__main__":
    main()
