"""Push and pull of Wasm artifacts between files and repositories, a local store's or a
registry's, through the Repository protocol (registry/__init__.py), so neither side cares where
the bytes go.

A push sends every blob first (layers, then the config), each skipped when the repository has
it already (and, for a registry, mounted from another repository of the same registry when the
caller names where it may be), and the manifest last: a push killed halfway leaves blobs that
nothing references yet (a store's gc or the registry's collects them) and never a manifest whose
blobs are missing. A pull reads the manifest, takes the one `application/wasm` layer, or for a
dedup manifest (artifact.py) the root and its children, which it splices back and checks against
the recorded digest of the whole, and writes the output atomically.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError, WasmlinkError
from . import artifact as a
from .references import Reference, parse_reference


@dataclass
class PushResult:
    reference: str
    digest: str                          # the manifest's
    layers: int
    uploaded: list = field(default_factory=list)     # digests sent (or written)
    skipped: list = field(default_factory=list)      # digests the repository had
    mounted: list = field(default_factory=list)      # digests mounted from another repository
    bytes_sent: int = 0

    def to_json(self) -> dict:
        return {"reference": self.reference, "digest": self.digest, "layers": self.layers,
                "uploaded": self.uploaded, "skipped": self.skipped, "mounted": self.mounted,
                "bytes_sent": self.bytes_sent}


def open_repository(reference: Reference, **client_options):
    """The Repository a reference names: a store's (``oci:PATH:...``) or a registry's."""
    if reference.kind == "store":
        from .store import Store
        return Store(reference.store_path).repository(reference.repository or "")
    from .client import RegistryClient
    return RegistryClient(reference.registry, **client_options).repository(reference.repository)


def push(path, ref, *, dedup: bool = False, min_size: int | None = None, mount_from=(),
         **client_options) -> PushResult:
    """Push the module or component at ``path`` to ``ref`` (a reference string or Reference)."""
    from ..binary.files import MappedFile
    reference = parse_reference(ref) if isinstance(ref, str) else ref
    if reference.tag is None and reference.digest is None:
        raise UsageError(f"{reference}: a push needs a tag to write the manifest under")
    with MappedFile(path) as mapped:
        if dedup:
            from .layering import DEFAULT_MIN_SIZE
            built = a.dedup_artifact(mapped.data, path=str(path), title=Path(path).name,
                                     min_size=DEFAULT_MIN_SIZE if min_size is None else min_size)
        else:
            built = a.plain_artifact(mapped.data, path=str(path), title=Path(path).name)
        if reference.digest is not None and reference.digest != built.digest:
            raise UsageError(f"{reference}: the artifact's manifest digest is {built.digest}")
        result = PushResult(str(reference), built.digest, len(built.manifest["layers"]))
        repo = open_repository(reference, **client_options)
        locations = _locations(reference)
        try:
            for digest, data in built.blobs.items():
                sources = list(mount_from)
                if locations is not None:
                    sources += [r for r in locations.sources(digest, reference.repository)
                                if r not in sources]
                if _mounted(repo, digest, sources):
                    result.mounted.append(digest)
                elif repo.put_blob(digest, data):
                    result.uploaded.append(digest)
                    result.bytes_sent += len(data)
                else:
                    result.skipped.append(digest)
                if locations is not None:
                    locations.record(digest, reference.repository)
            repo.put_manifest(reference.tag or built.digest, built.manifest_bytes,
                              a.MANIFEST_MEDIA_TYPE)
        finally:
            _close(repo)
            if locations is not None:
                locations.save()
    return result


def _locations(reference: Reference):
    """The record of where this registry holds blobs (blob_locations.py); None for a store."""
    if reference.kind != "registry":
        return None
    from .blob_locations import BlobLocations
    return BlobLocations(reference.registry)


def _mounted(repo, digest: str, sources) -> bool:
    """Whether ``digest`` could be mounted from one of ``sources`` (when the target lacks it)."""
    if not sources or not hasattr(repo, "mount_blob") or repo.has_blob(digest):
        return False
    return any(repo.mount_blob(digest, source) for source in sources)


def _close(repo) -> None:
    close = getattr(repo, "close", None)
    if close is not None:
        close()


@dataclass
class PullResult:
    reference: str
    digest: str                          # the manifest's
    output: str
    size: int
    dedup: bool
    modules: list = field(default_factory=list)      # files written by keep_imports


def pull(ref, output, *, keep_imports: bool = False, modules_dir=None,
         **client_options) -> PullResult:
    """Pull ``ref`` into the file ``output``. A dedup artifact is reassembled byte for byte,
    or with ``keep_imports`` written as its root (hash imports left in), its children put in
    ``modules_dir`` (named by their hex digests) for a runtime that supplies modules."""
    reference = parse_reference(ref) if isinstance(ref, str) else ref
    pulled: list = []                    # the manifest's blobs, once it is read
    result = _pull(reference, output, keep_imports, modules_dir, pulled, client_options)
    locations = _locations(reference)
    if locations is not None:            # a later push elsewhere may mount them from here
        for digest in pulled:
            locations.record(digest, reference.repository)
        locations.save()
    return result


def _pull(reference, output, keep_imports, modules_dir, pulled, client_options) -> PullResult:
    from ..output import write_atomically
    repo = open_repository(reference, **client_options)
    try:
        data, media_type = repo.get_manifest(reference.digest or reference.tag)
        manifest_digest = a.digest_of(data)
        doc = _manifest_doc(data, media_type, reference)
        if doc.get("mediaType", a.MANIFEST_MEDIA_TYPE) == a.INDEX_MEDIA_TYPE or \
                media_type == a.INDEX_MEDIA_TYPE:
            chosen = _choose_from_index(doc, reference)
            data, media_type = repo.get_manifest(chosen)
            manifest_digest = a.digest_of(data)
            doc = _manifest_doc(data, media_type, reference)
        layers = doc.get("layers")
        if not isinstance(layers, list) or not layers:
            raise WasmlinkError(f"{reference}: the manifest has no layers")
        pulled.extend(l["digest"] for l in layers
                      if isinstance(l, dict) and isinstance(l.get("digest"), str))
        annotations = doc.get("annotations") or {}
        if annotations.get(a.DEDUP_VERSION) is None:
            wasm = [l for l in layers if l.get("mediaType") == a.WASM_MEDIA_TYPE]
            if len(wasm) != 1:
                raise WasmlinkError(f"{reference}: expected one {a.WASM_MEDIA_TYPE} layer, "
                                    f"found {len(wasm)}")
            repo.get_blob_to(_digest(wasm[0], reference), output)
            return PullResult(str(reference), manifest_digest, str(output),
                              os.path.getsize(output), False)
        if annotations.get(a.DEDUP_VERSION) != "1":
            raise WasmlinkError(f"{reference}: dedup layout version "
                                f"{annotations.get(a.DEDUP_VERSION)!r} is newer than this "
                                f"wasmlink reads (1)")
        root = repo.get_blob(_digest(layers[0], reference))
        children = layers[1:]
        if keep_imports:
            written = []
            if modules_dir is not None:
                Path(modules_dir).mkdir(parents=True, exist_ok=True)
                for layer in children:
                    digest = _digest(layer, reference)
                    target = Path(modules_dir) / digest.split(":", 1)[1]
                    repo.get_blob_to(digest, target)
                    written.append(str(target))
            write_atomically(output, [root])
            return PullResult(str(reference), manifest_digest, str(output), len(root), True,
                              written)
        whole = reassemble_layers(repo, root, layers, annotations, reference)
        write_atomically(output, [whole])
        return PullResult(str(reference), manifest_digest, str(output), len(whole), True)
    finally:
        _close(repo)


def reassemble_layers(repo, root, layers, annotations, reference) -> bytes:
    from .layering import reassemble
    try:
        types_start, types_end = _range(layers[0]["annotations"][a.DEDUP_TYPES])
        pieces = []
        for layer in layers[1:]:
            notes = layer["annotations"]
            start, end = _range(notes[a.DEDUP_IMPORT])
            header = bytes.fromhex(notes[a.DEDUP_HEADER])
            pieces.append((start, end, header, repo.get_blob(_digest(layer, reference))))
        expected = annotations[a.DEDUP_ORIGINAL]
    except (KeyError, TypeError, ValueError) as e:
        raise WasmlinkError(f"{reference}: malformed dedup annotations ({e})") from None
    return reassemble(root, pieces, types_start, types_end, expected, path=str(reference))


def _range(text: str) -> tuple[int, int]:
    start, end = (int(x) for x in text.split(","))
    if not 0 <= start <= end:
        raise ValueError(f"bad range {text!r}")
    return start, end


def _digest(layer, reference) -> str:
    from .references import parse_digest
    digest = layer.get("digest") if isinstance(layer, dict) else None
    if not isinstance(digest, str):
        raise WasmlinkError(f"{reference}: a layer has no digest")
    return parse_digest(digest)


def _manifest_doc(data, media_type, reference) -> dict:
    try:
        doc = json.loads(data)
    except ValueError as e:
        raise WasmlinkError(f"{reference}: the manifest is not JSON ({e})") from None
    if not isinstance(doc, dict):
        raise WasmlinkError(f"{reference}: the manifest is not a JSON object")
    return doc


def _choose_from_index(index: dict, reference) -> str:
    """The manifest of an index to pull: the first for a wasm platform, else the first."""
    manifests = index.get("manifests") or []
    if not manifests:
        raise WasmlinkError(f"{reference}: the image index lists no manifests")
    for m in manifests:
        platform = m.get("platform") or {}
        if platform.get("architecture") == "wasm":
            return m["digest"]
    return manifests[0]["digest"]
