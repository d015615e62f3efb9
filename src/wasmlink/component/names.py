"""Import and export names: the lexical grammar of the Explainer, parsed, checked and printed.

A component names each import and export with an ``externname`` string, and the string has a
structure hosts and linkers act on:

    plain names      greet, get-JSON, [constructor]blob, [method]blob.read, [static]blob.open
    interface names  wasi:http/handler, wasi:io/poll@0.2.9, a:b:c/d/e (🪺 nested)
    dependency names unlocked-dep=<ns:pkg@{>=1.2.3 <2.0.0}>,
                     locked-dep=<ns:pkg@1.2.3>,integrity=<...>
    URL names        url=<https://example.com/x.wasm>,integrity=<...>
    hash names       integrity=<sha256-BASE64>

The first two are the current ``externname`` of Explainer.md; the dependency, URL and hash
forms (import-only) are from the previous revision of its grammar, which wasm-tools still
accepts and which wasmlink's registry uses to name content (``integrity_name``). The integrity
metadata is W3C Subresource Integrity: whitespace-separated ``alg-BASE64[?options]``, alg one
of sha256 / sha384 / sha512.

``parse_name`` returns one named tuple per form; ``str()`` of it prints the name back exactly.
Decoding a binary does not parse names (that is validation's business); errors here are
NameSyntaxError, a ParseError without an offset, naming the name and what is wrong.
"""
from __future__ import annotations

import base64
import hashlib
import re
from typing import NamedTuple

from ..errors import ParseError

_LABEL = re.compile(r"(?:[a-z][0-9a-z]*|[A-Z][0-9A-Z]*)(?:-(?:[0-9a-z]+|[0-9A-Z]+))*")
_WORDS = re.compile(r"[a-z][0-9a-z]*(?:-[0-9a-z]+)*")
_NUM = r"(?:0|[1-9][0-9]*)"
_PRE = r"(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
_SEMVER = re.compile(rf"{_NUM}\.{_NUM}\.{_NUM}(?:-{_PRE}(?:\.{_PRE})*)?"
                     rf"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?")
_CANON_VERSION = re.compile(r"[1-9][0-9]*|0\.[1-9][0-9]*|0\.0\.[1-9][0-9]*|0\.0\.0")
_SEMVER_SUFFIX = re.compile(r"[0-9A-Za-z.+-]*")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
HASH_ALGORITHMS = {"sha256": 32, "sha384": 48, "sha512": 64}
ANNOTATIONS = ("constructor", "method", "static")


class NameSyntaxError(ParseError):
    """A malformed import or export name; ``name`` is the whole string."""

    def __init__(self, name: str, problem: str):
        super().__init__(f"invalid name `{name}`: {problem}")
        self.name = name
        self.problem = problem


# --- the forms ----------------------------------------------------------------------------------

class PlainName(NamedTuple):
    """``label``, ``[constructor]r``, ``[method]r.m`` or ``[static]r.m``: ``label`` is the
    first label (the resource for annotated names), ``item`` the method's."""
    label: str
    annotation: str | None = None
    item: str | None = None

    @property
    def resource(self) -> str | None:
        return self.label if self.annotation else None

    def __str__(self) -> str:
        if self.annotation is None:
            return self.label
        if self.annotation == "constructor":
            return f"[constructor]{self.label}"
        return f"[{self.annotation}]{self.label}.{self.item}"


class InterfaceName(NamedTuple):
    """``ns:pkg/iface@version``. With 🪺 nesting, ``namespace`` holds every namespace (``a:b``)
    and ``interface`` every projection (``d/e``), each as written."""
    namespace: str
    package: str
    interface: str
    version: str | None = None

    @property
    def package_name(self) -> str:
        return f"{self.namespace}:{self.package}"

    @property
    def unversioned(self) -> str:
        return f"{self.namespace}:{self.package}/{self.interface}"

    def __str__(self) -> str:
        return self.unversioned + (f"@{self.version}" if self.version is not None else "")


class Hash(NamedTuple):
    """One ``alg-BASE64[?options]`` of integrity metadata."""
    algorithm: str
    value: str               # the base64 text, as written
    options: str | None = None

    @property
    def digest(self) -> bytes:
        return base64.b64decode(self.value)

    def matches(self, data) -> bool:
        """Whether ``data`` hashes to this digest."""
        return hashlib.new(self.algorithm, data).digest() == self.digest

    def __str__(self) -> str:
        return f"{self.algorithm}-{self.value}" + (f"?{self.options}" if self.options is not None
                                                    else "")


