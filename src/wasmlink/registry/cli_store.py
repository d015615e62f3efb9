"""`wasmlink store`: the local content-addressed store (store.py) from the command line.

    wasmlink store init DIR                   make DIR an empty OCI image layout
    wasmlink store add DIR FILE...            store files as blobs, print their digests
    wasmlink store tag DIR NAME DIGEST        name a manifest already in the store
    wasmlink store untag DIR NAME             forget a name (gc frees what it alone kept)
    wasmlink store ls DIR [--blobs]           names and their manifests (or every blob)
    wasmlink store cat DIR DIGEST|NAME -o OUT a blob (or a named manifest), verified
    wasmlink store gc DIR [--dry-run]         remove what no name reaches
    wasmlink store fsck DIR [--repair]        check everything; exit 1 while problems remain

Building manifests is `wasmlink push oci:DIR:NAME FILE`'s job (transfer.py); `add` only stores
bytes. `--json` prints the same data as JSON. Only argparse is imported here: the store code is
imported when a command runs.
"""
from __future__ import annotations

import sys

TEMP_GRACE = 600.0      # store.TEMP_GRACE, not imported: building the parser stays cheap


def add_parsers(commands) -> None:
    """Add this module's subcommands to the top-level commands subparsers."""
    store = commands.add_parser(
        "store", help="the local content-addressed store (an OCI image layout)",
        description="Keep blobs and manifests in a local OCI image layout directory (readable "
        "by skopeo, oras and crane as oci:DIR:NAME): content-addressed, verified on every "
        "read, safe for concurrent writers.")
    sub = store.add_subparsers(dest="store_command", metavar="COMMAND")
    store.set_defaults(run=lambda args: _help(store))

    p = sub.add_parser("init", help="create an empty store",
                       description="Make DIR (missing or empty) an empty OCI image layout.")
    p.add_argument("dir", metavar="DIR")
    p.set_defaults(run=run_init)

    p = sub.add_parser("add", help="store files as blobs and print their digests",
                       description="Store each FILE as a blob (named by its sha256) and print "
                       "its digest. Name a manifest with `store tag`, or let `wasmlink push "
                       "oci:DIR:NAME FILE` build one.")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("files", nargs="+", metavar="FILE")
    _json(p)
    p.set_defaults(run=run_add)

    p = sub.add_parser("tag", help="name a manifest that is in the store",
                       description="Record manifest DIGEST (a blob of the store) in index.json "
                       "under NAME: TAG, REPOSITORY:TAG or a wkg name ns:name@version (kept as "
                       "ns/name:version).")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("name", metavar="NAME")
    p.add_argument("digest", metavar="DIGEST")
    p.add_argument("--media-type", help="the manifest's media type (default: its mediaType "
                   "field)")
    p.set_defaults(run=run_tag)

    p = sub.add_parser("untag", help="forget a name",
                       description="Remove NAME from index.json (or, for @sha256:HEX, every "
                       "entry of that manifest); `store gc` then frees what only it reached.")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(run=run_untag)

    p = sub.add_parser("ls", help="list names (or blobs)",
                       description="List the names of index.json with their manifests' "
                       "digests, media types and sizes; --blobs lists every blob and its size.")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--blobs", action="store_true", help="list blobs instead of names")
    _json(p)
    p.set_defaults(run=run_ls)

    p = sub.add_parser("cat", help="write a blob or a named manifest out, verified",
                       description="Write blob DIGEST (or the manifest NAME names) to OUT, "
                       "checking its sha256 on the way; nothing is written if it does not "
                       "match.")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("what", metavar="DIGEST|NAME")
    p.add_argument("-o", "--output", default="-", metavar="OUT",
                   help="the output file (default: standard output, refused on a terminal)")
    p.set_defaults(run=run_cat)

    p = sub.add_parser("gc", help="remove what no name reaches",
                       description="Remove the blobs that no manifest of index.json reaches "
                       "(configs, layers, nested manifests, subjects) and old temp files.")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--dry-run", action="store_true", help="only say what would be removed")
    _temp_grace(p)
    _json(p)
    p.set_defaults(run=run_gc)

    p = sub.add_parser("fsck", help="check the store; exit 1 while problems remain",
                       description="Check oci-layout, index.json, every blob against its "
                       "digest, every descriptor's blob and size, and leftover temp files: "
                       "one line per problem, exit status 1 while any remains.")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--repair", action="store_true",
                   help="remove corrupt blobs, stray files and old temp files")
    _temp_grace(p)
    _json(p)
    p.set_defaults(run=run_fsck)


