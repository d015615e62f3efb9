"""``wasmlink dedup --into STORE``: the scanned files written into a store (store.py, an OCI
image layout) with each distinct unit once, and ``restore``, their exact reconstruction.

What is written, for the units of dedup.py (files, and nested modules and components of at
least ``min_size`` bytes), each distinct content once:

    a unit with no nested unit      its bytes as they are, a blob named by their sha256
                                    (media type application/wasm: a module's blob is the same
                                    blob an OCI Wasm artifact of that module has as its layer)
    a unit with nested units        a *recipe* blob (RECIPE_MEDIA_TYPE, JSON) and a *literals*
                                    blob (LITERALS_MEDIA_TYPE): the unit's own bytes, i.e. every
                                    byte outside its nested units, concatenated in order

A recipe lists the unit's bytes in order, as parts:

    {"mediaType": RECIPE_MEDIA_TYPE, "kind": "component", "size": 18413777,
     "literals": {"digest": "sha256:...", "size": 201117},
     "parts": [["literal", 0, 9962],                 # offset in the literals blob, size
               ["blob", "sha256:...", 11179015],     # a childless unit's blob
               ["recipe", "sha256:...", 1889],       # a nested unit with units of its own
               ...]}

(for a file with no nested unit the recipe is one part, ``["blob", digest, size]``, and has no
literals). Every digest is checked when read, so a recipe's digest vouches for the whole tree.

Per input file, one OCI image manifest: its config is the file's recipe, its layers every blob
the recipe reaches (in first-use order), so the store's gc and fsck keep and check them like
any artifact's. It is tagged ``dedup:<name>``, where name is the file's path relative to the
directory argument it was found in (a file argument: its base name), made a valid tag: every
character other than ``[A-Za-z0-9._-]`` becomes ``_``, and when that changed anything, or the
name is longer than 128 characters, the first 115 characters are kept and ``-`` and 12 hex
digits of the sha256 of the name are appended, so that different names stay different tags.
The exact name is the annotation org.opencontainers.image.title of manifest and tag.

Determinism: blobs are named by content, JSON is written with sorted keys and no whitespace, and
the store sorts index.json by name, so the same inputs give a byte-identical store.
"""
from __future__ import annotations

import hashlib
import json
import os
import re

from ..errors import UsageError, WasmlinkError

RECIPE_MEDIA_TYPE = "application/vnd.wasmlink.dedup.recipe.v1+json"
LITERALS_MEDIA_TYPE = "application/vnd.wasmlink.dedup.literals.v1"
WASM_MEDIA_TYPE = "application/wasm"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
TITLE = "org.opencontainers.image.title"
REPOSITORY = "dedup"
_TAG_CHARS = re.compile(r"[^A-Za-z0-9._-]")


def tag_for(name: str) -> str:
    """The tag of a file's recipe (see the module docstring)."""
    tag = _TAG_CHARS.sub("_", name)
    if tag[:1] in (".", "-"):
        tag = "_" + tag[1:]
    if tag != name or len(tag) > 128:
        tag = f"{tag[:115]}-{hashlib.sha256(name.encode()).hexdigest()[:12]}"
    return tag


def check_names(inputs) -> None:
    """UsageError if two inputs would get the same tag (same name from two directories)."""
    seen: dict[str, str] = {}
    for item in inputs:
        tag = tag_for(item.name)
        if tag in seen:
            raise UsageError(f"{item.path} and {seen[tag]} would both be stored as "
                             f"{REPOSITORY}:{tag}: give them as one directory argument")
        seen[tag] = item.path


def _json(doc) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def _open_store(into):
    from .store import Store
    return into if isinstance(into, Store) else Store(into)


def write_store(into, inputs, batches, known, min_size: int):
    """Write every input that scanned into store ``into`` (a path or a Store); returns the
    Store. ``batches`` and ``known`` are dedup.run's summaries and digests."""
    from .dedup import Corpus
    store = _open_store(into)
    corpus = Corpus(batches)
    cid, ident = corpus.content_ids(known)
    written: dict[int, tuple[str, str, int]] = {}       # content -> (part kind, digest, size)
    reaches: dict[int, list] = {}                       # content -> descriptors it needs
    tags = []
    with store.writing():
        for f, summary in enumerate(corpus.summaries):
            if summary.error is not None:
                continue
            base = corpus.first_row[f]
            _write_file(store, summary, base, cid, ident, written, reaches)
            c = cid[base]
            kind, digest, size = written[c]
            if kind == "recipe":
                config = reaches[c][0]                  # the recipe's own descriptor
                layers = reaches[c][1:]
            else:
                recipe = _json({"mediaType": RECIPE_MEDIA_TYPE, "kind": summary.file_kind,
                                "size": size, "parts": [["blob", digest, size]]})
                config = {"mediaType": RECIPE_MEDIA_TYPE, "digest": store.put_bytes(recipe),
                          "size": len(recipe)}
                layers = reaches[c]
            name = inputs[f].name
            manifest = _json({"schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE,
                              "config": config, "layers": layers,
                              "annotations": {TITLE: name}})
            tags.append((f"{REPOSITORY}:{tag_for(name)}", store.put_bytes(manifest),
                         MANIFEST_MEDIA_TYPE, len(manifest), {TITLE: name}))
        store.tag_many(tags)             # one index.json rewrite for the whole corpus
    return store