class HashName(NamedTuple):
    """``integrity=<metadata>``; ``metadata`` as written (separators included)."""
    metadata: str

    @property
    def hashes(self) -> tuple:
        return tuple(_parse_hash(h) for h in self.metadata.split())

    @property
    def sha256(self) -> bytes | None:
        for h in self.hashes:
            if h.algorithm == "sha256":
                return h.digest
        return None

    def matches(self, data) -> bool:
        """SRI: the strongest algorithm listed decides; any of its digests may match."""
        hashes = self.hashes
        best = max(HASH_ALGORITHMS[h.algorithm] for h in hashes)
        return any(h.matches(data) for h in hashes if HASH_ALGORITHMS[h.algorithm] == best)

    def __str__(self) -> str:
        return f"integrity=<{self.metadata}>"


class UnlockedDepName(NamedTuple):
    """``unlocked-dep=<pkg@range>``: ``range`` is what the ``@`` introduces, without braces:
    ``*``, ``>=1.2.3``, ``<2.0.0`` or ``>=1.2.3 <2.0.0`` (None: no range)."""
    package: str
    range: str | None = None

    @property
    def lower(self) -> str | None:
        if self.range and self.range.startswith(">="):
            return self.range[2:].split(" ")[0]
        return None

    @property
    def upper(self) -> str | None:
        if self.range and self.range != "*":
            last = self.range.split(" ")[-1]
            return last[1:] if last.startswith("<") else None
        return None

    def __str__(self) -> str:
        if self.range is None:
            return f"unlocked-dep=<{self.package}>"
        if self.range == "*":
            return f"unlocked-dep=<{self.package}@*>"
        return f"unlocked-dep=<{self.package}@{{{self.range}}}>"


class LockedDepName(NamedTuple):
    """``locked-dep=<pkg@version>`` with an optional ``,integrity=<...>``."""
    package: str
    version: str | None = None
    integrity: HashName | None = None

    def __str__(self) -> str:
        out = f"locked-dep=<{self.package}" + (f"@{self.version}" if self.version else "") + ">"
        return out + (f",{self.integrity}" if self.integrity else "")


class UrlName(NamedTuple):
    """``url=<...>`` with an optional ``,integrity=<...>``."""
    url: str
    integrity: HashName | None = None

    def __str__(self) -> str:
        return f"url=<{self.url}>" + (f",{self.integrity}" if self.integrity else "")


IMPORT_ONLY = (UnlockedDepName, LockedDepName, UrlName, HashName)


# --- parsing ------------------------------------------------------------------------------------

def parse_name(name: str):
    """Parse an import or export name into its form (PlainName, InterfaceName, HashName...)."""
    if not isinstance(name, str):
        raise TypeError(f"a name is a str, not {type(name).__name__}")
    if name.startswith("["):
        return _parse_annotated(name)
    if name.startswith("unlocked-dep="):
        return _parse_unlocked_dep(name)
    if name.startswith("locked-dep="):
        return _parse_locked_dep(name)
    if name.startswith("url="):
        return _parse_url(name)
    if name.startswith("integrity="):
        metadata, rest = _bracketed(name, "integrity=", name)
        if rest:
            raise NameSyntaxError(name, f"unexpected `{rest}` after the integrity metadata")
        return _hash_name(name, metadata)
    if ":" in name or "/" in name or "@" in name:
        return _parse_interface(name)
    _check_label(name, name, "a plain name")
    return PlainName(name)


def parse_export_name(name: str):
    """As parse_name, but only the forms an export may have (plain and interface names)."""
    parsed = parse_name(name)
    if isinstance(parsed, IMPORT_ONLY):
        raise NameSyntaxError(name, f"a {_FORM_NAMES[type(parsed)]} is only allowed as an "
                                    f"import name")
    return parsed


_FORM_NAMES = {UnlockedDepName: "dependency name", LockedDepName: "dependency name",
               UrlName: "URL name", HashName: "hash name"}


def is_valid_name(name: str) -> bool:
    try:
        parse_name(name)
    except NameSyntaxError:
        return False
    return True


def _check_label(name: str, label: str, what: str) -> None:
    if not label:
        raise NameSyntaxError(name, f"{what} is empty")
    if not _LABEL.fullmatch(label):
        raise NameSyntaxError(name, f"`{label}` ({what}) is not a kebab-case label: words of "
                                    f"[a-z0-9] or acronyms of [A-Z0-9] joined by single `-`, "
                                    f"starting with a letter")


def _check_words(name: str, words: str, what: str) -> None:
    if not words:
        raise NameSyntaxError(name, f"{what} is empty")
    if not _WORDS.fullmatch(words):
        raise NameSyntaxError(name, f"`{words}` ({what}) is not lowercase kebab-case words "
                                    f"([a-z][0-9a-z]* joined by single `-`)")


