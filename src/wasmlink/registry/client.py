"""A small OCI distribution client: blobs and manifests of one registry host, over http.py.

Why our own and not oras-py (0.2.x, the maintained Python OCI client): it has no
cross-repository mount, no resumable uploads (a failed PATCH is retried as is, and a session is
never asked where it stands), its monolithic upload reads the whole blob into memory, its
retries are fixed waits of seconds on HTTP 500 only (not 502/503/504/429, not injectable), and
it pulls in requests and jsonschema, which ``import wasmlink`` must not load.

``RegistryClient(host)`` talks to one registry; ``client.repository(name)`` is a
``RegistryRepository``, which implements the registry package's Repository protocol (see
``__init__.py``) plus ``mount_blob``. How each operation goes over the wire
(the OCI distribution spec, as CNCF distribution implements it):

    has_blob        HEAD /v2/NAME/blobs/DIGEST                       200 yes, 404 no
    put_blob        HEAD first (there already: nothing is sent, False), then a mount from each
                    ``mount_from`` repository (POST .../blobs/uploads/?mount=D&from=R: 201
                    mounted, False; 202 an ordinary upload session instead), then an upload:
                      monolithic (size <= monolithic_limit): POST .../uploads/ -> Location;
                        PUT Location&digest=D with the whole body -> 201
                      chunked: POST; PATCH Location with Content-Range per chunk_size bytes,
                        each answer's Range checked and its Location used for the next; PUT
                        Location&digest=D with no body
    get_blob(_to)   GET /v2/NAME/blobs/DIGEST, streamed, sha256-checked; to a file atomically
    put_manifest    PUT /v2/NAME/manifests/REF with the manifest's media type as Content-Type
    get_manifest    GET with Accept for OCI manifests and indexes and Docker v2 manifests/lists
    tags            GET /v2/NAME/tags/list, following Link: <...>; rel="next"

Failures. Connection errors, timeouts, 429 and 5xx are retried up to ``RetryPolicy.attempts``
times with exponential backoff and jitter; any other 4xx is an error at once. An upload
recovers instead of starting again where it can: after a failed PATCH it asks the session
where it stands (GET Location -> Range) and continues from there; a session the registry no
longer knows (404 BLOB_UPLOAD_UNKNOWN/INVALID, a Range that is not what was sent) is abandoned
for a new one; after a failed final PUT it first checks whether the blob arrived anyway. Only
failures without new progress count against the attempts, so a long upload on a flaky link
still finishes and a hopeless one still stops. What is left is one WasmlinkError naming the
registry, the operation and the last cause:

    registry 127.0.0.1:5000: upload of blob sha256:ab12cd34ef56… failed after 5 attempts: HTTP 500

Manifests are pushed by the caller after its blobs (the registry also refuses a manifest whose
blobs it lacks), so a push killed at any point leaves no manifest that points at nothing.
``stats`` counts what the client did, for push reports and benchmarks.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import urllib.parse
from dataclasses import asdict, dataclass
from typing import Callable, Iterable, Iterator

from ..errors import UsageError, WasmlinkError
from ..output import write_atomically
from .auth import Authenticator, Credentials, find_credentials
from .http import (RETRYABLE_STATUSES, ConnectionPool, Origin, Response, RetryPolicy,
                   TransportError, is_loopback)

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_ACCEPT = ", ".join((OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST))

MONOLITHIC_LIMIT = 8 << 20      # blobs up to this size go in one PUT
CHUNK_SIZE = 8 << 20            # PATCH size of a chunked upload
MANIFEST_LIMIT = 4 << 20        # distribution's own limit on manifest size
ERROR_BODY_LIMIT = 64 << 10
REDIRECT_LIMIT = 5
TAG_PAGE_LIMIT = 1000
USER_AGENT = "wasmlink"

_NAME_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
REPOSITORY_NAME = re.compile(rf"{_NAME_COMPONENT}(?:/{_NAME_COMPONENT})*")
TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
DIGEST = re.compile(r"(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})")
_RANGE = re.compile(r"(?:bytes=)?0-(\d+)")
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class NotFoundError(WasmlinkError):
    """The registry does not have the blob, manifest or repository asked for."""


@dataclass
class TransferStats:
    """What a client did; ``bytes_sent`` counts blob bytes handed to the network, resent
    ones included, ``retries`` every wait before another attempt."""

    blobs_uploaded: int = 0
    bytes_sent: int = 0
    blobs_skipped: int = 0
    mounts: int = 0
    retries: int = 0
    blobs_downloaded: int = 0
    bytes_received: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def short_digest(digest: str) -> str:
    algorithm, _, hex_digits = digest.partition(":")
    return f"{algorithm}:{hex_digits[:12]}…"


def check_digest(digest: str) -> str:
    if not isinstance(digest, str) or not DIGEST.fullmatch(digest):
        raise UsageError(f"invalid digest {digest!r}: expected sha256:<64 hex digits>")
    return digest


def compute_digest(data, algorithm: str = "sha256") -> str:
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


class _Retry(Exception):
    """One attempt failed in a way another attempt may not (5xx, 429, the connection)."""

    def __init__(self, cause: str, retry_after: float | None = None):
        super().__init__(cause)
        self.cause = cause
        self.retry_after = retry_after


class _SessionLost(Exception):
    """The upload session cannot be continued; a new one has to be started."""

    def __init__(self, cause: str):
        super().__init__(cause)
        self.cause = cause


def status_text(status: int, body: bytes | None) -> str:
    """``HTTP 404: MANIFEST_UNKNOWN: manifest unknown`` from a registry's JSON error body."""
    text = f"HTTP {status}"
    try:
        errors = json.loads(body or b"").get("errors") or []
        details = [f"{e.get('code', '?')}: {e.get('message', '')}".rstrip(": ")
                   for e in errors if isinstance(e, dict)]
    except (ValueError, AttributeError):
        details = []
    return text + (": " + "; ".join(details) if details else "")


