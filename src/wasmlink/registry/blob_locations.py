"""Where a registry already holds a blob: the repositories wasmlink pushed it to or pulled it
from (both are recorded), remembered across runs so that a push to a new repository mounts shared layers
(`POST .../blobs/uploads/?mount=DIGEST&from=REPO`) instead of uploading them again.

A registry keeps blobs per repository: HEAD in the target repository cannot see that another
repository of the same registry has the 7 MB of libpython modules a new app shares, and the
distribution API only mounts with a named source. Docker's client keeps the same kind of record
for the same reason. A wrong entry costs one failed mount and then the upload, so the record
needs no locking: it is written atomically, last writer wins, and each registry keeps its
``LIMIT`` most recent digests.

The file is ``$WASMLINK_CACHE_DIR/blob-locations.json`` (default ``~/.cache/wasmlink``);
``WASMLINK_CACHE_DIR=`` (empty) turns the record off.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

LIMIT = 20000               # digests kept per registry
SOURCES_PER_BLOB = 3        # mount attempts before uploading


def cache_file() -> Path | None:
    base = os.environ.get("WASMLINK_CACHE_DIR")
    if base == "":
        return None
    root = Path(base) if base else Path(os.environ.get("XDG_CACHE_HOME")
                                        or Path.home() / ".cache") / "wasmlink"
    return root / "blob-locations.json"


class BlobLocations:
    """digest -> repositories, for one registry host."""

    def __init__(self, host: str, path: Path | None = None):
        self.host = host
        self.path = cache_file() if path is None else path
        self._all = self._load()
        mine = self._all.get(host)
        self._mine = self._all[host] = mine if isinstance(mine, dict) else {}
        self._changed = False

    def sources(self, digest: str, target: str) -> list[str]:
        """Repositories other than ``target`` that held ``digest``, most recent first."""
        return [r for r in self._mine.get(digest, []) if r != target][:SOURCES_PER_BLOB]

    def record(self, digest: str, repository: str) -> None:
        repos = self._mine.pop(digest, [])
        if repository in repos:
            repos.remove(repository)
        self._mine[digest] = [repository, *repos][:SOURCES_PER_BLOB + 1]   # newest last
        self._changed = True

    def save(self) -> None:
        if not self._changed or self.path is None:
            return
        while len(self._mine) > LIMIT:
            self._mine.pop(next(iter(self._mine)))
        from ..output import write_atomically
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, [json.dumps(self._all, sort_keys=False).encode()])
        except Exception:
            pass                 # only an optimisation: never fail a push over it
        self._changed = False

    def _load(self) -> dict:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}
