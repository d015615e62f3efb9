"""The `wasmlink` command line: one subcommand per job, each importing its code on demand.

Errors a user can cause are WasmlinkErrors: printed as one line, ``wasmlink: error: ...``, exit
status 1, no traceback. Anything else is a bug in wasmlink: one line naming it as an internal
error, exit status 70 (set WASMLINK_DEBUG=1 for the traceback).
"""
from __future__ import annotations

import os
import sys

from . import __version__
from .errors import WasmlinkError


def build_parser():
    import argparse
    parser = argparse.ArgumentParser(
        prog="wasmlink", description="A fast WebAssembly linking toolchain.")
    parser.add_argument("--version", action="version", version=f"wasmlink {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = commands.add_parser("inspect", help="show what is inside modules, components, objects "
                            "and archives", description="Show the sections, imports, exports, "
                            "linking symbols, relocations, dylink.0 info, nested modules and "
                            "archive members of each FILE.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print the report as JSON (see README)")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="list every import, export, symbol and member")
    p.set_defaults(run=run_inspect)

    commands.add_parser("ld", help="link objects and archives into a module (wasm-ld's options)",
                        add_help=False)

    component = commands.add_parser(
        "component", help="components: embed a WIT world, wrap a module, print a world",
        description="Work with components (the Component Model).")
    sub = component.add_subparsers(dest="component_command", metavar="COMMAND")
    p = sub.add_parser("embed", help="record a WIT world's type in a module or an object",
                       description="Add a WIT world's type to a core module as a "
                       "`component-type` custom section (the shape of `wasm-tools component "
                       "embed`), or write it as a module of its own, a dummy module "
                       "implementing the world, or a relocatable object for the linker.")
    p.add_argument("wit", metavar="WIT", help="a .wit file, or a directory with deps/")
    p.add_argument("module", metavar="MODULE", nargs="?", help="the core module to add it to")
    p.add_argument("-w", "--world", help="the world, when the package has several")
    p.add_argument("--encoding", default="utf8", choices=("utf8", "utf16", "compact-utf16"),
                   help="the string encoding the module uses (default utf8)")
    p.add_argument("--only-custom", action="store_true",
                   help="write a module holding only the custom section")
    p.add_argument("--dummy", action="store_true",
                   help="write a module with the world's imports and exports, bodies trapping")
    p.add_argument("--dummy-names", default="legacy", choices=("legacy", "standard"),
                   help="the core names of --dummy: legacy (wit-bindgen's) or standard (cm32p2)")
    p.add_argument("--object", metavar="OUT.o",
                   help="write a relocatable object carrying the section (for wasmlink ld)")
    p.add_argument("--features", default="", help="@unstable features to include (comma list)")
    p.add_argument("--all-features", action="store_true", help="include every @unstable item")
    p.add_argument("-o", "--output", metavar="OUT", help="the output module")
    p.set_defaults(run=run_component_embed)

    p = sub.add_parser("new", help="wrap a core module into a component",
                       description="Wrap a core module that implements a WIT world (recorded "
                       "in its component-type sections) into a component: imports lowered, "
                       "exports lifted, adapters instantiated alongside (the shape of "
                       "`wasm-tools component new`).")
    p.add_argument("module", metavar="MODULE")
    p.add_argument("--adapt", action="append", default=[], metavar="[NAME=]ADAPTER",
                   help="an adapter module satisfying the imports from module NAME (default: "
                   "the adapter's file name up to its first '.')")
    p.add_argument("--import-name", action="append", default=[], metavar="OLD=NEW",
                   help="rename an import of the component")
    p.add_argument("--realloc-via-memory-grow", action="store_true",
                   help="adapters may allocate with memory.grow when the module has no "
                   "cabi_realloc")
    p.add_argument("--skip-validation", action="store_true",
                   help="do not validate the component with Wasmtime")
    p.add_argument("-o", "--output", required=True, metavar="OUT")
    p.set_defaults(run=run_component_new)

    p = sub.add_parser("link", help="link dylink.0 libraries into one component",
                       description="Shared-everything dynamic linking: dylink.0 libraries (each "
                       "named by its file name unless NAME= says otherwise; the names the "
                       "libraries' `needed` lists use) become one component in which each stays "
                       "a separate core module, sharing one memory and table (the shape of "
                       "`wasm-tools component link`).")
    p.add_argument("libraries", nargs="+", metavar="[NAME=]LIB.so")
    p.add_argument("--dl-openable", action="append", default=[], metavar="[NAME=]LIB.so",
                   help="a library dlopen() can load by name")
    p.add_argument("--adapt", action="append", default=[], metavar="[NAME=]ADAPTER")
    p.add_argument("--stack-size", type=int, default=1 << 20, metavar="BYTES")
    p.add_argument("--stub-missing-functions", action="store_true",
                   help="functions no library defines become traps instead of errors")
    p.add_argument("--use-built-in-libdl", action="store_true",
                   help="provide libdl.so (dlopen/dlsym) built in")
    p.add_argument("--import-libraries", action="store_true",
                   help="import the libraries as core modules named by content hash "
                   "(integrity=<sha256-...>) instead of embedding them")
    p.add_argument("--skip-validation", action="store_true")
    p.add_argument("-o", "--output", required=True, metavar="OUT")
    p.set_defaults(run=run_component_link)

    p = sub.add_parser("wit", help="print the WIT world of a component or module",
                       description="Print, as WIT, the world a component implements (from its "
                       "imports and exports) or a core module was built against (from its "
                       "component-type sections).")
    p.add_argument("file", metavar="COMPONENT_OR_MODULE")
    p.set_defaults(run=run_component_wit)

    # registries: store, push / pull / resolve, dedup (each module adds its own subcommands)
    from .registry import cli_dedup, cli_store, cli_transfer
    for registry_commands in (cli_store, cli_transfer, cli_dedup):
        registry_commands.add_parsers(commands)

    p = commands.add_parser("demo", help="run the main job on the built-in example",
                            description="Inspect the bundled example: hello.o (a relocatable "
                            "object from clang-22) and hello.wasm (wasm-ld-22's link of it); "
                            "where wasi-libc is installed, also link hello.o with wasmlink ld "
                            "and compare.")
    p.set_defaults(run=run_demo)
    return parser


