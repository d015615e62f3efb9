"""The local content-addressed store: an OCI image layout directory, atomic and locked.

The directory is an OCI image layout (image-spec ``image-layout.md``) that skopeo, oras and
crane read as they read their own, plus a directory of ours that they ignore:

    DIR/oci-layout            {"imageLayoutVersion": "1.0.0"}
    DIR/index.json            an image index: one descriptor per name, the name in the
                              annotation org.opencontainers.image.ref.name
    DIR/blobs/sha256/<hex>    every blob (layers, configs, manifests), named by its sha256
    DIR/.wasmlink/            session.lock, index.lock, tmp/ (see locks.py)

Names. A manifest is recorded under one canonical key (references.canonical_name):
``REPOSITORY:TAG`` (``ns/name:1.0.0``), or a bare ``TAG`` as skopeo writes for ``oci:DIR:TAG``.
A wkg name ``ns:name@1.0.0`` is recorded under its OCI mapping ``ns/name:1.0.0``. A manifest
put by digest alone gets an index entry without a name, so that it stays reachable.

Integrity. A blob becomes visible only once whole and only under the digest of its content: it
is hashed while it is staged, and renamed into ``blobs/sha256`` only if the hash matches. Every
read is verified again (a blob changed on disk is an error naming its digest and file).
index.json is replaced atomically (staged, fsynced, renamed, directory fsynced), its entries
sorted by name and written in one fixed JSON form, one descriptor a line, without timestamps:
the same operations give byte-identical index.json.

Concurrency (the gc protocol). A writer holds the store's session lock *shared* from its first
blob to its last tag (``with store.writing():``, or a repository object, which holds it from
its first write until it tags a manifest); every single put or tag takes it too. Tagging and untagging
also take the index lock around their read-modify-write of index.json. gc and fsck take the
session lock *exclusively*, so they run only when no writer is between "put blobs" and "tag":
they never collect a blob that a running writer is about to reference. A killed writer's locks
die with it; what it leaves is at most unreferenced blobs (gc collects them) and temp files
(fsck reports them, gc removes them).
"""
from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import os
import re
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ParseError, UsageError, WasmlinkError
from .locks import PRIVATE_DIR, StoreLocks, fsync_dir
from .references import canonical_name, parse_digest, parse_repository, parse_tag, store_key

LAYOUT_FILE = "oci-layout"
INDEX_FILE = "index.json"
LAYOUT_VERSION = "1.0.0"
INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
REF_NAME = "org.opencontainers.image.ref.name"
# manifests whose descriptors gc and fsck follow
MANIFEST_MEDIA_TYPES = frozenset({
    INDEX_MEDIA_TYPE, MANIFEST_MEDIA_TYPE,
    "application/vnd.oci.artifact.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
})
TEMP_GRACE = 600.0      # seconds: temp files younger than this are left by gc (see gc)
_CHUNK = 1 << 20
# the session holds of this process's repository objects, by store directory
_HOLDS: collections.Counter = collections.Counter()
_HOLDS_LOCK = threading.Lock()
_HEX64 = re.compile(r"[0-9a-f]{64}")
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}")
_DESCRIPTOR_KEYS = ("mediaType", "artifactType", "digest", "size", "urls", "annotations",
                    "platform", "data")


class NotFoundError(WasmlinkError):
    """A name, manifest or blob the store does not have."""


class CorruptBlobError(WasmlinkError):
    """A blob whose content does not hash to its name, or a manifest that cannot be read."""


@dataclass(frozen=True)
class Problem:
    """One thing fsck found: ``kind`` is one of layout, index, missing, corrupt, size, manifest,
    stray, temp; ``repaired`` says fsck(repair=True) removed the file."""
    kind: str
    path: str
    message: str
    repaired: bool = False

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" + (" (repaired)" if self.repaired else "")


@dataclass
class GcReport:
    """What gc removed (or, with dry_run, would remove)."""
    blobs: list[tuple[str, int]] = field(default_factory=list)    # (digest, size), sorted
    temp_files: list[tuple[str, int]] = field(default_factory=list)   # (path, size), sorted
    dry_run: bool = False

    @property
    def bytes_freed(self) -> int:
        return sum(size for _, size in self.blobs) + sum(size for _, size in self.temp_files)


