"""The OCI Wasm artifact of a module or component: its config and its manifest, as the CNCF TAG
Runtime's wasm-oci layout (and wkg, wash, oci-wasm) have them.

    manifest  application/vnd.oci.image.manifest.v1+json
      config  application/vnd.wasm.config.v0+json
              {"created", "architecture": "wasm", "os": "wasip2" (a component) or "wasip1"
               (a module), "layerDigests": [...], "component": {"exports", "imports", "target"}}
      layers  application/wasm: the binary, one layer

`push --dedup` (layering.py) goes beyond that one-layer form: the first layer is still the one
`application/wasm` layer, holding the root component (valid on its own: its large children are
imports named by content hash), followed by one layer per child with the media type
``CHILD_MEDIA_TYPE``, and annotations recording how to splice them back (``DEDUP_*`` below).
A tool that knows only the CNCF form takes the `application/wasm` layer and gets the root.

Determinism: JSON with sorted keys and no spaces, and ``created`` from SOURCE_DATE_EPOCH when
set, else the Unix epoch (a timestamp of the push would make every push a new digest).
"""
from __future__ import annotations

import hashlib
import json
import os
import time

from ..errors import UsageError

MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.wasm.config.v0+json"
WASM_MEDIA_TYPE = "application/wasm"
CHILD_MEDIA_TYPE = "application/vnd.wasmlink.dedup.module.v1+wasm"

TITLE = "org.opencontainers.image.title"                    # the file name oras pulls a
                                                            # layer into
DEDUP_VERSION = "io.wasmlink.dedup.version"                 # on the manifest: "1"
DEDUP_ORIGINAL = "io.wasmlink.dedup.original"               # the whole component's digest
DEDUP_ORIGINAL_SIZE = "io.wasmlink.dedup.original-size"
DEDUP_TYPES = "io.wasmlink.dedup.types"                     # root layer: "start,end" of the
                                                            # core type section added
DEDUP_IMPORT = "io.wasmlink.dedup.import"                   # child layer: "start,end" of the
                                                            # import standing for it in the root
DEDUP_HEADER = "io.wasmlink.dedup.section-header"           # child layer: the original header, hex


def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest_of(data) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def descriptor(media_type: str, data, annotations: dict | None = None) -> dict:
    d = {"mediaType": media_type, "digest": digest_of(data), "size": len(data)}
    if annotations:
        d["annotations"] = dict(annotations)
    return d


def created_timestamp() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    try:
        seconds = int(epoch) if epoch else 0
    except ValueError:
        raise UsageError(f"SOURCE_DATE_EPOCH is {epoch!r}, not a number of seconds") from None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def is_component(data) -> bool:
    return bytes(data[4:8]) in (b"\x0d\x00\x01\x00", b"\x0c\x00\x01\x00")


def wasm_config(data, layer_digests, *, path: str = "input") -> dict:
    """The `application/vnd.wasm.config.v0+json` document of the binary ``data``."""
    if bytes(data[:4]) != b"\0asm":
        from ..errors import ParseError
        raise ParseError("expected a WebAssembly module or component: bad magic number", 0,
                         path=path)
    config = {"created": created_timestamp(), "architecture": "wasm",
              "layerDigests": list(layer_digests)}
    if is_component(data):
        imports, exports = top_level_names(data, path)
        config["os"] = "wasip2"
        config["component"] = {"exports": exports, "imports": imports, "target": None}
    else:
        config["os"] = "wasip1"
    return config


def top_level_names(data, path: str) -> tuple[list[str], list[str]]:
    """A component's import and export names, in order (what the CNCF config lists: the world's
    imports and exports, by their names)."""
    from ..binary.component import Component as ComponentView
    from ..binary.reader import Reader
    from ..component.decode import read_section
    from ..errors import ParseError
    mem = memoryview(data)
    imports, exports = [], []
    for s in ComponentView(data, path=path).sections(0):
        if s.id not in (10, 11):
            continue
        try:
            items = read_section(Reader(mem, s.payload, s.end), s.id, 0, 1).items
        except ParseError as e:
            raise e.in_file(path)
        (imports if s.id == 10 else exports).extend(i.name for i in items)
    return imports, exports


def manifest(config: bytes, layers: list[dict], annotations: dict | None = None) -> dict:
    m = {"schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE,
         "config": descriptor(CONFIG_MEDIA_TYPE, config), "layers": layers}
    if annotations:
        m["annotations"] = dict(annotations)
    return m


class Artifact:
    """What a push sends: blobs (digest -> bytes-like), in upload order, and the manifest."""

    __slots__ = ("blobs", "manifest", "manifest_bytes")

    def __init__(self, blobs: dict, manifest_doc: dict):
        self.blobs = blobs
        self.manifest = manifest_doc
        self.manifest_bytes = canonical_json(manifest_doc)

    @property
    def digest(self) -> str:
        return digest_of(self.manifest_bytes)


def _titled(title: str | None, notes: dict | None = None) -> dict | None:
    if title is None:
        return notes
    return {**(notes or {}), TITLE: title}


def plain_artifact(data, *, path: str = "input", title: str | None = None) -> Artifact:
    """The one-layer CNCF artifact of a module or component; ``title`` names the layer's file
    for tools that pull layers into files (oras), as `oras push` names them."""
    layer = descriptor(WASM_MEDIA_TYPE, data, _titled(title))
    config = canonical_json(wasm_config(data, [layer["digest"]], path=path))
    return Artifact({layer["digest"]: data, digest_of(config): config},
                    manifest(config, [layer]))


def dedup_artifact(data, *, min_size: int, path: str = "input",
                   title: str | None = None) -> Artifact:
    """The layered artifact of a component (see the module docstring); a module, or a
    component without children worth a layer, gives the plain artifact. With a ``title``,
    the root layer is titled so and each child ``<hex digest>.wasm``: `oras pull` then writes
    the root and, beside it, the modules a runtime supplies by hash."""
    from .layering import split_component
    if not is_component(data):
        return plain_artifact(data, path=path, title=title)
    split = split_component(data, min_size=min_size, path=path)
    if not split.children:
        return plain_artifact(data, path=path, title=title)
    root = descriptor(WASM_MEDIA_TYPE, split.root,
                      _titled(title, {DEDUP_TYPES: f"{split.types_start},{split.types_end}"}))
    layers = [root]
    blobs = {root["digest"]: split.root}
    for child in split.children:
        layers.append({"mediaType": CHILD_MEDIA_TYPE, "digest": child.digest,
                       "size": len(child.data),
                       "annotations": _titled(
                           None if title is None else child.digest.split(":")[1] + ".wasm",
                           {DEDUP_IMPORT: f"{child.root_start},{child.root_end}",
                            DEDUP_HEADER: child.header.hex()})})
        blobs[child.digest] = child.data
    config = canonical_json(wasm_config(data, [l["digest"] for l in layers], path=path))
    blobs[digest_of(config)] = config
    annotations = {DEDUP_VERSION: "1", DEDUP_ORIGINAL: split.original_digest,
                   DEDUP_ORIGINAL_SIZE: str(split.original_size)}
    return Artifact(blobs, manifest(config, layers, annotations))