def run_inspect(args) -> int:
    from .report import FORMAT_VERSION, inspect_file, render_text
    reports = [inspect_file(path, file_hash=args.json) for path in args.files]
    if args.json:
        import json
        json.dump({"format": FORMAT_VERSION, "files": reports}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        limit = 0 if args.verbose else 10
        sys.stdout.write("\n\n".join(render_text(r, limit) for r in reports) + "\n")
    return 0


def run_component_embed(args) -> int:
    from .embed.embed import embed
    from .errors import UsageError
    output = args.object or args.output
    if output is None:
        raise UsageError("no output: give -o OUT (or --object OUT.o)")
    if args.object and args.output:
        raise UsageError("--object names the output: leave out -o")
    features = [f for f in args.features.split(",") if f]
    embed(args.wit, args.module, output=output, world=args.world, encoding=args.encoding,
          only_custom=args.only_custom, dummy=args.dummy, dummy_names=args.dummy_names,
          object_file=bool(args.object), features=features, all_features=args.all_features)
    return 0


def run_component_new(args) -> int:
    from .wrap.command import component_new
    component_new(args.module, args.output, adapters=args.adapt, import_names=args.import_name,
                  realloc_via_memory_grow=args.realloc_via_memory_grow,
                  validate=not args.skip_validation)
    return 0


def run_component_link(args) -> int:
    from .wrap.command import component_link
    component_link(args.libraries, args.output, dl_openable=args.dl_openable,
                   adapters=args.adapt, stack_size=args.stack_size,
                   stub_missing_functions=args.stub_missing_functions,
                   use_built_in_libdl=args.use_built_in_libdl,
                   import_libraries=args.import_libraries,
                   validate=not args.skip_validation)
    return 0


def run_component_wit(args) -> int:
    from .wrap.wit_of import wit_of
    sys.stdout.write(wit_of(args.file))
    return 0


def run_demo(args) -> int:
    from . import examples
    args.files = [str(examples.path("hello.o")), str(examples.path("hello.wasm"))]
    args.json = False
    args.verbose = 0
    status = run_inspect(args)
    if status == 0:
        link_demo(examples)
    return status


def link_demo(examples) -> None:
    """Where wasi-libc is installed, link the example's object the way clang-22 did for the
    bundled hello.wasm, and compare with wasm-ld-22's output."""
    import tempfile
    from pathlib import Path
    libdir = Path("/usr/lib/wasm32-wasi")
    if not (libdir / "libc.a").exists():
        print("\n(install wasi-libc to see `wasmlink ld` link the example as well)")
        return
    from .ld import main as ld_main
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "hello.wasm"          # the same name: it goes into the name section
        argv = ["-m", "wasm32", f"-L{libdir}", str(libdir / "crt1-command.o"),
                str(examples.path("hello.o")), "-lc", "--strip-debug", "-o", str(out)]
        builtins = sorted(Path("/usr/lib").glob("llvm-*/lib/clang/*/lib/wasi/"
                                                "libclang_rt.builtins-wasm32.a"))
        if builtins:
            argv.insert(-2, str(builtins[-1]))
        if ld_main(argv, prog="wasmlink ld") != 0:
            return
        ours = out.read_bytes()
    reference = examples.path("hello.wasm").read_bytes()
    verdict = "byte-identical to" if ours == reference else "different from"
    print(f"\nwasmlink ld linked hello.o with wasi-libc: {len(ours)} bytes, {verdict} the "
          f"bundled hello.wasm that wasm-ld-22 made")


def main(argv=None) -> int:
    args_list = sys.argv[1:] if argv is None else list(argv)
    if args_list and args_list[0] == "ld":          # wasm-ld's own syntax, not argparse's
        from .ld import main as ld_main
        return ld_main(args_list[1:], prog="wasmlink ld")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        if getattr(args, "command", None) == "component":
            parser.parse_args(["component", "--help"])
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except WasmlinkError as e:
        # one line, whatever the message (a list of unresolved symbols, say)
        text = " ".join(part.strip() for part in str(e).splitlines() if part.strip())
        print(f"wasmlink: error: {text}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as e:      # a bug: say so in one line
        if os.environ.get("WASMLINK_DEBUG"):
            raise
        print(f"wasmlink: internal error: {type(e).__name__}: {e} (set WASMLINK_DEBUG=1 for "
              f"the traceback, and please report it)", file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