def _error_codes(body: bytes | None) -> set[str]:
    try:
        return {e.get("code") for e in json.loads(body or b"").get("errors") or []
                if isinstance(e, dict)}
    except (ValueError, AttributeError):
        return set()


def _retry_after(response: Response) -> float | None:
    value = response.header("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class _BlobSource:
    """A blob to upload, from memory or from a file, read in ranges without loading it whole;
    every byte read (= handed to the connection) is counted in ``on_read``."""

    def __init__(self, source, on_read: Callable[[int], None]):
        self._fd = None
        self._view = None
        self._on_read = on_read
        if isinstance(source, (str, os.PathLike)):
            self.path = os.fspath(source)
            try:
                self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
                self.size = os.fstat(self._fd).st_size
            except OSError as e:
                self.close()
                raise WasmlinkError(f"cannot read blob: {e.strerror}", path=self.path) from None
        else:
            self.path = None
            try:
                self._view = memoryview(source).cast("B")
            except TypeError:
                raise UsageError(f"a blob is bytes-like or a file path, not "
                                 f"{type(source).__name__}") from None
            self.size = len(self._view)

    def reader(self, offset: int, length: int) -> Callable[[], "_RangeReader"]:
        """A factory of fresh readers of [offset, offset+length) (a request may be resent)."""
        return lambda: _RangeReader(self, offset, length)

    def read_at(self, offset: int, size: int):
        self._on_read(size)
        if self._view is not None:
            return self._view[offset:offset + size]
        try:
            data = os.pread(self._fd, size, offset)
        except OSError as e:
            raise WasmlinkError(f"cannot read blob: {e.strerror}", path=self.path) from None
        if len(data) != size:
            raise WasmlinkError("blob file changed size while it was uploaded", path=self.path)
        return data

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._view is not None:
            self._view.release()
            self._view = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _RangeReader:
    def __init__(self, source: _BlobSource, offset: int, length: int):
        self._source = source
        self._position = offset
        self._end = offset + length

    def read(self, size: int = -1):
        remaining = self._end - self._position
        if size is None or size < 0 or size > remaining:
            size = remaining
        if size == 0:
            return b""
        data = self._source.read_at(self._position, size)
        self._position += size
        return data


class RegistryClient:
    """A client of one registry host (``host`` or ``host:port``; never anything else).

    ``user``/``password`` (or the environment, or ``docker_config``: see auth.py) are used
    when the registry asks for authentication. ``insecure`` allows plain http to a host that
    is not loopback. ``token_hosts`` are further host names a bearer-token realm may be on."""

    def __init__(self, host: str, *, user: str | None = None, password: str | None = None,
                 insecure: bool = False, docker_config: str | os.PathLike | None = None,
                 environ=None, retry: RetryPolicy | None = None, timeout: float = 30.0,
                 monolithic_limit: int = MONOLITHIC_LIMIT, chunk_size: int = CHUNK_SIZE,
                 token_hosts: Iterable[str] = (), ssl_context=None):
        if chunk_size < 1:
            raise UsageError("chunk size must be at least 1 byte")
        self.origin = Origin.parse(host, insecure=insecure)
        self.host = self.origin.netloc
        self.insecure = insecure
        self.retry = retry or RetryPolicy()
        self.monolithic_limit = monolithic_limit
        self.chunk_size = chunk_size
        self.timeout = timeout
        self.stats = TransferStats()
        self._stats_lock = threading.Lock()
        self._ssl_context = ssl_context
        self._pool = ConnectionPool(self.origin, timeout=timeout, ssl_context=ssl_context)
        self._token_pools: dict[Origin, ConnectionPool] = {}
        self._token_hosts = {self.origin.hostname.lower(), *(h.lower() for h in token_hosts)}
        default_port = self.origin.port == (443 if self.origin.scheme == "https" else 80)

        def lookup() -> Credentials | None:
            return find_credentials(self.host, default_port=default_port, user=user,
                                    password=password, environ=environ,
                                    docker_config=docker_config)

        self._auth = Authenticator(self.host, lookup, self._fetch_token)

    # --- the public API -------------------------------------------------------------------

    def repository(self, name: str, *, mount_from: Iterable[str] = ()) -> "RegistryRepository":
        """The repository ``name`` on this registry; ``put_blob`` tries to mount missing blobs
        from the ``mount_from`` repositories (same registry) before uploading them."""
        return RegistryRepository(self, name, tuple(mount_from))

    def tags(self, repository: str) -> list[str]:
        """The repository's tags, sorted; [] for a repository the registry does not know."""
        name = _check_repository(repository)
        url = f"/v2/{name}/tags/list?n={TAG_PAGE_LIMIT}"
        found: set[str] = set()
        for _ in range(TAG_PAGE_LIMIT):
            response = self.call(f"tag list of {name}", "GET", url, scope=_pull_scope(name),
                                  ok=(200,), allow=(404,))
            if response.status == 404:
                return []
            try:
                found.update(json.loads(response.body).get("tags") or [])
            except (ValueError, AttributeError, TypeError):
                raise WasmlinkError(f"registry {self.host}: tag list of {name}: "
                                    f"not a JSON tag list") from None
            links = [m.group(1) for h in response.header_all("Link") for m in _LINK_NEXT.finditer(h)]
            if not links:
                break
            url = links[0]
        return sorted(found)

    def check(self) -> None:
        """Make sure the registry answers the distribution API (GET /v2/), authenticating if
        it asks; raises WasmlinkError otherwise."""
        self.call("API check", "GET", "/v2/", scope="", ok=(200,))

    def close(self) -> None:
        self._pool.close()
        for pool in self._token_pools.values():
            pool.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- requests -------------------------------------------------------------------------

    def count(self, **increments: int) -> None:
        with self._stats_lock:
            for name, value in increments.items():
                setattr(self.stats, name, getattr(self.stats, name) + value)

    def target(self, url: str) -> str:
        """The request target of a URL from the registry, refusing any other host."""
        target = self.origin.target(url)
        if target is None:
            raise WasmlinkError(f"registry {self.host}: refusing to follow {url!r} to another "
                                f"host (wasmlink only contacts {self.origin.url})")
        return target

    def exchange(self, operation: str, method: str, url: str, *, scope: str,
                 headers: dict[str, str] | None = None, body=None, stream: bool = False,
                 replayable: bool = True) -> Response:
        """One request, with the authentication it takes (a 401 is answered once).
        Raises _Retry for what is worth another attempt; returns every other response."""
        target = self.target(url)
        sent = self._auth.header(scope)
        for answered in (False, True):
            request_headers = {"User-Agent": USER_AGENT, **(headers or {})}
            if sent:
                request_headers["Authorization"] = sent
            try:
                response = self._pool.request(method, target, headers=request_headers, body=body,
                                              stream=stream, replayable=replayable)
            except TransportError as e:
                raise _Retry(e.cause) from None
            if response.status == 401:
                detail = status_text(401, _error_body(response))
                challenges = response.header_all("WWW-Authenticate")
                response.close()
                if not answered:
                    sent = self._auth.answer(challenges, scope, sent)
                    if sent is not None:
                        continue
                raise WasmlinkError(f"registry {self.host}: {operation}: authentication failed "
                                    f"for {self._auth.identity()}: {detail}")
            if response.status in RETRYABLE_STATUSES:
                cause = status_text(response.status, _error_body(response))
                retry_after = _retry_after(response)
                response.close()
                raise _Retry(cause, retry_after)
            return response
        raise AssertionError("unreachable")

    def call(self, operation: str, method: str, url: str, *, scope: str, ok: tuple[int, ...],
             allow: tuple[int, ...] = (), **request) -> Response:
        """``exchange`` retried per the policy; a status in ``ok`` or ``allow`` is returned,
        any other is an error (NotFoundError for 404)."""
        failures = 0
        while True:
            try:
                response = self.exchange(operation, method, url, scope=scope, **request)
            except _Retry as e:
                failures = self.failed_attempt(operation, failures, e)
                continue
            if response.status in ok or response.status in allow:
                return response
            raise self.refusal(operation, response)

    def failed_attempt(self, operation: str, failures: int, error: "_Retry | _SessionLost") -> int:
        """Count one more failure; wait before the next attempt, or raise when none is left."""
        failures += 1
        if failures >= self.retry.attempts:
            plural = "s" if failures != 1 else ""
            raise WasmlinkError(f"registry {self.host}: {operation} failed after {failures} "
                                f"attempt{plural}: {error.cause}")
        self.count(retries=1)
        self.retry.wait(failures, getattr(error, "retry_after", None))
        return failures

    def refusal(self, operation: str, response: Response) -> WasmlinkError:
        body = _error_body(response)
        response.close()
        kind = NotFoundError if response.status == 404 else WasmlinkError
        return kind(f"registry {self.host}: {operation}: {status_text(response.status, body)}")

    def get_following(self, operation: str, url: str, *, scope: str, headers=None,
                      stream: bool = False) -> Response:
        """GET, following redirects on this origin (retries per the policy)."""
        for _ in range(REDIRECT_LIMIT):
            response = self.call(operation, "GET", url, scope=scope, ok=(200,),
                                 allow=(301, 302, 303, 307, 308), headers=headers, stream=stream)
            if response.status == 200:
                return response
            location = response.header("Location")
            response.close()
            if not location:
                raise WasmlinkError(f"registry {self.host}: {operation}: redirect without a Location")
            url = urllib.parse.urljoin(self.origin.url + self.target(url), location)
        raise WasmlinkError(f"registry {self.host}: {operation}: more than {REDIRECT_LIMIT} redirects")

    def _fetch_token(self, realm: str, service: str | None, scopes: list[str],
                     credentials: Credentials | None) -> tuple[str, float]:
        split = urllib.parse.urlsplit(realm)
        hostname = (split.hostname or "").lower()
        if split.scheme not in ("http", "https") or hostname not in self._token_hosts:
            raise WasmlinkError(f"registry {self.host}: refusing to ask the token realm {realm!r}: "
                                f"it is not on {self.origin.hostname} (allow its host with token_hosts)")
        if split.scheme == "http" and not (is_loopback(hostname) or self.insecure):
            raise WasmlinkError(f"registry {self.host}: refusing to send credentials to the "
                                f"plain-http token realm {realm!r}")
        origin = Origin(split.scheme, hostname, split.port or (80 if split.scheme == "http" else 443))
        pool = self._token_pools.get(origin)
        if pool is None:
            pool = self._token_pools[origin] = ConnectionPool(origin, timeout=self.timeout,
                                                              ssl_context=self._ssl_context)
        query = urllib.parse.parse_qsl(split.query)
        if service:
            query.append(("service", service))
        query += [("scope", scope) for scope in scopes]
        target = (split.path or "/") + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"User-Agent": USER_AGENT}
        if credentials is not None:
            headers["Authorization"] = credentials.basic_header()
        operation = f"token request to {realm}"
        failures = 0
        while True:
            try:
                response = pool.request("GET", target, headers=headers)
            except TransportError as e:
                failures = self.failed_attempt(operation, failures, _Retry(e.cause))
                continue
            if response.status in RETRYABLE_STATUSES:
                failures = self.failed_attempt(operation, failures, _Retry(
                    status_text(response.status, response.body), _retry_after(response)))
                continue
            break
        if response.status in (401, 403):
            raise WasmlinkError(f"registry {self.host}: authentication failed for "
                                f"{self._auth.identity()}: the token realm {realm} answered "
                                f"{status_text(response.status, response.body)}")
        if response.status != 200:
            raise WasmlinkError(f"registry {self.host}: {operation}: "
                                f"{status_text(response.status, response.body)}")
        try:
            document = json.loads(response.body)
            token = document.get("token") or document.get("access_token")
            lifetime = float(document.get("expires_in") or 60)
        except (ValueError, AttributeError, TypeError):
            token = None
        if not isinstance(token, str) or not token or any(c in token for c in "\r\n"):
            raise WasmlinkError(f"registry {self.host}: {operation}: the answer has no token")
        return token, lifetime


