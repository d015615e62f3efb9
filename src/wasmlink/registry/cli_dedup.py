"""``wasmlink dedup``: what many .wasm files share, and a store keeping each distinct unit once.

The figures are defined in dedup.py; the store layout in dedup_store.py. Text output is a
summary for people; ``--json`` is the stable report (format 1, see README). A file that fails
to scan is named on standard error and in the report, the others are still reported (and
stored), and the exit status is 1.
"""
from __future__ import annotations

import sys


def add_parsers(commands) -> None:
    """Add this module's subcommands to the top-level commands subparsers."""
    from .dedup import DEFAULT_MIN_SIZE
    p = commands.add_parser(
        "dedup", help="find the modules and components many .wasm files share",
        description="Scan .wasm files (directories recursively): find identical nested core "
        "modules and components (xxh3, confirmed by sha256), report the bytes total, unique "
        "and saved per file and overall, and optionally write a deduplicated store.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="a .wasm file or a directory")
    p.add_argument("--into", metavar="STORE",
                   help="write each distinct unit once, and a recipe per file, into this store "
                   "(an OCI image layout directory; created if missing)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="scan in N processes (default 1)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="scan on the Dask cluster of this scheduler (tcp://host:port)")
    p.add_argument("--min-size", type=int, default=DEFAULT_MIN_SIZE, metavar="BYTES",
                   help=f"nested units smaller than this stay part of the unit around them "
                   f"(default {DEFAULT_MIN_SIZE})")
    p.add_argument("--chunking", action="store_true",
                   help="also measure what content-defined chunking (FastCDC, ~8 KiB) of the "
                   "unique bytes would save beyond whole-unit dedup")
    p.add_argument("--top", type=int, default=10, metavar="N",
                   help="shared units listed in the text report (default 10)")
    p.set_defaults(run=run_dedup)


def run_dedup(args) -> int:
    from .dedup import dedup_inputs, find_inputs
    from .progress import Progress
    inputs = find_inputs(args.paths)
    progress = Progress()
    try:
        report = dedup_inputs(inputs, jobs=args.jobs, scheduler=args.scheduler, into=args.into,
                       min_size=args.min_size, chunking=args.chunking, progress=progress)
    finally:
        progress.close()
    for failed in report.errors:
        sys.stderr.write(f"wasmlink: error: {failed.path}: {failed.error}\n")
    if args.json:
        import json
        json.dump(report.to_json(), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(report, args.top))
    return 1 if report.errors else 0


def render_text(report, top: int = 10) -> str:
    from .progress import human_bytes

    def amount(n: int) -> str:
        return f"{n:,} bytes ({human_bytes(n)})"

    total = report.total
    share = f" ({report.saved / total:.1%})" if total else ""
    lines = [f"files:  {len(report.files) - len(report.errors)}"
             + (f" ({len(report.errors)} failed)" if report.errors else ""),
             f"units:  {report.units} ({report.distinct_units} distinct, "
             f"{len(report.groups)} shared; nested units under {report.min_size:,} bytes "
             f"counted with their parent)",
             f"total:  {amount(total)}",
             f"unique: {amount(report.unique)}",
             f"saved:  {amount(report.saved)}{share}"]
    if report.chunking:
        c = report.chunking
        lines.append(f"chunking ({c.min_size}/{c.avg_size}/{c.max_size}): {c.chunks} chunks, "
                     f"{c.distinct_chunks} distinct; unique {amount(c.unique)}, saved "
                     f"{amount(c.saved)} beyond whole units")
    lines += ["", f"{'size':>12} {'unique':>12} {'saved':>12} {'shared':>12}  path"]
    for f in report.files:
        if f.error is None:
            lines.append(f"{f.size:>12,} {f.unique:>12,} {f.saved:>12,} {f.shared:>12,}  "
                         f"{f.path}")
        else:
            lines.append(f"{'-':>12} {'-':>12} {'-':>12} {'-':>12}  {f.path}: {f.error}")
    if report.groups and top > 0:
        lines += ["", f"{'saved':>12} {'count':>5} {'size':>12}  kind       sha256"]
        for g in report.groups[:top]:
            lines.append(f"{g.saved:>12,} {g.count:>5} {g.size:>12,}  {g.kind:<10} {g.sha256}")
        if len(report.groups) > top:
            lines.append(f"... and {len(report.groups) - top} more shared units (--json lists "
                         f"them all)")
    return "\n".join(lines) + "\n"