def run_init(args) -> int:
    import os
    from .store import LAYOUT_FILE, Store
    existed = os.path.exists(os.path.join(args.dir, LAYOUT_FILE))
    Store(args.dir, create=True)
    print(f"{args.dir}: {'already a store' if existed else 'created an empty store'}")
    return 0


def run_add(args) -> int:
    store = _open(args.dir)
    rows = []
    for path in args.files:
        digest = store.put_file(path)
        rows.append({"file": path, "digest": digest, "size": store.blob_size(digest)})
    if args.json:
        return _print_json(rows)
    for row in rows:
        print(row["digest"] if len(rows) == 1 else f"{row['digest']}  {row['file']}")
    return 0


def run_tag(args) -> int:
    import json
    from ..errors import UsageError
    from .references import canonical_name, parse_digest
    store = _open(args.dir)
    canonical_name(args.name)           # a bad name is refused before the blob is read
    digest = parse_digest(args.digest)
    media_type = args.media_type
    if media_type is None:
        try:
            media_type = json.loads(store.get_blob(digest)).get("mediaType")
        except (ValueError, AttributeError):
            media_type = None
        if not isinstance(media_type, str):
            raise UsageError(f"blob {digest} has no mediaType field: give --media-type")
    key = store.tag(args.name, digest, media_type, store.blob_size(digest))
    print(f"{key} {digest}")
    return 0


def run_untag(args) -> int:
    from .store import REF_NAME
    for descriptor in _open(args.dir).untag(args.name):
        name = (descriptor.get("annotations") or {}).get(REF_NAME, "(unnamed)")
        print(f"untagged {name} {descriptor['digest']}")
    return 0


def run_ls(args) -> int:
    store = _open(args.dir)
    if args.blobs:
        rows = [{"digest": d, "size": store.blob_size(d)} for d in store.blobs()]
        if args.json:
            return _print_json(rows)
        for row in rows:
            print(f"{row['digest']} {row['size']}")
        return 0
    from .store import REF_NAME
    rows = [{"name": (d.get("annotations") or {}).get(REF_NAME), "digest": d["digest"],
             "mediaType": d["mediaType"], "size": d["size"]} for d in store.manifests()]
    if args.json:
        return _print_json(rows)
    for row in rows:
        print(f"{row['name'] or '(unnamed)'} {row['digest']} {row['mediaType']} {row['size']}")
    return 0


def run_cat(args) -> int:
    from .references import parse_digest
    store = _open(args.dir)
    if args.what.startswith("sha256:"):     # a digest, even where it could read as REPO:TAG
        digest = parse_digest(args.what)
    else:
        digest = store.resolve(args.what)["digest"]
    store.get_blob_to(digest, args.output)
    return 0


def run_gc(args) -> int:
    store = _open(args.dir)
    report = store.gc(dry_run=args.dry_run, temp_grace=args.temp_grace)
    if args.json:
        return _print_json({"dryRun": report.dry_run, "bytesFreed": report.bytes_freed,
                            "blobs": [{"digest": d, "size": n} for d, n in report.blobs],
                            "tempFiles": [{"path": p, "size": n} for p, n in report.temp_files]})
    verb = "would remove" if args.dry_run else "removed"
    for digest, size in report.blobs:
        print(f"{verb} {digest} ({size} bytes)")
    for path, size in report.temp_files:
        print(f"{verb} temp file {path} ({size} bytes)")
    print(f"{'would free' if args.dry_run else 'freed'} {report.bytes_freed} bytes "
          f"({len(report.blobs)} blobs, {len(report.temp_files)} temp files)")
    return 0


def run_fsck(args) -> int:
    store = _open(args.dir)
    problems = store.fsck(repair=args.repair, temp_grace=args.temp_grace)
    remaining = [p for p in problems if not p.repaired]
    if args.json:
        _print_json({"ok": not remaining, "problems": [
            {"kind": p.kind, "path": p.path, "message": p.message, "repaired": p.repaired}
            for p in problems]})
    else:
        for problem in problems:
            print(problem)
    return 1 if remaining else 0


def _open(path):
    from .store import Store
    return Store(path, create=False)


def _json(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _temp_grace(parser) -> None:
    parser.add_argument("--temp-grace", type=float, default=TEMP_GRACE, metavar="SECONDS",
                        help=f"leave temp files younger than this (default {TEMP_GRACE:g}; "
                        f"they can only be a writer's on another host)")


def _print_json(data) -> int:
    import json
    json.dump(data, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


def _help(parser) -> int:
    parser.print_help()
    return 2