def _error_body(response: Response) -> bytes:
    if response.body is not None:
        return response.body
    try:
        return response.read_all(ERROR_BODY_LIMIT)
    except TransportError:
        return b""


def _check_repository(name: str) -> str:
    if not isinstance(name, str) or len(name) > 255 or not REPOSITORY_NAME.fullmatch(name):
        raise UsageError(f"invalid repository name {name!r}: expected lower-case path "
                         f"components like ns/name")
    return name


def _check_reference(reference: str) -> str:
    if not isinstance(reference, str) or not (TAG.fullmatch(reference) or DIGEST.fullmatch(reference)):
        raise UsageError(f"invalid manifest reference {reference!r}: expected a tag or a digest")
    return reference


def _pull_scope(name: str) -> str:
    return f"repository:{name}:pull"


def _push_scope(name: str) -> str:
    return f"repository:{name}:pull,push"


def _with_query(url: str, **params: str) -> str:
    return url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params)


def _range_end(response: Response) -> int | None:
    """The number of bytes a session holds, from its Range header (``0-<last byte>``).
    ``0-0`` is read as nothing: distribution says so for an empty session."""
    match = _RANGE.fullmatch((response.header("Range") or "").strip())
    if match is None:
        return None
    last = int(match.group(1))
    return last + 1 if last > 0 else 0


