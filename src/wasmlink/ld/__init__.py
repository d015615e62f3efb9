"""`wasmlink ld`: the static linker, a drop-in for wasm-ld (shared-everything static linking).

    wasmlink-ld [wasm-ld options] FILE...        # the console script clang can use as --ld-path
    wasmlink ld [wasm-ld options] FILE...
    wasmlink.link(["a.o", "libc.a"], "a.wasm", entry="_start", ...)

The passes are in link.py, in data-flow order: input_files (read) → symbol_table (resolve) →
mark_live (gc) → layout (segments, memory, indexes) → synthetic (linker-made code) → writer.
Diagnostics use wasm-ld's wording, prefixed with the name the linker was called by (as lld
does), so a `wasm-ld` symlink to wasmlink-ld reads exactly like wasm-ld.
"""
from __future__ import annotations

import os
import sys

from ..errors import WasmlinkError


def program_name(argv0: str | None) -> str:
    name = os.path.basename(argv0 or "wasmlink-ld")
    return name[:-4] if name.endswith(".exe") else name


def main(argv=None, prog: str | None = None) -> int:
    from .link import Context, run
    from .options import help_text, parse_args, version_line
    if argv is None:
        argv = sys.argv[1:]
        prog = prog or program_name(sys.argv[0])
    prog = prog or "wasmlink-ld"
    # like lld, print the version first, before anything on the line can fail
    if any(a in ("-v", "-V", "--version", "-version") for a in argv):
        print(version_line())
        sys.stdout.flush()
    try:
        options, inputs = parse_args(argv)
    except WasmlinkError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1
    for warning in options.warnings:
        print(f"{prog}: warning: {warning}", file=sys.stderr)
    if options.help:
        sys.stdout.write(help_text(prog) + "\n")
        return 0
    if options.exit_early:
        return 0
    if not inputs:
        print(f"{prog}: error: no input files", file=sys.stderr)
        return 1
    if options.verbose and options.ignored:
        print(f"{prog}: ignored (they only tune wasm-ld): {' '.join(options.ignored)}",
              file=sys.stderr)
    if options.output is None:
        options.output = "a.out"
    try:
        ctx = run(Context(options, inputs, prog=prog))
    except WasmlinkError as e:
        for line in str(e).splitlines() or [str(e)]:
            print(line if line.startswith(">>>") or line.startswith("too many errors")
                  else f"{prog}: error: {line}", file=sys.stderr)
        return 1
    if options.verbose:
        for name, seconds in ctx.timings:
            print(f"{prog}: {name:<20} {seconds * 1e3:8.2f} ms", file=sys.stderr)
    return 0


def console_main() -> None:
    # One link per process: the cycle collector would only rescan objects that live until
    # the end (see link.run), so the command line does without it.
    import gc
    gc.disable()
    status = main()
    # As lld does by default: once the output is in place, exit without tearing the link's
    # objects down one by one (that teardown costs a large link a fifth of its time).
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):        # a closed pipe: nothing more can be said
            pass
    os._exit(status)