def _write_file(store, summary, base, cid, ident, written, reaches) -> None:
    from .._native import hashing
    from ..binary.files import MappedFile
    with MappedFile(summary.path) as mapped:
        st = os.stat(mapped.path)
        if (len(mapped), st.st_mtime_ns) != (summary.size, summary.mtime_ns):
            raise WasmlinkError("changed while dedup was reading it", path=summary.path)
        data = mapped.data
        children: list[list[int]] = [[] for _ in range(summary.unit_count)]
        for row in range(1, summary.unit_count):
            children[summary.parent[row]].append(row)
        for row in reversed(range(summary.unit_count)):         # nested units first
            g = base + row
            c = cid[g]
            if c in written:
                continue
            start, size = summary.start[row], summary.length[row]
            if not children[row]:
                digest = "sha256:" + (ident[g] if g in ident else
                                      hashing.sha256(data, start, size)).hex()
                store.put_blob(digest, data[start:start + size])
                written[c] = ("blob", digest, size)
                reaches[c] = [{"mediaType": WASM_MEDIA_TYPE, "digest": digest, "size": size}]
                continue
            literals = bytearray()
            parts = []
            needs: list = []
            pos = start
            for child in children[row]:
                child_start = summary.start[child]
                if child_start > pos:
                    parts.append(["literal", len(literals), child_start - pos])
                    literals += data[pos:child_start]
                part = written[cid[base + child]]
                parts.append(list(part))
                needs += reaches[cid[base + child]]
                pos = child_start + summary.length[child]
            if start + size > pos:
                parts.append(["literal", len(literals), start + size - pos])
                literals += data[pos:start + size]
            literals_digest = store.put_bytes(literals)
            recipe = _json({"mediaType": RECIPE_MEDIA_TYPE,
                            "kind": "module" if summary.kind[row] == 0 else "component",
                            "size": size, "parts": parts,
                            "literals": {"digest": literals_digest, "size": len(literals)}})
            digest = store.put_bytes(recipe)
            written[c] = ("recipe", digest, size)
            reaches[c] = _unique([{"mediaType": RECIPE_MEDIA_TYPE, "digest": digest,
                                   "size": len(recipe)},
                                  {"mediaType": LITERALS_MEDIA_TYPE, "digest": literals_digest,
                                   "size": len(literals)}] + needs)


def _unique(descriptors: list) -> list:
    seen: set[str] = set()
    out = []
    for d in descriptors:
        if d["digest"] not in seen:
            seen.add(d["digest"])
            out.append(d)
    return out


# --- reading back ---------------------------------------------------------------------------

def restore(store, name: str) -> bytes:
    """The exact bytes of the file stored under ``name`` (its tag ``dedup:...``, or the
    file's name as given to dedup)."""
    return b"".join(restore_chunks(store, name))


def restore_chunks(store, name: str):
    """The file's bytes as a list of chunks, every blob verified by its digest."""
    store = _open_store(store)
    if not name.startswith(f"{REPOSITORY}:"):
        name = f"{REPOSITORY}:{tag_for(name)}"
    descriptor = store.resolve(name)
    manifest = json.loads(store.get_blob(descriptor["digest"]))
    config = manifest.get("config", {})
    if config.get("mediaType") != RECIPE_MEDIA_TYPE:
        raise WasmlinkError(f"{name} is not a dedup recipe (config media type "
                            f"{config.get('mediaType')!r})", path=str(store.path))
    out: list = []
    _expand(store, config["digest"], config.get("size"), out)
    return out


def _expand(store, digest: str, recipe_size, out: list) -> None:
    data = store.get_blob(digest)
    recipe = json.loads(data)
    literals = b""
    if "literals" in recipe:
        literals = store.get_blob(recipe["literals"]["digest"])
    total = 0
    for part in recipe["parts"]:
        kind = part[0]
        if kind == "literal":
            out.append(literals[part[1]:part[1] + part[2]])
            total += part[2]
        elif kind == "blob":
            blob = store.get_blob(part[1])
            if len(blob) != part[2]:
                raise WasmlinkError(f"blob {part[1]} is {len(blob)} bytes, the recipe says "
                                    f"{part[2]}", path=str(store.path))
            out.append(blob)
            total += part[2]
        elif kind == "recipe":
            before = len(out)
            _expand(store, part[1], None, out)
            total += sum(len(b) for b in out[before:])
        else:
            raise WasmlinkError(f"recipe {digest}: unknown part {kind!r}", path=str(store.path))
    if total != recipe["size"]:
        raise WasmlinkError(f"recipe {digest} adds up to {total} bytes, not {recipe['size']}",
                            path=str(store.path))
