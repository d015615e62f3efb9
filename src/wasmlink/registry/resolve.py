"""`wasmlink resolve`: a component whose children are imported, by content hash
(``integrity=<sha256-...>``) or by package name (``locked-dep=<ns:name@version>``), made whole:
each such import replaced, where it stands, by the child's bytes, fetched from local stores or
registry repositories and checked against the hash it is named by.

In place, as layering.py splits: a core module or component import and the section defining one
take the same next index of their space, so the indexes after it do not move. An import section
holding other imports too is split around the inlined child; the types the imports used stay
(unused types are valid). This is the general inverse of a hash import; a dedup artifact pulled
with `pull` is reassembled by its own recipe instead, byte for byte.

Sources are searched in the order given: a store directory (``oci:PATH`` or a plain directory
holding an OCI layout), or a registry repository (``localhost:5000/ns/name``; package names are
looked up at ``REGISTRY/ns/name:version``, as wkg maps them).
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field

from ..binary.component import Component as ComponentView
from ..binary.reader import Reader
from ..component import model as cm
from ..component.decode import read_section
from ..component.encode import section_chunks
from ..component.names import HashName, LockedDepName, UnlockedDepName, parse_name
from .._native.leb128 import encode_u32 as _u32
from ..errors import ParseError, UsageError, WasmlinkError
from . import artifact as a

IMPORT_SECTION = 10
SECTION_OF_KIND = {"module": 1, "component": 4}


@dataclass
class ResolveResult:
    output: str
    size: int
    inlined: list = field(default_factory=list)      # (import name, digest, source)
    left: list = field(default_factory=list)         # hash or package imports not found


class Source:
    """Where children are looked up: a store or a registry repository."""

    def __init__(self, text: str, **client_options):
        self.text = text
        self.store = self.registry = self.repository = None
        path = text[len("oci:"):] if text.startswith("oci:") else text
        if text.startswith("oci:") or os.path.isdir(path):
            from .store import Store
            self.store = Store(path.split(":", 1)[0], create=False)
        else:
            from .client import RegistryClient
            from .references import parse_repository
            registry, _, repository = text.partition("/")
            if not registry or not repository:
                raise UsageError(f"source {text!r}: expected a store directory (oci:PATH) or "
                                 f"a registry repository REGISTRY/REPOSITORY")
            self.registry = RegistryClient(registry, **client_options)
            self.repository = self.registry.repository(parse_repository(repository))

    def blob(self, digest: str):
        if self.store is not None:
            return self.store.get_blob(digest) if self.store.has_blob(digest) else None
        return self.repository.get_blob(digest) if self.repository.has_blob(digest) else None

    def versions(self, name: str) -> list[str]:
        """The tags of package ``name``'s repository (its versions, as wkg tags them)."""
        namespace, _, package = name.partition(":")
        repository = f"{namespace}/{package}"
        if self.store is not None:
            prefix = repository + ":"
            return [n[len(prefix):] for n in self.store.names() if n.startswith(prefix)]
        return self.registry.tags(repository)

    def package(self, name: str, version: str):
        """The bytes of package ``name@version``'s wasm layer, or None."""
        namespace, _, package = name.partition(":")
        repository, tag = f"{namespace}/{package}", version
        try:
            if self.store is not None:
                repo = self.store.repository(repository)
            else:
                repo = self.registry.repository(repository)
            data, _ = repo.get_manifest(tag)
        except WasmlinkError:
            return None
        layers = [l for l in json.loads(data).get("layers", [])
                  if l.get("mediaType") == a.WASM_MEDIA_TYPE]
        if len(layers) != 1:
            return None
        return self.blob(layers[0]["digest"])


def resolve_component(path, sources, output, *, strict: bool = True,
                      **client_options) -> ResolveResult:
    """Write ``path`` with its hash- and package-imported children inlined to ``output``.
    ``strict``: an import that no source has is an error (and nothing is written)."""
    from ..binary.files import MappedFile
    from ..output import write_atomically
    if not sources:
        raise UsageError("resolve needs at least one --from store or registry repository")
    opened = [Source(s, **client_options) for s in sources]
    with MappedFile(path) as mapped:
        result = ResolveResult(str(output), 0)
        chunks = inline_imports(mapped.data, opened, result, str(path))
        if strict and result.left:
            raise WasmlinkError(f"no source has {len(result.left)} imported child(ren): "
                                f"{', '.join(result.left[:3])}"
                                + (" ..." if len(result.left) > 3 else ""), path=str(path))
        result.size = write_atomically(output, chunks)
    return result


