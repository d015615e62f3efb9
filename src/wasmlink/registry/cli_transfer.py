"""Command-line parsers of `wasmlink push`, `pull` and `resolve` (see cli.py); the work is in
transfer.py and resolve.py, imported when a command runs."""
from __future__ import annotations

import sys

REFERENCE_HELP = ("an OCI reference (localhost:5000/ns/name:tag, ...@sha256:HEX) or a local "
                  "store reference oci:PATH:REFERENCE (REFERENCE a tag, REPOSITORY:TAG or "
                  "ns:name@version)")


def add_parsers(commands) -> None:
    p = commands.add_parser("push", help="push a module or component as an OCI Wasm artifact",
                            description="Push FILE to REF as an OCI Wasm artifact (CNCF layout: "
                            "a wasm config and one application/wasm layer). With --dedup, a "
                            "component's large nested core modules go in layers of their own, "
                            "imported by content hash from the root layer; layers the target "
                            "has already are not sent again.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("reference", metavar="REF", help=REFERENCE_HELP)
    p.add_argument("--dedup", action="store_true",
                   help="one layer per distinct nested core module of at least --min-size bytes")
    p.add_argument("--min-size", type=int, default=None, metavar="BYTES",
                   help="the smallest child given a layer of its own (default 65536)")
    p.add_argument("--mount-from", action="append", default=[], metavar="REPOSITORY",
                   help="a repository of the same registry to mount missing blobs from")
    p.add_argument("--json", action="store_true", help="print what was sent as JSON")
    _client_options(p)
    p.set_defaults(run=run_push)

    p = commands.add_parser("pull", help="pull an OCI Wasm artifact into a file",
                            description="Pull REF into OUT. A --dedup artifact is reassembled "
                            "into the exact bytes pushed (checked by sha256 of the whole).")
    p.add_argument("reference", metavar="REF", help=REFERENCE_HELP)
    p.add_argument("-o", "--output", required=True, metavar="OUT")
    p.add_argument("--keep-imports", action="store_true",
                   help="write the root as it is (children imported by hash), for a runtime "
                   "that supplies modules")
    p.add_argument("--modules-dir", metavar="DIR",
                   help="with --keep-imports: also write the children there, named by digest")
    _client_options(p)
    p.set_defaults(run=run_pull)

    p = commands.add_parser("resolve", help="inline a component's hash- and name-imported "
                            "children", description="Replace each child COMPONENT imports by "
                            "content hash (integrity=<sha256-...>) or by package name "
                            "(locked-dep=<ns:name@version>) with its content, fetched from "
                            "the sources and checked against its hash.")
    p.add_argument("component", metavar="COMPONENT")
    p.add_argument("--from", dest="sources", action="append", required=True,
                   metavar="STORE_OR_REPOSITORY",
                   help="a store (oci:PATH, or a directory) or a registry repository "
                   "(localhost:5000/ns/name); searched in the order given")
    p.add_argument("--allow-unresolved", action="store_true",
                   help="leave imports no source has (default: an error)")
    p.add_argument("-o", "--output", required=True, metavar="OUT")
    _client_options(p)
    p.set_defaults(run=run_resolve)


def _client_options(p) -> None:
    p.add_argument("--user", help="registry user name (also WASMLINK_REGISTRY_USER, or "
                   "~/.docker/config.json)")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the registry password from standard input")
    p.add_argument("--insecure", action="store_true",
                   help="allow plain http to a registry that is not on loopback")


def _options(args) -> dict:
    options = {"insecure": args.insecure}
    if args.user:
        options["user"] = args.user
    if args.password_stdin:
        options["password"] = sys.stdin.readline().rstrip("\r\n")
    return options


def run_push(args) -> int:
    from .transfer import push
    result = push(args.file, args.reference, dedup=args.dedup, min_size=args.min_size,
                  mount_from=args.mount_from, **_options(args))
    if args.json:
        import json
        print(json.dumps(result.to_json(), indent=1, sort_keys=True))
    else:
        print(f"pushed {result.reference} ({result.digest}): {result.layers} layer(s), "
              f"{len(result.uploaded)} blob(s) sent ({result.bytes_sent} bytes), "
              f"{len(result.skipped)} already there, {len(result.mounted)} mounted")
    return 0


def run_pull(args) -> int:
    from ..errors import UsageError
    from .transfer import pull
    if args.modules_dir and not args.keep_imports:
        raise UsageError("--modules-dir goes with --keep-imports")
    result = pull(args.reference, args.output, keep_imports=args.keep_imports,
                  modules_dir=args.modules_dir, **_options(args))
    print(f"pulled {result.reference} ({result.digest}) into {result.output}: "
          f"{result.size} bytes" + (", reassembled from its layers" if result.dedup and
                                    not args.keep_imports else ""))
    return 0


def run_resolve(args) -> int:
    from .resolve import resolve_component
    result = resolve_component(args.component, args.sources, args.output,
                               strict=not args.allow_unresolved, **_options(args))
    print(f"resolved {args.component}: {len(result.inlined)} import(s) inlined, "
          f"{len(result.left)} left; {result.output}: {result.size} bytes")
    return 0