def _check_semver(name: str, version: str, what: str = "version") -> None:
    if not _SEMVER.fullmatch(version):
        raise NameSyntaxError(name, f"`{version}` ({what}) is not a valid semver "
                                    f"(MAJOR.MINOR.PATCH[-pre][+build])")


def _parse_annotated(name: str) -> PlainName:
    close = name.find("]")
    annotation = name[1:close] if close > 0 else ""
    if annotation not in ANNOTATIONS:
        raise NameSyntaxError(name, f"unknown annotation `{name[:close + 1] or name}`: expected "
                                    f"[constructor], [method] or [static]")
    rest = name[close + 1:]
    if annotation == "constructor":
        _check_label(name, rest, "the resource")
        return PlainName(rest, "constructor")
    resource, dot, item = rest.partition(".")
    if not dot:
        raise NameSyntaxError(name, f"[{annotation}] needs `resource.function`, found no `.`")
    _check_label(name, resource, "the resource")
    _check_label(name, item, f"the {annotation} function")
    return PlainName(resource, annotation, item)


def _split_package_path(name: str, path: str, need_projection: bool) -> tuple[str, str, str]:
    """``ns(:ns)*:pkg(/label)*`` → (namespaces, package, projections)."""
    head, slash, projections = path.partition("/")
    parts = head.split(":")
    if len(parts) < 2:
        raise NameSyntaxError(name, f"expected `namespace:package` in `{path}`, found no `:`")
    for ns in parts[:-1]:
        _check_words(name, ns, "the namespace")
    _check_words(name, parts[-1], "the package name")
    if slash:
        for label in projections.split("/"):
            _check_label(name, label, "the interface name")
    elif need_projection:
        raise NameSyntaxError(name, f"expected `/interface` after the package `{head}`")
    return ":".join(parts[:-1]), parts[-1], projections


def _parse_interface(name: str) -> InterfaceName:
    path, at, version = name.partition("@")
    namespace, package, interface = _split_package_path(name, path, True)
    if at:
        if not (_SEMVER.fullmatch(version) or _CANON_VERSION.fullmatch(version)):
            raise NameSyntaxError(name, f"`{version}` (the interface version) is neither a valid "
                                        f"semver nor a canonical version (1, 0.2, 0.0.3)")
    return InterfaceName(namespace, package, interface, version if at else None)


def _bracketed(name: str, prefix: str, text: str) -> tuple[str, str]:
    """``prefix<inside>rest`` → (inside, rest); ``inside`` may not contain ``<``."""
    if not text.startswith(prefix + "<"):
        raise NameSyntaxError(name, f"expected `<` after `{prefix}`")
    close = text.find(">", len(prefix) + 1)
    if close < 0:
        raise NameSyntaxError(name, f"missing `>` closing `{prefix}<`")
    inside = text[len(prefix) + 1:close]
    if "<" in inside:
        raise NameSyntaxError(name, f"`<` inside `{prefix}<...>`")
    return inside, text[close + 1:]


def _optional_integrity(name: str, rest: str) -> HashName | None:
    if not rest:
        return None
    if not rest.startswith(","):
        raise NameSyntaxError(name, f"unexpected `{rest}`: expected `,integrity=<...>` or the end")
    metadata, tail = _bracketed(name, "integrity=", rest[1:])
    if tail:
        raise NameSyntaxError(name, f"unexpected `{tail}` after the integrity metadata")
    return _hash_name(name, metadata)


def _parse_unlocked_dep(name: str) -> UnlockedDepName:
    # read left to right rather than with _bracketed: the range itself holds `>=` and `<`
    prefix = "unlocked-dep="
    if not name.startswith(prefix + "<"):
        raise NameSyntaxError(name, f"expected `<` after `{prefix}`")
    rest = name[len(prefix) + 1:]
    path = re.match(r"[^@<>]*", rest).group(0)
    rest = rest[len(path):]
    rng = None
    if rest.startswith("@*"):
        rng, rest = "*", rest[2:]
    elif rest.startswith("@{"):
        close = rest.find("}")
        if close < 0:
            raise NameSyntaxError(name, "missing `}` closing the version range")
        rng, rest = rest[2:close], rest[close + 1:]
    elif rest.startswith("@"):
        query = rest[1:].split(">")[0]
        raise NameSyntaxError(name, f"version range `@{query}`: expected `@*` or `@{{...}}`")
    if not rest.startswith(">"):
        raise NameSyntaxError(name, f"missing `>` closing `{prefix}<`" if not rest else
                              f"unexpected `{rest}` in `{prefix}<...>`")
    if rest[1:]:
        raise NameSyntaxError(name, f"unexpected `{rest[1:]}` after `{prefix}<...>`")
    _split_package_path(name, path, False)
    if rng is None or rng == "*":
        return UnlockedDepName(path, rng)
    if rng.startswith(">="):
        lower, space, upper = rng[2:].partition(" ")
        _check_semver(name, lower, "the lower bound")
        if space:
            if not upper.startswith("<"):
                raise NameSyntaxError(name, f"expected `<` before the upper bound `{upper}`")
            _check_semver(name, upper[1:], "the upper bound")
    elif rng.startswith("<"):
        _check_semver(name, rng[1:], "the upper bound")
    else:
        raise NameSyntaxError(name, f"version range `{{{rng}}}`: expected `>=` or `<` at its "
                                    f"start")
    return UnlockedDepName(path, rng)


