"""`push --dedup` of the Python app corpus (tests/support/python_apps.py: five componentize-py
components of ~18 MB sharing ~7 MB of modules) against plain one-layer pushes of the same files,
each into a fresh real registry (Debian's docker-registry on loopback): bytes sent, blobs
uploaded (counted by the registry's access log), wall time of the pushes and of pulling all back.

    python3 bench/push_dedup.py [--runs N]
"""
import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import machine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def uploads(registry) -> int:
    text = registry.log_path.read_text(errors="replace")
    return len(re.findall(r'"PUT /v2/[^ ]+/blobs/uploads/[^"]*" 201', text))


def one_run(apps, dedup: bool):
    from support.oci_registry import start_registry
    from wasmlink.registry.transfer import pull, push
    with tempfile.TemporaryDirectory() as tmp:
        registry = start_registry(Path(tmp))
        try:
            t = time.perf_counter()
            sent = sum(push(p, f"{registry.host}/apps/{p.stem.split('-')[0]}:1",
                            dedup=dedup).bytes_sent for p in apps)
            push_time = time.perf_counter() - t
            t = time.perf_counter()
            for p in apps:
                out = Path(tmp) / "out.wasm"
                pull(f"{registry.host}/apps/{p.stem.split('-')[0]}:1", out)
                assert out.read_bytes() == p.read_bytes()
            pull_time = time.perf_counter() - t
            return sent, uploads(registry), push_time, pull_time
        finally:
            registry.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from support.python_apps import python_app_components
    apps = python_app_components()
    total = sum(p.stat().st_size for p in apps)
    print(f"# push of {len(apps)} Python app components ({total / 1e6:.1f} MB) to a fresh "
          f"docker-registry on loopback; {machine()}; medians of {args.runs}")
    rows = {}
    for _ in range(args.runs):
        for dedup in (False, True):
            rows.setdefault(dedup, []).append(one_run(apps, dedup))
    plain = rows[False]
    for dedup, label in ((False, "plain (one layer)"), (True, "--dedup")):
        runs = rows[dedup]
        sent, blobs = runs[0][0], runs[0][1]
        push_t = statistics.median(r[2] for r in runs)
        pull_t = statistics.median(r[3] for r in runs)
        print(f"{label}: {sent / 1e6:.1f} MB sent ({sent / plain[0][0]:.2f}x), {blobs} blob "
              f"uploads, push {push_t:.2f} s ({push_t / statistics.median(r[2] for r in plain):.2f}x),"
              f" pull {pull_t:.2f} s")


if __name__ == "__main__":
    main()