class RegistryRepository:
    """One repository of a registry: the Repository protocol (registry/__init__.py) + mounts."""

    def __init__(self, client: RegistryClient, name: str, mount_from: tuple[str, ...] = ()):
        self.client = client
        self.name = _check_repository(name)
        self.mount_from = tuple(_check_repository(r) for r in mount_from)

    def __repr__(self) -> str:
        return f"RegistryRepository({self.client.host}/{self.name})"

    # --- blobs ----------------------------------------------------------------------------

    def has_blob(self, digest: str) -> bool:
        return self._has_blob(check_digest(digest), _pull_scope(self.name))

    def _has_blob(self, digest: str, scope: str) -> bool:
        response = self.client.call(f"check of blob {short_digest(digest)}", "HEAD",
                                    self._blob_url(digest), scope=scope, ok=(200,), allow=(404,))
        return response.status == 200

    def put_blob(self, digest: str, source) -> bool:
        """Make the blob present; False when nothing had to be uploaded (it was there, or it
        was mounted from a ``mount_from`` repository). ``source``: bytes-like or a file path."""
        check_digest(digest)
        with _BlobSource(source, lambda n: self.client.count(bytes_sent=n)) as blob:
            if self._has_blob(digest, _push_scope(self.name)):
                self.client.count(blobs_skipped=1)
                return False
            session = None
            candidates = [r for r in self.mount_from if r != self.name]
            for i, origin in enumerate(candidates):
                mounted, session = self._mount(digest, origin)
                if mounted:
                    self.client.count(mounts=1)
                    return False
                if session is not None and i + 1 < len(candidates):
                    self._cancel(session)
                    session = None
            self._upload(digest, blob, session)
            self.client.count(blobs_uploaded=1)
            return True

    def mount_blob(self, digest: str, from_repository: str) -> bool:
        """Ask the registry to link a blob of ``from_repository`` into this one; True if it
        did, False if it could not (the blob is not there, or the registry does not mount)."""
        check_digest(digest)
        mounted, session = self._mount(digest, _check_repository(from_repository))
        if mounted:
            self.client.count(mounts=1)
        elif session is not None:
            self._cancel(session)
        return mounted

    def _mount(self, digest: str, origin: str) -> tuple[bool, str | None]:
        """(mounted, the upload session offered instead, if any)."""
        url = f"/v2/{self.name}/blobs/uploads/?" + urllib.parse.urlencode({"mount": digest, "from": origin})
        scope = f"{_push_scope(self.name)} {_pull_scope(origin)}"
        response = self.client.call(f"mount of blob {short_digest(digest)} from {origin}", "POST",
                                    url, scope=scope, ok=(201, 202), headers={"Content-Length": "0"})
        location = response.header("Location")
        response.close()
        if response.status == 201:
            return True, None
        return False, location

    def _cancel(self, location: str) -> None:
        """Drop an upload session we will not use (best effort: the registry expires it too)."""
        try:
            self.client.exchange("cancel of an upload", "DELETE", location,
                                 scope=_push_scope(self.name)).close()
        except (_Retry, WasmlinkError):
            pass

    def _upload(self, digest: str, blob: _BlobSource, session: str | None) -> None:
        """Upload a blob, recovering from failures as the module docstring says."""
        operation = f"upload of blob {short_digest(digest)}"
        client = self.client
        chunked = blob.size > client.monolithic_limit
        location = session
        offset = furthest = failures = 0
        resync = check_arrived = False
        while True:
            try:
                if check_arrived:
                    # The final PUT failed: it may have gone through all the same.
                    if self._blob_arrived(operation, digest):
                        return
                    check_arrived = False
                if location is None:
                    location, offset, resync = self._start_session(operation), 0, False
                elif resync:
                    status = self._session_status(operation, location)
                    resync = False
                    if status is None:
                        location = None
                        continue
                    location, offset = status
                    if offset > blob.size:
                        raise _SessionLost(f"upload session holds {offset} bytes of {blob.size}")
                if not chunked:
                    check_arrived = True
                    self._finish(operation, location, digest, blob.reader(0, blob.size), blob.size)
                    return
                while offset < blob.size:
                    size = min(client.chunk_size, blob.size - offset)
                    location, offset = self._send_chunk(operation, location, blob, offset, size)
                    if offset > furthest:
                        furthest, failures = offset, 0
                check_arrived = True
                self._finish(operation, location, digest, None, 0)
                return
            except _SessionLost as e:
                location, error = None, e
            except _Retry as e:
                error = e
                if chunked:
                    resync = location is not None   # ask the session how much it got
                else:
                    location = None                 # a failed monolithic PUT spoils its session
            failures = client.failed_attempt(operation, failures, error)

    def _blob_arrived(self, operation: str, digest: str) -> bool:
        response = self.client.exchange(operation, "HEAD", self._blob_url(digest),
                                        scope=_push_scope(self.name))
        if response.status in (200, 404):
            return response.status == 200
        raise self.client.refusal(operation, response)

    def _start_session(self, operation: str) -> str:
        response = self.client.exchange(operation, "POST", f"/v2/{self.name}/blobs/uploads/",
                                        scope=_push_scope(self.name),
                                        headers={"Content-Length": "0"})
        if response.status != 202:
            raise self.client.refusal(operation, response)
        location = response.header("Location")
        if not location:
            raise WasmlinkError(f"registry {self.client.host}: {operation}: the registry gave "
                                f"no upload location")
        return location

    def _session_status(self, operation: str, location: str) -> tuple[str, int] | None:
        """(location, bytes the session holds), or None when the session is gone."""
        response = self.client.exchange(operation, "GET", location, scope=_push_scope(self.name))
        if response.status in (404, 400, 416):
            response.close()
            return None
        if response.status not in (200, 204):
            raise self.client.refusal(operation, response)
        held = _range_end(response)
        response.close()
        if held is None:
            return None
        return response.header("Location") or location, held

    def _send_chunk(self, operation: str, location: str, blob: _BlobSource, offset: int,
                    size: int) -> tuple[str, int]:
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size),
                   "Content-Range": f"{offset}-{offset + size - 1}"}
        response = self.client.exchange(operation, "PATCH", location, scope=_push_scope(self.name),
                                        headers=headers, body=blob.reader(offset, size),
                                        replayable=False)
        body = _error_body(response)
        response.close()
        if response.status == 416 or (response.status == 404 and _error_codes(body) & {
                "BLOB_UPLOAD_UNKNOWN", "BLOB_UPLOAD_INVALID"}):
            raise _SessionLost(status_text(response.status, body))
        if response.status != 202:
            raise self.client.refusal(operation, response)
        held = _range_end(response)
        # distribution appends whatever comes and does not check Content-Range: a session
        # holding anything but what we sent is spoilt.
        if held != offset + size:
            raise _SessionLost(f"upload session holds {held} bytes after a chunk ending at "
                               f"{offset + size}")
        return response.header("Location") or location, held

    def _finish(self, operation: str, location: str, digest: str, body, size: int) -> None:
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
        response = self.client.exchange(operation, "PUT", _with_query(location, digest=digest),
                                        scope=_push_scope(self.name), headers=headers, body=body,
                                        replayable=False)
        if response.status == 404 and _error_codes(response.body) & {
                "BLOB_UPLOAD_UNKNOWN", "BLOB_UPLOAD_INVALID"}:
            raise _SessionLost(status_text(response.status, response.body))
        if response.status != 201:
            raise self.client.refusal(operation, response)
        stored = response.header("Docker-Content-Digest")
        if stored and stored != digest:
            raise WasmlinkError(f"registry {self.client.host}: {operation}: the registry stored "
                                f"it as {stored}")

    def get_blob(self, digest: str) -> bytes:
        """The blob's bytes, checked against the digest."""
        return self._download(check_digest(digest), b"".join)

    def get_blob_to(self, digest: str, path) -> None:
        """Stream the blob into ``path``, checked against the digest, written atomically:
        on any failure no partial file is left (and an existing file is kept as it was)."""
        self._download(check_digest(digest), lambda chunks: write_atomically(path, chunks))

    def _download(self, digest: str, consume):
        operation = f"download of blob {short_digest(digest)}"
        failures = 0
        while True:
            response = self.client.get_following(operation, self._blob_url(digest),
                                                  scope=_pull_scope(self.name), stream=True)
            try:
                result = consume(self._verified(operation, digest, response))
            except TransportError as e:
                failures = self.client.failed_attempt(operation, failures, _Retry(e.cause))
                continue
            finally:
                response.close()
            self.client.count(blobs_downloaded=1)
            return result

    def _verified(self, operation: str, digest: str, response: Response) -> Iterator[bytes]:
        algorithm, _, expected = digest.partition(":")
        hasher = hashlib.new(algorithm)
        try:
            for piece in response.chunks():
                hasher.update(piece)
                self.client.count(bytes_received=len(piece))
                yield piece
        finally:
            response.close()
        if hasher.hexdigest() != expected:
            raise WasmlinkError(f"registry {self.client.host}: {operation}: the content does not "
                                f"match {digest} (it hashes to {algorithm}:{hasher.hexdigest()})")

    def _blob_url(self, digest: str) -> str:
        return f"/v2/{self.name}/blobs/{digest}"

    # --- manifests ------------------------------------------------------------------------

    def put_manifest(self, reference: str, data, media_type: str) -> str:
        """Store a manifest under a tag or its digest; returns its digest."""
        _check_reference(reference)
        if not isinstance(media_type, str) or not re.fullmatch(r"[\w.+-]+/[\w.+-]+", media_type):
            raise UsageError(f"invalid manifest media type {media_type!r}")
        data = bytes(data)
        digest = compute_digest(data)
        if DIGEST.fullmatch(reference) and compute_digest(data, reference.split(":")[0]) != reference:
            raise UsageError(f"manifest does not match the digest it is pushed as ({reference})")
        operation = f"push of manifest {self.name}:{reference}"
        response = self.client.call(operation, "PUT", f"/v2/{self.name}/manifests/{reference}",
                                    scope=_push_scope(self.name), ok=(200, 201),
                                    headers={"Content-Type": media_type}, body=data)
        stored = response.header("Docker-Content-Digest")
        if stored and stored != digest and not DIGEST.fullmatch(reference):
            raise WasmlinkError(f"registry {self.client.host}: {operation}: the registry stored "
                                f"it as {stored}, not {digest}")
        return digest

    def get_manifest(self, reference: str) -> tuple[bytes, str]:
        """(manifest bytes, media type); checked against the reference when it is a digest."""
        _check_reference(reference)
        operation = f"pull of manifest {self.name}:{reference}"
        response = self.client.get_following(operation, f"/v2/{self.name}/manifests/{reference}",
                                             scope=_pull_scope(self.name),
                                             headers={"Accept": MANIFEST_ACCEPT})
        data = response.body
        if len(data) > MANIFEST_LIMIT:
            raise WasmlinkError(f"registry {self.client.host}: {operation}: larger than "
                                f"{MANIFEST_LIMIT} bytes")
        if DIGEST.fullmatch(reference):
            actual = compute_digest(data, reference.split(":")[0])
            if actual != reference:
                raise WasmlinkError(f"registry {self.client.host}: {operation}: the content does "
                                    f"not match {reference} (it hashes to {actual})")
        media_type = (response.header("Content-Type") or "").split(";")[0].strip()
        if not media_type or media_type in ("application/json", "application/octet-stream"):
            try:
                media_type = json.loads(data).get("mediaType") or media_type
            except (ValueError, AttributeError):
                pass
        return data, media_type
