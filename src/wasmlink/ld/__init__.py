"""`wasmlink ld`: the static linker, a drop-in for wasm-ld (shared-everything static linking).

    wasmlink-ld [wasm-ld options] FILE...        # the console script clang can use as --ld-path
    wasmlink.link(["a.o", "libc.a"], "a.wasm", entry="_start", ...)

The passes are in link.py, in data-flow order: input_files (read) → symbol_table (resolve) →
mark_live (gc) → layout (segments, memory, indexes) → synthetic (linker-made code) → writer.
"""
from __future__ import annotations

import sys

from ..errors import WasmlinkError


def main(argv=None) -> int:
    from .options import parse_args
    from .link import Context, run
    argv = sys.argv[1:] if argv is None else argv
    try:
        options, inputs = parse_args(argv)
        if options.version_requested and not inputs:
            return 0
        if not inputs:
            print("wasmlink-ld: error: no input files", file=sys.stderr)
            return 1
        ctx = run(Context(options, inputs))
    except WasmlinkError as e:
        for line in str(e).splitlines() or [str(e)]:
            if line.startswith(">>>"):
                print(line, file=sys.stderr)
            else:
                print(f"wasmlink-ld: error: {line}", file=sys.stderr)
        return 1
    if options.verbose:
        for name, seconds in ctx.timings:
            print(f"wasmlink-ld: {name:<20} {seconds * 1e3:8.2f} ms", file=sys.stderr)
    return 0
