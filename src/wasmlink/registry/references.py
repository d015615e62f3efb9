"""What a user names, parsed and checked before anything touches a registry or a store.

Three kinds of names reach the registry commands:

    localhost:5000/ns/name:1.0.0          an OCI reference (distribution-spec grammar):
    ghcr.io/ns/name@sha256:<64 hex>       REGISTRY[:PORT]/REPOSITORY[:TAG][@sha256:HEX]
    oci:PATH:REFERENCE                    a manifest in a local store (skopeo's convention): PATH
                                          runs to the first ':' after ``oci:``; REFERENCE is a tag,
                                          REPOSITORY:TAG, a wkg name or ``@sha256:HEX``
    ns:name@1.0.0                         a wkg package name (WIT kebab labels, semver version)

A wkg name maps to OCI the way wkg maps it: repository ``ns/name`` (after the registry's
namespace prefix), tag = the version (``latest`` without one).

Inside a store a manifest's name is one canonical key (the ``org.opencontainers.image.ref.name``
annotation): ``REPOSITORY:TAG`` when there is a repository, else the bare ``TAG`` (what skopeo
writes for ``oci:DIR:TAG``). A wkg name is stored under its OCI mapping, so ``ns:name@1.0.0``
and ``ns/name:1.0.0`` are the same manifest.

Everything here is a pure function of its text: no file system, no network. Checks are strict
(the grammar, not "whatever happens to work"), because these strings become index keys, URL
paths and, for the careless, file names: ``..``, absolute or empty components, NUL and
backslashes are refused with a message saying what was expected.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import UsageError

DEFAULT_TAG = "latest"
STORE_PREFIX = "oci:"

# distribution-spec grammar (docker/distribution's reference package says the same)
_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = re.compile(rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])"
                   r"(?::[0-9]+)?")
_ALGORITHM = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*")
_HEX = re.compile(r"[0-9a-f]*")
_MAX_NAME = 255     # registry + "/" + repository: what registries and clients accept

# WIT kebab labels as wkg accepts them (lowercase words, each starting with a letter)
_LABEL = re.compile(r"[a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)*")
_NUMBER = r"(?:0|[1-9][0-9]*)"
_PRE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
_SEMVER = re.compile(rf"{_NUMBER}\.{_NUMBER}\.{_NUMBER}(?:-{_PRE_ID}(?:\.{_PRE_ID})*)?"
                     r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?")

_REGISTRY_FORM = "REGISTRY[:PORT]/REPOSITORY[:TAG][@sha256:HEX], e.g. localhost:5000/ns/name:1.0.0"
_STORE_FORM = "oci:PATH:REFERENCE (REFERENCE a tag, REPOSITORY:TAG, ns:name@version or @sha256:HEX)"
_DIGEST_FORM = "sha256: and 64 lowercase hex digits"


@dataclass(frozen=True)
class Reference:
    """A parsed reference: to a registry (``registry`` set) or to a local store (``store_path``
    set). ``repository`` is None for a store's bare tag; ``tag`` and ``digest`` may both be set
    (the digest then decides what is fetched, the tag what is written)."""
    registry: str | None
    repository: str | None
    tag: str | None
    digest: str | None
    store_path: str | None = None

    @property
    def kind(self) -> str:
        return "store" if self.store_path is not None else "registry"

    @property
    def name(self) -> str | None:
        """The key a store keeps the manifest under (``REPOSITORY:TAG`` or ``TAG``), if tagged."""
        if self.tag is None:
            return None
        return store_key(self.repository, self.tag)

    def __str__(self) -> str:
        at = f"@{self.digest}" if self.digest else ""
        if self.kind == "store":
            return f"{STORE_PREFIX}{self.store_path}:{self.name or ''}{at}"
        tag = f":{self.tag}" if self.tag else ""
        return f"{self.registry}/{self.repository}{tag}{at}"


@dataclass(frozen=True)
class PackageName:
    """A wkg package name ``namespace:name[@version]``."""
    namespace: str
    name: str
    version: str | None = None

    @property
    def repository(self) -> str:
        """The OCI repository wkg uses (before a registry's namespace prefix)."""
        return f"{self.namespace}/{self.name}"

    @property
    def tag(self) -> str:
        """The OCI tag wkg uses: the version, ``latest`` without one."""
        if self.version is None:
            return DEFAULT_TAG
        if "+" in self.version:
            raise UsageError(f"invalid package name {str(self)!r}: version {self.version} has "
                             f"build metadata ('+...'), which an OCI tag cannot hold")
        return self.version

    def __str__(self) -> str:
        version = f"@{self.version}" if self.version else ""
        return f"{self.namespace}:{self.name}{version}"


def parse_reference(text: str) -> Reference:
    """A registry reference, or a store reference when it starts with ``oci:``."""
    if _text(text, "reference").startswith(STORE_PREFIX):
        return parse_store_reference(text)
    return parse_registry_reference(text)


def parse_registry_reference(text: str) -> Reference:
    """``REGISTRY[:PORT]/REPOSITORY[:TAG][@sha256:HEX]``; the tag defaults to ``latest`` when
    neither a tag nor a digest is given. The first component is the registry only when it looks
    like a host (has a '.' or a ':', or is ``localhost``), as docker decides it."""
    _text(text, "reference")
    fail = _failer("reference", text, _REGISTRY_FORM)
    if parse_wkg_name_or_none(text) is not None:
        fail("a wkg package name has no registry in it: give the registry, as in "
             "REGISTRY/ns/name:version")
    _no_escapes(text, fail)
    rest, digest = text, None
    if "@" in rest:
        rest, _, digest_text = rest.partition("@")
        digest = _digest(digest_text, fail)
    if any(part in (".", "..") for part in rest.split("/")):
        fail("a '.' or '..' path component is not allowed (it would escape a directory)")
    host, slash, path = rest.partition("/")
    if not slash or not ("." in host or ":" in host or host == "localhost"):
        fail("no registry: the first component must be a host (with a '.' or a ':', or "
             "'localhost')")
    if not _HOST.fullmatch(host):
        fail(f"{host!r} is not a registry host[:port]")
    tag = None
    last = path.rfind(":")
    if last != -1:
        path, tag = path[:last], path[last + 1:]
        _tag(tag, fail)
    _repository(path, fail)
    if len(host) + 1 + len(path) > _MAX_NAME:
        fail(f"the name is {len(host) + 1 + len(path)} characters long, more than {_MAX_NAME}")
    if tag is None and digest is None:
        tag = DEFAULT_TAG
    return Reference(host, path, tag, digest)


def parse_store_reference(text: str) -> Reference:
    """``oci:PATH:REFERENCE``: PATH runs to the first ':' after ``oci:`` (so it cannot hold one);
    REFERENCE as :func:`parse_store_name` reads it, or ``@sha256:HEX``, or both."""
    _text(text, "reference")
    fail = _failer("reference", text, _STORE_FORM)
    if not text.startswith(STORE_PREFIX):
        fail("it does not start with 'oci:'")
    path, colon, name = text[len(STORE_PREFIX):].partition(":")
    if not path:
        fail("no store directory after 'oci:'")
    if "\0" in path:
        fail("the store directory contains a NUL byte")
    if not colon or not name:
        fail(f"no reference after the store directory {path!r}")
    repository, tag, digest = _store_name(name, fail, allow_digest=True)
    return Reference(None, repository, tag, digest, store_path=path)


def parse_store_name(text: str) -> tuple[str | None, str]:
    """A manifest's name inside a store: ``TAG``, ``REPOSITORY:TAG``, ``REPOSITORY`` (tag
    ``latest``) or a wkg name ``ns:name@version`` (read as ``ns/name:version``). Returns
    (repository or None, tag). A bare word is a tag, as skopeo reads ``oci:DIR:WORD``; note that
    ``ns:name`` without a version is therefore REPOSITORY:TAG, not a wkg name."""
    _text(text, "name")
    repository, tag, _ = _store_name(text, _failer("name", text, "TAG, REPOSITORY:TAG or "
                                                    "ns:name@version"), allow_digest=False)
    return repository, tag


def canonical_name(text: str) -> str:
    """The one key a store records for a name (see :func:`parse_store_name`)."""
    return store_key(*parse_store_name(text))


def store_key(repository: str | None, tag: str) -> str:
    return f"{repository}:{tag}" if repository else tag


def parse_repository(text: str) -> str:
    """A repository path (``ns/name``); a wkg ``ns:name`` gives its OCI repository."""
    _text(text, "repository")
    fail = _failer("repository", text, "lowercase components separated by '/', e.g. ns/name")
    package = parse_wkg_name_or_none(text)
    if package is not None and package.version is None:
        return package.repository
    _repository(text, fail)
    return text


def parse_tag(text: str) -> str:
    _text(text, "tag")
    _tag(text, _failer("tag", text, "[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}"))
    return text


def parse_digest(text: str) -> str:
    """``sha256:`` and 64 lowercase hex digits; other algorithms are refused."""
    _text(text, "digest")
    return _digest(text, _failer("digest", text, _DIGEST_FORM))


def parse_wkg_name(text: str) -> PackageName:
    """``namespace:name[@version]``: lowercase kebab labels, a semver version."""
    _text(text, "package name")
    fail = _failer("package name", text, "namespace:name@version, e.g. wasi:http@0.2.0 "
                   "(lowercase kebab-case labels, a semver version)")
    head, at, version = text.partition("@")
    namespace, colon, name = head.partition(":")
    if not colon:
        fail("no ':' between namespace and name")
    for what, label in (("namespace", namespace), ("name", name)):
        if not _LABEL.fullmatch(label):
            fail(f"the {what} {label!r} is not a kebab-case label")
    if at and not _SEMVER.fullmatch(version):
        fail(f"{version!r} is not a semver version (MAJOR.MINOR.PATCH[-PRE][+BUILD])")
    return PackageName(namespace, name, version if at else None)


def parse_wkg_name_or_none(text: str) -> PackageName | None:
    try:
        return parse_wkg_name(text)
    except UsageError:
        return None


def wkg_to_oci(package: str | PackageName, registry: str, namespace_prefix: str = "") -> Reference:
    """The OCI reference wkg fetches a package from: ``REGISTRY/PREFIX NS/NAME:VERSION``."""
    if isinstance(package, str):
        package = parse_wkg_name(package)
    return parse_registry_reference(
        f"{registry}/{namespace_prefix}{package.repository}:{package.tag}")


# --- the pieces ---------------------------------------------------------------------------------

def _store_name(text, fail, *, allow_digest):
    digest = None
    at = text.rfind("@")
    if at != -1 and ":" in text[at + 1:]:       # '@alg:hex'; a wkg version has no ':'
        if not allow_digest:
            fail("a name cannot hold a digest")
        digest = _digest(text[at + 1:], fail)
        text = text[:at]
        if not text:
            return None, None, digest
    if "@" in text:                              # ns:name@version
        package = parse_wkg_name_or_none(text)
        if package is None:
            parse_wkg_name(text)                 # raises, saying what is wrong with it
        return package.repository, package.tag, digest
    if ":" in text:
        repository, _, tag = text.rpartition(":")
        _repository(repository, fail)
        _tag(tag, fail)
        return repository, tag, digest
    if "/" in text:
        _repository(text, fail)
        return text, DEFAULT_TAG, digest
    _tag(text, fail)
    return None, text, digest


def _repository(path, fail):
    if not path:
        fail("the repository is empty")
    _no_escapes(path, fail)
    for component in path.split("/"):
        if not component:
            fail("an empty path component (a leading, trailing or doubled '/')")
        if component in (".", ".."):
            fail(f"the path component {component!r} is not allowed (it would escape a directory)")
        if component != component.lower():
            fail(f"the path component {component!r} has uppercase letters (repositories are "
                 f"lowercase)")
        if not _PATH_COMPONENT.fullmatch(component):
            fail(f"the path component {component!r} is not lowercase letters and digits "
                 f"separated by '.', '_', '__' or '-'")


def _tag(tag, fail):
    _no_escapes(tag, fail)
    if not tag:
        fail("the tag is empty")
    if len(tag) > 128:
        fail(f"the tag is {len(tag)} characters long, more than 128")
    if not _TAG.fullmatch(tag):
        fail(f"the tag {tag!r} is not [a-zA-Z0-9_][a-zA-Z0-9._-]{{0,127}}")


def _digest(text, fail):
    _no_escapes(text, fail)
    algorithm, colon, encoded = text.partition(":")
    if not colon:
        fail("the digest has no algorithm")
    if algorithm != "sha256":
        if algorithm.lower() == "sha256":
            fail(f"the digest algorithm {algorithm!r} must be lowercase")
        what = "unsupported" if _ALGORITHM.fullmatch(algorithm) else "invalid"
        fail(f"{what} digest algorithm {algorithm!r}: only sha256 is supported")
    if encoded != encoded.lower():
        fail("the digest has uppercase hex digits (digests are lowercase)")
    if not _HEX.fullmatch(encoded):
        fail("the digest has characters that are not hex digits")
    if len(encoded) != 64:
        fail(f"the digest has {len(encoded)} hex digits, not 64")
    return text


def _no_escapes(text, fail):
    if "\0" in text:
        fail("it contains a NUL byte")
    if "\\" in text:
        fail("it contains a backslash")


def _text(text, what) -> str:
    if not isinstance(text, str):
        raise UsageError(f"a {what} must be a string, not {type(text).__name__}")
    return text


def _failer(what, text, expected):
    def fail(reason):
        raise UsageError(f"invalid {what} {text!r}: {reason}; expected {expected}")
    return fail