def inline_imports(data, sources, result: ResolveResult, path: str) -> list:
    """The component ``data`` with every resolvable import inlined, as chunks."""
    mem = memoryview(data)
    sections = ComponentView(data, path=path).sections(0)
    out = [mem[:sections[0].start] if sections else mem]
    for s in sections:
        if s.id != IMPORT_SECTION:
            out.append(mem[s.start:s.end])
            continue
        try:
            imports = read_section(Reader(mem, s.payload, s.end, context="import section"),
                                   IMPORT_SECTION, 0, 1).items
        except ParseError as e:
            raise e.in_file(path)
        found = [_fetch(i, sources, result, path) for i in imports]
        if not any(c is not None for c in found):
            out.append(mem[s.start:s.end])
            continue
        pending = []
        for imp, content in zip(imports, found):
            if content is None:
                pending.append(imp)
                continue
            if pending:
                out += section_chunks(cm.ImportSection(tuple(pending)))
                pending = []
            body = bytes(content)
            out.append(bytes([SECTION_OF_KIND[imp.type.kind]]) + _u32(len(body)))
            out.append(body)
        if pending:
            out += section_chunks(cm.ImportSection(tuple(pending)))
    return out


def _fetch(imp, sources, result, path):
    """The content an import names, verified; None when it is not a child import or no
    source has it."""
    if imp.type.kind not in SECTION_OF_KIND:
        return None
    if not imp.name.startswith(("integrity=", "locked-dep=", "unlocked-dep=")):
        return None
    try:
        name = parse_name(imp.name)
    except WasmlinkError:
        return None
    if isinstance(name, HashName):
        wanted = _sha256_of(name, imp.name, path)
        if wanted is None:
            result.left.append(imp.name)
            return None
        digest = "sha256:" + wanted.hex()
        for source in sources:
            content = source.blob(digest)
            if content is not None:
                _check(content, wanted, imp.name, source.text, path)
                _check_kind(content, imp, source.text, path)
                result.inlined.append((imp.name, digest, source.text))
                return content
        result.left.append(imp.name)
        return None
    if isinstance(name, UnlockedDepName):
        for source in sources:
            version = newest_in_range(source.versions(name.package), name)
            content = None if version is None else source.package(name.package, version)
            if content is None:
                continue
            _check_kind(content, imp, source.text, path)
            result.inlined.append((imp.name, a.digest_of(content), source.text))
            return content
        result.left.append(imp.name)
        return None
    if isinstance(name, LockedDepName) and name.version is not None:
        for source in sources:
            content = source.package(name.package, name.version)
            if content is None:
                continue
            if name.integrity is not None:
                wanted = _sha256_of(name.integrity, imp.name, path)
                if wanted is not None:
                    _check(content, wanted, imp.name, source.text, path)
            _check_kind(content, imp, source.text, path)
            result.inlined.append((imp.name, a.digest_of(content), source.text))
            return content
    result.left.append(imp.name)
    return None


def _sha256_of(name: HashName, text: str, path: str):
    try:
        return name.sha256
    except (ValueError, WasmlinkError):
        raise ParseError(f"import {text}: the sha256 is not base64", path=path) from None


def _check(content, wanted: bytes, name: str, source: str, path: str) -> None:
    got = hashlib.sha256(content).digest()
    if got != wanted:
        raise WasmlinkError(f"import {name}: the content {source} has for it hashes to "
                            f"sha256-{base64.b64encode(got).decode()}: tampered or wrong",
                            path=path)


def _check_kind(content, imp, source: str, path: str) -> None:
    is_component = a.is_component(content)
    if bytes(content[:4]) != b"\0asm" or is_component != (imp.type.kind == "component"):
        raise WasmlinkError(f"import {imp.name} is a core {imp.type.kind}, but what {source} "
                            f"has for it is not one", path=path)


def newest_in_range(tags, name: UnlockedDepName) -> str | None:
    """The highest release version among ``tags`` that ``name``'s range admits (``>=`` lower,
    ``<`` upper, ``*`` or no range: any); pre-releases only when a bound is one, as npm and
    cargo choose. Tags that are not versions are ignored."""
    lower, upper = name.lower, name.upper
    allow_pre = any(b is not None and _semver_key(b) and _semver_key(b)[3] is not None
                    for b in (lower, upper))
    best = None
    for tag in tags:
        key = _semver_key(tag)
        if key is None or (key[3] is not None and not allow_pre):
            continue
        if lower is not None and _order(key) < _order(_semver_key(lower)):
            continue
        if upper is not None and _order(key) >= _order(_semver_key(upper)):
            continue
        if best is None or _order(key) > _order(_semver_key(best)):
            best = tag
    return best


def _semver_key(text: str):
    """(major, minor, patch, pre-release identifiers or None) of a semver, or None."""
    import re
    m = re.fullmatch(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?"
                     r"(?:\+[0-9A-Za-z.-]+)?", text)
    if m is None:
        return None
    pre = tuple(m.group(4).split(".")) if m.group(4) else None
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), pre


def _order(key):
    """Semver precedence: a release above its pre-releases; numeric identifiers below
    alphanumeric ones, compared as numbers."""
    major, minor, patch, pre = key
    if pre is None:
        return (major, minor, patch, 1, ())
    return (major, minor, patch, 0, tuple((0, int(p), "") if p.isdigit() else (1, 0, p)
                                          for p in pre))
