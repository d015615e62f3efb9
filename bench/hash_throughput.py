"""xxh3 over a 100+ MB set of files through mmap, against xxhash on one in-memory buffer.

Whole files are also hashed by wasmlink's chunked-read path (hashing.file_digests), which
does not pay for mapping pages. The corpus is the componentize-py wheel's libraries copied until it passes 100 MB (separate
files, so separate page-cache pages), warmed before timing. Goal: wasmlink's mmap path within
80% of xxhash's in-memory speed (ratio >= 0.8). sha256 is shown for scale.

    python3 bench/hash_throughput.py
"""
import os
import shutil
from pathlib import Path

import xxhash

from common import best_and_median, machine, wheel_libraries

from wasmlink._native import hashing
from wasmlink.binary.files import MappedFile

CORPUS = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"), "wasmlink-bench", "hash-corpus")


def build_corpus(minimum: int = 100 * 2**20) -> list[Path]:
    CORPUS.mkdir(parents=True, exist_ok=True)
    libs = sorted(wheel_libraries().values())
    files, total, copy = [], 0, 0
    while total < minimum:
        for lib in libs:
            target = CORPUS / f"{copy:02d}-{lib.name}"
            if not target.exists() or target.stat().st_size != lib.stat().st_size:
                shutil.copyfile(lib, target)
            files.append(target)
            total += target.stat().st_size
        copy += 1
    return files


def hash_files(files):
    out = 0
    for path in files:
        with MappedFile(path) as f:
            out ^= hashing.xxh3_64(f.data)
    return out


def main():
    files = build_corpus()
    total = sum(p.stat().st_size for p in files)
    print(f"# {len(files)} files, {total / 2**20:.1f} MiB; {machine()}")
    buffer = b"".join(p.read_bytes() for p in files)     # also warms the page cache
    mem_best, mem_median = best_and_median(lambda: xxhash.xxh3_64_intdigest(buffer), 7)
    mm_best, mm_median = best_and_median(lambda: hash_files(files), 7)
    rd_best, rd_median = best_and_median(
        lambda: [hashing.file_digests(str(p)) for p in files], 7)
    sha_best, _ = best_and_median(lambda: hashing.sha256(buffer), 2)
    print(f"xxhash.xxh3_64 on one in-memory buffer: {total / mem_median / 1e9:.2f} GB/s (median)")
    print(f"wasmlink xxh3_64 through mmap, file by file: {total / mm_median / 1e9:.2f} GB/s (median)")
    print(f"ratio mmap / in-memory: {mem_median / mm_median:.2f} (goal >= 0.80)")
    print(f"wasmlink file_digests (chunked reads into one reused buffer): "
          f"{total / rd_median / 1e9:.2f} GB/s, ratio {mem_median / rd_median:.2f}")
    print(f"sha256 (hashlib) for scale: {total / sha_best / 1e9:.2f} GB/s")


if __name__ == "__main__":
    main()