def _parse_locked_dep(name: str) -> LockedDepName:
    inside, rest = _bracketed(name, "locked-dep=", name)
    path, at, version = inside.partition("@")
    _split_package_path(name, path, False)
    if at:
        _check_semver(name, version)
    return LockedDepName(path, version if at else None, _optional_integrity(name, rest))


def _parse_url(name: str) -> UrlName:
    url, rest = _bracketed(name, "url=", name)
    return UrlName(url, _optional_integrity(name, rest))


def _parse_hash(text: str, name: str = "") -> Hash:
    algorithm, dash, rest = text.partition("-")
    if algorithm not in HASH_ALGORITHMS:
        raise NameSyntaxError(name, f"unknown hash algorithm `{algorithm}` in `{text}`: expected "
                                    f"sha256, sha384 or sha512")
    if not dash:
        raise NameSyntaxError(name, f"expected `-` after the hash algorithm in `{text}`")
    value, question, options = rest.partition("?")
    if not _BASE64.fullmatch(value):
        raise NameSyntaxError(name, f"`{value}` is not valid base64 (in `{text}`)")
    return Hash(algorithm, value, options if question else None)


def _hash_name(name: str, metadata: str) -> HashName:
    hashes = metadata.split()
    if not hashes:
        raise NameSyntaxError(name, "the integrity metadata is empty")
    for h in hashes:
        _parse_hash(h, name)
    return HashName(metadata)


# --- building and comparing ----------------------------------------------------------------------

def integrity_name(digest: bytes, algorithm: str = "sha256") -> str:
    """``integrity=<sha256-BASE64>`` for a raw digest (base64 with padding, as SRI has it)."""
    size = HASH_ALGORITHMS.get(algorithm)
    if size is None:
        raise ValueError(f"unknown hash algorithm {algorithm!r}: expected sha256, sha384 or "
                         f"sha512")
    if len(digest) != size:
        raise ValueError(f"a {algorithm} digest has {size} bytes, not {len(digest)}")
    return f"integrity=<{algorithm}-{base64.b64encode(digest).decode('ascii')}>"


def integrity_name_of(data, algorithm: str = "sha256") -> str:
    """The hash name of some bytes (a component, a module): ``integrity=<sha256-...>``."""
    return integrity_name(hashlib.new(algorithm, data).digest(), algorithm)


def split_version(version: str) -> tuple[str, str]:
    """🔗 A semver split into its canonical version and the suffix, as the Explainer says:
    ``1.2.3`` → (``1``, ``.2.3``), ``0.2.6-rc.1`` → (``0.2``, ``.6-rc.1``), ``0.0.1-alpha`` →
    (``0.0.1``, ``-alpha``)."""
    if not _SEMVER.fullmatch(version):
        raise ValueError(f"`{version}` is not a valid semver")
    major, minor, rest = version.split(".", 2)
    if major != "0":
        return major, "." + minor + "." + rest
    if minor != "0":
        return f"0.{minor}", "." + rest
    patch = re.match(r"[0-9]+", rest).group(0)
    return f"0.0.{patch}", rest[len(patch):]


def is_version_suffix(suffix: str) -> bool:
    return bool(_SEMVER_SUFFIX.fullmatch(suffix))


def uniqueness_key(name: str) -> str:
    """The canonical form under which two names must differ to be *strongly-unique*: acronyms
    lowercased, ``[method]l.l`` / ``[static]l.l`` reduced to ``l``, and annotations other than
    ``[constructor]`` removed."""
    lowered = name.lower()
    for annotation in ("[method]", "[static]"):
        if lowered.startswith(annotation):
            resource, _, item = lowered[len(annotation):].partition(".")
            return resource if resource == item else f"{resource}.{item}"
    return lowered