class Store:
    """A local store on an OCI image layout directory (see the module docstring)."""

    def __init__(self, path, create: bool = True, *, lock_timeout: float | None = 300.0):
        self.path = Path(path)
        self._root = os.fspath(self.path)
        self._blob_dir = os.path.join(self._root, "blobs", "sha256")
        self._locks = StoreLocks(self._root, timeout=lock_timeout)
        self._local = threading.local()
        self._key = os.path.realpath(self._root)
        self._index_cache = None
        layout = os.path.join(self._root, LAYOUT_FILE)
        if not os.path.exists(layout):
            if not create:
                raise UsageError(f"not a store: {self._root} has no {LAYOUT_FILE} file "
                                 f"(create one with `wasmlink store init {self._root}`)")
            self._create()
        self._check_layout()

    def __repr__(self) -> str:
        return f"Store({self._root!r})"

    # --- blobs ----------------------------------------------------------------------------------

    def has_blob(self, digest: str) -> bool:
        return os.path.isfile(self._blob_path(parse_digest(digest)))

    def put_blob(self, digest: str, source) -> bool:
        """Store ``source`` (bytes-like, or a file path) as blob ``digest``; its sha256 must be
        ``digest``. Returns False when the blob was already there (its file is not rewritten:
        fsck finds a damaged one, and repair removes it so the next put restores it)."""
        digest = parse_digest(digest)
        if self.has_blob(digest):
            return False
        if isinstance(source, (str, os.PathLike)):
            return self._stage_file(source, expected=digest)[1]
        data = _bytes_view(source)
        actual = _sha256(data)
        if actual != digest:
            raise _mismatch(digest, actual)
        with self._locks.writing(), self._locks.stage() as staged:
            staged.write(data)
            staged.commit(self._blob_path(digest), mode=0o444)
        return True

    def put_bytes(self, data) -> str:
        """Store ``data``; returns its digest."""
        data = _bytes_view(data)
        digest = _sha256(data)
        self.put_blob(digest, data)
        return digest

    def put_file(self, path) -> str:
        """Store the file at ``path`` (hashed while it is copied); returns its digest."""
        return self._stage_file(path, expected=None)[0]

    def get_blob(self, digest: str) -> bytes:
        """The blob's bytes, verified against its digest."""
        digest = parse_digest(digest)
        path = self._existing_blob(digest)
        with open(path, "rb") as f:
            data = f.read()
        actual = _sha256(data)
        if actual != digest:
            raise _corrupt(digest, actual, path)
        return data

    def get_blob_to(self, digest: str, path) -> None:
        """Write the blob to ``path`` (``-`` for standard output), streamed and verified; the
        target is written atomically, so a corrupt blob leaves no output behind."""
        from ..output import write_atomically
        digest = parse_digest(digest)
        source = self._existing_blob(digest)
        if os.fspath(path) == "-":          # a stream cannot be taken back: verify first
            write_atomically("-", [self.get_blob(digest)])
            return

        def chunks():
            h = hashlib.sha256()
            with open(source, "rb") as f:
                while chunk := f.read(_CHUNK):
                    h.update(chunk)
                    yield chunk
            actual = f"sha256:{h.hexdigest()}"
            if actual != digest:
                raise _corrupt(digest, actual, source)
        write_atomically(path, chunks())

    def open_blob(self, digest: str) -> Path:
        """The blob's file, for readers that mmap it; not verified here (hash the mapping, or
        use get_blob)."""
        return Path(self._existing_blob(parse_digest(digest)))

    def blob_size(self, digest: str) -> int:
        return os.stat(self._existing_blob(parse_digest(digest))).st_size

    def blobs(self) -> list[str]:
        """The digests of every blob, sorted."""
        return [f"sha256:{n}" for n in self._blob_names() if _HEX64.fullmatch(n)]

    # --- names ----------------------------------------------------------------------------------

    def tag(self, name: str, manifest_digest: str, media_type: str, size: int,
            annotations: dict | None = None) -> str:
        """Record manifest ``manifest_digest`` (already in the store) under ``name``; returns
        the canonical key it is recorded under. An earlier manifest of that name is replaced."""
        return self.tag_many([(name, manifest_digest, media_type, size, annotations)])[0]

    def tag_many(self, entries) -> list[str]:
        """``tag`` for many (name, digest, media type, size, annotations) at once, with one
        rewrite of index.json (tagging N files one by one rewrites it N times)."""
        descriptors = [self._descriptor(*entry) for entry in entries]
        with self.writing():
            for key, d in descriptors:
                self._check_manifest_blob(d["digest"], d["mediaType"], d["size"])
            with self._locks.index():
                doc = self._load_index()
                changed = False
                for key, descriptor in descriptors:
                    digest = descriptor["digest"]
                    replaced = [d for d in doc["manifests"] if _ref_name(d) == key
                                or _ref_name(d) is None and d["digest"] == digest]
                    if replaced == [descriptor]:
                        continue        # already so: a retried push rewrites nothing
                    doc["manifests"] = [d for d in doc["manifests"] if not any(
                        d is r for r in replaced)]
                    doc["manifests"].append(descriptor)
                    changed = True
                if changed:
                    self._save_index(doc)
        return [key for key, _ in descriptors]

    def _descriptor(self, name: str, manifest_digest: str, media_type: str, size: int,
                    annotations: dict | None = None) -> tuple[str, dict]:
        key = canonical_name(name)
        digest = parse_digest(manifest_digest)
        _check_media_type(media_type)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise UsageError(f"invalid size {size!r}: expected a byte count")
        extra = dict(annotations or {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in extra.items()):
            raise UsageError("annotations must map strings to strings")
        extra[REF_NAME] = key
        return key, {"mediaType": media_type, "digest": digest, "size": size,
                     "annotations": extra}

    def untag(self, name: str) -> list[dict]:
        """Forget ``name`` (its manifest and blobs stay until gc); a manifest digest
        ``@sha256:...`` forgets every entry of that manifest. Returns the removed entries."""
        if name.startswith("@"):
            digest = parse_digest(name[1:])
            gone = lambda d: d["digest"] == digest      # noqa: E731
        else:
            key = canonical_name(name)
            gone = lambda d: _ref_name(d) == key        # noqa: E731
        with self.writing(), self._locks.index():
            doc = self._load_index()
            removed = [d for d in doc["manifests"] if gone(d)]
            if not removed:
                raise NotFoundError(f"no manifest named {name!r} in the store", path=self._root)
            doc["manifests"] = [d for d in doc["manifests"] if not gone(d)]
            self._save_index(doc)
        return removed

    def resolve(self, name: str) -> dict:
        """The index descriptor of ``name`` (or of a manifest digest ``@sha256:...``)."""
        if name.startswith("@"):
            digest = parse_digest(name[1:])
            for d in self._load_index()["manifests"]:
                if d["digest"] == digest:
                    return _copy(d)
            raise NotFoundError(f"no manifest {digest} in the store's index", path=self._root)
        key = canonical_name(name)
        for d in self._load_index()["manifests"]:
            if _ref_name(d) == key:
                return _copy(d)
        raise NotFoundError(f"no manifest named {key!r} in the store", path=self._root)

    def names(self) -> list[str]:
        return sorted(n for n in map(_ref_name, self._load_index()["manifests"])
                      if n is not None)

    def manifests(self) -> list[dict]:
        """Every index descriptor, in index order (by name; unnamed ones last, by digest)."""
        return [_copy(d) for d in self._load_index()["manifests"]]

    def repository(self, name: str = "") -> "StoreRepository":
        """The Repository (see registry/__init__.py) of repository ``name`` in this store;
        ``""`` is the store's bare tags (``oci:DIR:TAG``)."""
        return StoreRepository(self, parse_repository(name) if name else "")

    @contextlib.contextmanager
    def writing(self):
        """Hold the session lock shared: nothing written inside is collected by a gc before
        the block ends, so "put blobs, then tag" is safe against a concurrent gc."""
        lock = self._locks.writing().acquire()
        self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            yield self
        finally:
            self._local.depth -= 1
            lock.release()

    # --- gc and fsck ----------------------------------------------------------------------------

    def gc(self, *, dry_run: bool = False, temp_grace: float = TEMP_GRACE) -> GcReport:
        """Remove the blobs no manifest of index.json reaches (following configs, layers,
        nested manifests and subjects) and temp files older than ``temp_grace`` seconds.

        Under the exclusive session lock no writer of ours holds a temp file, so every one is a
        crashed writer's; the grace is for writers the lock cannot see (another host sharing
        the directory over a network file system, where flock is local). A manifest that cannot
        be read stops gc: what it references is unknown, so nothing would be safe to remove."""
        self._refuse_inside_writing("gc")
        report = GcReport(dry_run=dry_run)
        with self._locks.exclusive():
            doc = self._load_index()
            reachable, problems = self._walk(doc["manifests"])
            blocking = [p for p in problems if p.kind in ("manifest", "corrupt")]
            if blocking:
                raise CorruptBlobError(f"cannot collect garbage: {blocking[0].message} (run "
                                       f"`wasmlink store fsck`)", path=blocking[0].path)
            for digest in self.blobs():
                if digest not in reachable:
                    report.blobs.append((digest, _size(self._blob_path(digest))))
            report.temp_files = self._stale_temp_files(temp_grace)
            if not dry_run:
                for digest, _ in report.blobs:
                    _unlink(self._blob_path(digest))
                for path, _ in report.temp_files:
                    _unlink(path)
                if report.blobs:
                    fsync_dir(self._blob_dir)
        return report

    def fsck(self, *, repair: bool = False, temp_grace: float = TEMP_GRACE) -> list[Problem]:
        """Check the layout: oci-layout, index.json, every blob's content against its name,
        every descriptor reachable from the index (present, right size, manifests readable),
        leftover temp files. Returns the problems, sorted; [] when healthy. ``repair`` removes
        corrupt blobs, stray files in blobs/sha256 and temp files older than ``temp_grace``
        (the problems they caused are returned marked repaired; a put restores a blob)."""
        self._refuse_inside_writing("fsck")
        problems: list[Problem] = []
        with self._locks.exclusive(optional=not repair):
            problems += self._layout_problems()
            doc = None
            try:
                doc = self._load_index()
            except WasmlinkError as e:
                problems.append(Problem("index", os.path.join(self._root, INDEX_FILE),
                                        e.message))
            corrupt = set()
            for name in self._blob_names():
                path = os.path.join(self._blob_dir, name)
                if not _HEX64.fullmatch(name) or not os.path.isfile(path):
                    problems.append(Problem("stray", path, "not a blob (its name is not a "
                                                           "sha256 digest)"))
                    continue
                actual = _file_sha256(path)
                if actual != f"sha256:{name}":
                    corrupt.add(f"sha256:{name}")
                    problems.append(Problem("corrupt", path, f"blob sha256:{name} is corrupt: "
                                                             f"its content hashes to {actual}"))
            if doc is not None:
                problems += self._walk(doc["manifests"], known_corrupt=corrupt)[1]
            now = time.time()
            for path in self._locks.temp_files():
                size, age = _size_and_age(path, now)
                problems.append(Problem("temp", path, f"leftover temp file ({size} bytes, "
                                                      f"{age:.0f} s old)"))
            if repair:
                problems = [self._repair(p, now, temp_grace) for p in problems]
        return sorted(problems, key=lambda p: (p.path, p.kind, p.message))

    # --- internals ------------------------------------------------------------------------------

    def _create(self) -> None:
        if os.path.exists(self._root) and not os.path.isdir(self._root):
            raise UsageError(f"cannot create a store: {self._root} is not a directory")
        own = {LAYOUT_FILE, INDEX_FILE, "blobs", PRIVATE_DIR}
        try:
            others = sorted(set(os.listdir(self._root)) - own)
        except FileNotFoundError:
            others = []
        if others:
            raise UsageError(f"cannot create a store in {self._root}: the directory is not "
                             f"empty and is not an OCI image layout (it has {others[0]!r})")
        try:
            os.makedirs(self._blob_dir, exist_ok=True)
            self._locks.make_dirs()
            with self._locks.writing(), self._locks.index():
                # index.json first: a store whose oci-layout exists always has its index
                if not os.path.exists(os.path.join(self._root, INDEX_FILE)):
                    self._save_index({"manifests": []})
                if not os.path.exists(os.path.join(self._root, LAYOUT_FILE)):
                    self._write_file(LAYOUT_FILE, _layout_bytes())
        except OSError as e:
            raise WasmlinkError(f"cannot create a store: {e.strerror}", path=self._root) from None

    def _check_layout(self) -> None:
        problems = self._layout_problems()
        if problems:
            raise ParseError(problems[0].message, path=problems[0].path)

    def _layout_problems(self) -> list[Problem]:
        path = os.path.join(self._root, LAYOUT_FILE)
        try:
            with open(path, "rb") as f:
                doc = json.loads(f.read())
        except FileNotFoundError:
            return [Problem("layout", path, "missing: this is not an OCI image layout")]
        except (OSError, ValueError) as e:
            return [Problem("layout", path, f"not valid JSON ({e})")]
        version = doc.get("imageLayoutVersion") if isinstance(doc, dict) else None
        if version != LAYOUT_VERSION:
            return [Problem("layout", path, f"imageLayoutVersion is {version!r}, expected "
                                            f"{LAYOUT_VERSION!r}")]
        return []

    def _load_index(self) -> dict:
        """index.json, checked: schemaVersion 2 and a list of well-formed descriptors.

        The last document read or written is kept with its bytes: when the file holds the
        same bytes again (most lookups, every tag of an unchanged store) it is not parsed and
        checked again. Comparing bytes, not stat fields, cannot be fooled by a reused inode
        within one timestamp tick."""
        path = os.path.join(self._root, INDEX_FILE)
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            raise ParseError("missing: the store has no index.json", path=path) from None
        cached = self._index_cache
        if cached is not None and cached[0] == raw:
            doc = cached[1]
        else:
            doc = self._parse_index(raw, path)
            self._index_cache = (raw, doc)
        return {**doc, "manifests": list(doc["manifests"])}

    @staticmethod
    def _parse_index(raw: bytes, path: str) -> dict:
        try:
            doc = json.loads(raw)
        except ValueError as e:
            raise ParseError(f"not valid JSON ({e})", path=path) from None
        if not isinstance(doc, dict):
            raise ParseError("not an image index (expected a JSON object)", path=path)
        if doc.get("schemaVersion") != 2:
            raise ParseError(f"schemaVersion is {doc.get('schemaVersion')!r}, expected 2",
                             path=path)
        if doc.get("mediaType", INDEX_MEDIA_TYPE) != INDEX_MEDIA_TYPE:
            raise ParseError(f"mediaType is {doc.get('mediaType')!r}, expected "
                             f"{INDEX_MEDIA_TYPE!r}", path=path)
        manifests = doc.get("manifests")
        if not isinstance(manifests, list):
            raise ParseError("'manifests' is not a list", path=path)
        for i, d in enumerate(manifests):
            reason = _descriptor_problem(d)
            if reason:
                raise ParseError(f"manifests[{i}]: {reason}", path=path)
        return doc

    def _save_index(self, doc: dict) -> None:
        doc = _normalized(doc)
        raw = _index_text(doc)
        self._write_file(INDEX_FILE, raw)
        self._index_cache = (raw, doc)

    def _write_file(self, name: str, data: bytes) -> None:
        with self._locks.stage() as staged:
            staged.write(data)
            staged.commit(os.path.join(self._root, name))

    def _stage_file(self, source, *, expected: str | None) -> tuple[str, bool]:
        """Copy a file into the store, hashing it on the way (its digest must be ``expected``
        when that is given); returns (digest, whether it was added)."""
        source = os.fspath(source)
        h = hashlib.sha256()
        with self._locks.writing(), self._locks.stage() as staged:
            try:
                with open(source, "rb") as f:
                    while chunk := f.read(_CHUNK):
                        h.update(chunk)
                        staged.write(chunk)
            except OSError as e:
                raise WasmlinkError(f"cannot read: {e.strerror}", path=source) from None
            digest = f"sha256:{h.hexdigest()}"
            if expected is not None and digest != expected:
                raise _mismatch(expected, digest).in_file(source)
            target = self._blob_path(digest)
            if os.path.isfile(target):
                return digest, False
            staged.commit(target, mode=0o444)
        return digest, True

    def _check_manifest_blob(self, digest: str, media_type: str, size: int) -> None:
        data = self.get_blob(digest)
        if len(data) != size:
            raise UsageError(f"manifest {digest} is {len(data)} bytes, not {size}")
        try:
            doc = json.loads(data)
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise UsageError(f"blob {digest} is not a manifest (not a JSON object)")
        if doc.get("mediaType", media_type) != media_type:
            raise UsageError(f"manifest {digest} has mediaType {doc['mediaType']!r}, not "
                             f"{media_type!r}")

    def _walk(self, roots, *, known_corrupt=frozenset()):
        """Every blob reachable from descriptors ``roots``, and the problems met on the way
        (missing blobs, wrong sizes, unreadable manifests)."""
        reachable: set[str] = set()
        problems: list[Problem] = []
        # index entries are manifests; inside a manifest, what its media type says
        stack = [(d, INDEX_FILE, True) for d in reversed(roots)]
        while stack:
            descriptor, referrer, is_manifest = stack.pop()
            digest, size = descriptor["digest"], descriptor["size"]
            path = self._blob_path(digest)
            actual_size = _size(path)
            if actual_size is None:
                problems.append(Problem("missing", path, f"blob {digest} referenced by "
                                                         f"{referrer} is missing"))
                continue
            if actual_size != size and digest not in known_corrupt:   # corruption says it
                problems.append(Problem("size", path, f"blob {digest} is {actual_size} bytes "
                                                      f"but {referrer} says {size}"))
            if digest in reachable:
                continue
            reachable.add(digest)
            if not is_manifest:
                continue
            if digest in known_corrupt:
                continue            # reported as corrupt already; its children are unknown
            try:
                children = _manifest_children(self.get_blob(digest))
            except CorruptBlobError as e:
                problems.append(Problem("corrupt", path, e.message))
                continue
            except ValueError as e:
                problems.append(Problem("manifest", path, f"manifest {digest} referenced by "
                                                          f"{referrer} is unreadable: {e}"))
                continue
            for child, role in reversed(children):
                stack.append((child, f"manifest {digest}", role in ("manifest", "subject")))
        return reachable, problems

    def _repair(self, problem: Problem, now: float, temp_grace: float) -> Problem:
        removable = problem.kind in ("corrupt", "stray") and problem.path.startswith(
            self._blob_dir + os.sep)
        if problem.kind == "temp":
            removable = _size_and_age(problem.path, now)[1] >= temp_grace
        if not removable or os.path.isdir(problem.path):
            return problem
        _unlink(problem.path)
        return Problem(problem.kind, problem.path, problem.message, repaired=True)

    def _record_unnamed(self, digest: str, media_type: str, size: int) -> None:
        """An index entry without a name for a manifest put by digest (unless it has one)."""
        with self.writing(), self._locks.index():
            doc = self._load_index()
            if any(d["digest"] == digest for d in doc["manifests"]):
                return
            doc["manifests"].append({"mediaType": media_type, "digest": digest, "size": size})
            self._save_index(doc)

    def _stale_temp_files(self, grace: float) -> list[tuple[str, int]]:
        now = time.time()
        stale = []
        for path in self._locks.temp_files():
            size, age = _size_and_age(path, now)
            if age >= grace:
                stale.append((path, size))
        return stale

    def _refuse_inside_writing(self, what: str) -> None:
        if getattr(self._local, "depth", 0):
            raise UsageError(f"{what} inside `with store.writing():` would wait for itself")
        with _HOLDS_LOCK:
            held = _HOLDS[self._key]
        if held:
            raise UsageError(f"{what} would wait for this process: {held} repository object(s) "
                             f"of the store are between a blob and a tagged manifest (close "
                             f"them, or use `with store.repository(...)`)")

    def _blob_names(self) -> list[str]:
        try:
            return sorted(os.listdir(self._blob_dir))
        except FileNotFoundError:
            return []

    def _blob_path(self, digest: str) -> str:
        return os.path.join(self._blob_dir, digest[len("sha256:"):])

    def _existing_blob(self, digest: str) -> str:
        path = self._blob_path(digest)
        if not os.path.isfile(path):
            raise NotFoundError(f"blob {digest} is not in the store", path=self._root)
        return path


class StoreRepository:
    """One repository of a store, as the Repository protocol (registry/__init__.py) has it.

    A push writes blobs, then a manifest naming them: the repository holds the store's
    session lock (shared) from its first write until a manifest is tagged, so those blobs are
    safe from a concurrent gc in between. ``with`` or close() ends a hold that a failed push
    left; so does dropping the object. While this process holds one, its own gc and fsck of
    the store refuse at once rather than wait for themselves."""

    def __init__(self, store: Store, name: str):
        self.store = store
        self.name = name
        self._release = None

    def __enter__(self) -> "StoreRepository":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()

    def has_blob(self, digest: str) -> bool:
        return self.store.has_blob(digest)

    def put_blob(self, digest: str, source) -> bool:
        self._hold()
        return self.store.put_blob(digest, source)

    def get_blob(self, digest: str) -> bytes:
        return self.store.get_blob(digest)

    def get_blob_to(self, digest: str, path) -> None:
        self.store.get_blob_to(digest, path)

    def put_manifest(self, reference: str, data, media_type: str) -> str:
        """Store a manifest whose blobs are already in the store; ``reference`` is a tag (the
        manifest is recorded under REPOSITORY:TAG) or the manifest's digest (recorded without
        a name). Returns the manifest's digest."""
        data = bytes(_bytes_view(data))
        digest = _sha256(data)
        _check_media_type(media_type)
        tag = None
        if ":" in reference:
            if parse_digest(reference.lstrip("@")) != digest:
                raise UsageError(f"the manifest's digest is {digest}, not {reference}")
        else:
            tag = parse_tag(reference)
        try:
            doc = json.loads(data)
            children = _manifest_children(data)
        except ValueError as e:
            raise UsageError(f"not a manifest: {e}") from None
        if doc.get("mediaType", media_type) != media_type:
            raise UsageError(f"the manifest's mediaType is {doc['mediaType']!r}, not "
                             f"{media_type!r}")
        self._hold()
        for child, role in children:
            # a referrer's subject may arrive after it (the referrers API allows that)
            if role != "subject" and not self.store.has_blob(child["digest"]):
                raise UsageError(f"the manifest references blob {child['digest']}, which is "
                                 f"not in the store (put the blobs before the manifest)")
        self.store.put_blob(digest, data)
        if tag is not None:
            self.store.tag(store_key(self.name or None, tag), digest, media_type, len(data))
            self.close()        # the push is complete: its blobs are reachable
        else:
            self.store._record_unnamed(digest, media_type, len(data))
        return digest

    def get_manifest(self, reference: str) -> tuple[bytes, str]:
        """(bytes, media type) of the manifest a tag or a digest names; verified."""
        if ":" in reference:
            digest = parse_digest(reference.lstrip("@"))
            data = self.store.get_blob(digest)
            for d in self.store.manifests():
                if d["digest"] == digest:
                    return data, d["mediaType"]
            try:
                media_type = json.loads(data).get("mediaType")
            except (ValueError, AttributeError):
                media_type = None
            if not isinstance(media_type, str):
                raise UsageError(f"manifest {digest} has no mediaType and no index entry")
            return data, media_type
        descriptor = self.store.resolve(store_key(self.name or None, parse_tag(reference)))
        data = self.store.get_blob(descriptor["digest"])
        if len(data) != descriptor["size"]:
            raise CorruptBlobError(f"manifest {descriptor['digest']} is {len(data)} bytes but "
                                   f"index.json says {descriptor['size']}", path=self.store._root)
        return data, descriptor["mediaType"]

    def _hold(self) -> None:
        if self._release is None:
            session = self.store._locks.writing().acquire()
            key = self.store._key
            with _HOLDS_LOCK:
                _HOLDS[key] += 1
            self._release = weakref.finalize(self, _end_hold, session, key)

# --- the index.json form ------------------------------------------------------------------------

def _normalized(doc: dict) -> dict:
    """The document as index_bytes writes it (manifests ordered and sorted)."""
    manifests = sorted((_ordered(d) for d in doc["manifests"]),
                       key=lambda d: (_ref_name(d) is None, _ref_name(d) or "", d["digest"]))
    return {**doc, "schemaVersion": 2, "mediaType": INDEX_MEDIA_TYPE, "manifests": manifests}


def index_bytes(doc: dict) -> bytes:
    """index.json in its one form: schemaVersion, mediaType, manifests (by name; unnamed ones
    after, by digest), then any other fields of the document by key; one descriptor a line,
    which reads and diffs well and is written by the C JSON encoder (an indented dump is
    pure Python, and index.json is rewritten by every tag)."""
    return _index_text(_normalized(doc))


def _index_text(doc: dict) -> bytes:
    manifests = doc["manifests"]
    encode = _COMPACT.encode
    fields = ['"schemaVersion": 2', f'"mediaType": {encode(INDEX_MEDIA_TYPE)}']
    if manifests:
        fields.append('"manifests": [\n    ' + ",\n    ".join(map(encode, manifests)) + "\n  ]")
    else:
        fields.append('"manifests": []')
    fields += [f"{encode(k)}: {encode(doc[k])}" for k in sorted(doc)
               if k not in ("schemaVersion", "mediaType", "manifests")]
    return ("{\n  " + ",\n  ".join(fields) + "\n}\n").encode()


_COMPACT = json.JSONEncoder(ensure_ascii=True, separators=(", ", ": "))


def _layout_bytes() -> bytes:
    return (json.dumps({"imageLayoutVersion": LAYOUT_VERSION}) + "\n").encode()


def _ordered(descriptor: dict) -> dict:
    out = {k: descriptor[k] for k in _DESCRIPTOR_KEYS if k in descriptor}
    if isinstance(out.get("annotations"), dict):
        out["annotations"] = dict(sorted(out["annotations"].items()))
    for k in sorted(descriptor):
        if k not in out:
            out[k] = descriptor[k]
    return out


def _ref_name(descriptor: dict) -> str | None:
    annotations = descriptor.get("annotations")
    return annotations.get(REF_NAME) if isinstance(annotations, dict) else None


def _descriptor_problem(d) -> str | None:
    if not isinstance(d, dict):
        return "not a descriptor (expected a JSON object)"
    if not isinstance(d.get("mediaType"), str):
        return "no mediaType"
    try:
        parse_digest(d.get("digest") if isinstance(d.get("digest"), str) else "")
    except UsageError:
        return f"digest {d.get('digest')!r} is not sha256: and 64 lowercase hex digits"
    size = d.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return f"size {size!r} is not a byte count"
    annotations = d.get("annotations", {})
    if not isinstance(annotations, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in annotations.items()):
        return "annotations are not a map of strings"
    return None


def _manifest_children(data: bytes) -> list[tuple[dict, str]]:
    """The descriptors a manifest points to, each with its role (config, manifest, layer, blob,
    subject); ValueError when the bytes are not a manifest with well-formed descriptors."""
    doc = json.loads(data)
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    children = []
    if "config" in doc:
        children.append((doc["config"], "config"))
    for key, role in (("manifests", "manifest"), ("layers", "layer"), ("blobs", "blob")):
        items = doc.get(key, [])
        if not isinstance(items, list):
            raise ValueError(f"'{key}' is not a list")
        children += [(d, role) for d in items]
    if "subject" in doc:
        children.append((doc["subject"], "subject"))
    for d, role in children:
        reason = _descriptor_problem(d)
        if reason:
            raise ValueError(f"its {role} descriptor: {reason}")
    return children


# --- small helpers ------------------------------------------------------------------------------

def _end_hold(session, key) -> None:
    session.release()
    with _HOLDS_LOCK:
        _HOLDS[key] -= 1


def _check_media_type(media_type) -> None:
    if not isinstance(media_type, str) or not _MEDIA_TYPE.fullmatch(media_type):
        raise UsageError(f"invalid media type {media_type!r}: expected type/subtype, e.g. "
                         f"{MANIFEST_MEDIA_TYPE}")


def _bytes_view(source) -> memoryview:
    try:
        return memoryview(source).cast("B")
    except TypeError:
        raise UsageError(f"a blob's source is bytes-like or a file path, not "
                         f"{type(source).__name__}") from None


def _sha256(data) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def _file_sha256(path: str) -> str:
    h = hashlib.sha256()
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buffer):
            h.update(view[:n])
    return f"sha256:{h.hexdigest()}"


def _mismatch(digest: str, actual: str) -> WasmlinkError:
    return WasmlinkError(f"content does not match digest {digest}: its sha256 is {actual}")


def _corrupt(digest: str, actual: str, path: str) -> CorruptBlobError:
    return CorruptBlobError(f"blob {digest} is corrupt: its content hashes to {actual}",
                            path=path)


def _copy(descriptor: dict) -> dict:
    return json.loads(json.dumps(descriptor))


def _size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return None


def _size_and_age(path: str, now: float) -> tuple[int, float]:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return 0, 0.0
    return st.st_size, max(0.0, now - st.st_mtime)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
