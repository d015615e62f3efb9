"""HTTP for the registry client (client.py): one origin, pooled keep-alive connections, retries.

Standard library only (``http.client``), so importing the registry package costs nothing. The
layer knows nothing of OCI: it sends one request to one origin and hands back a ``Response``,
and it turns every way a connection can fail (refused, reset, timed out, closed mid-body) into
a ``TransportError`` carrying a short cause that the client puts into its one-line errors.

An ``Origin`` is where requests may go. It is fixed when the client is made and every URL the
registry hands back (upload locations, redirects) is checked against it, so the client never
contacts another host. Plain http is used for loopback hosts (``localhost``, ``127.*``,
``[::1]``) and, when asked (``insecure``), for others; https otherwise, with the default SSL
context (certificates verified).

``RetryPolicy`` says how often and how long to wait: bounded attempts, exponential backoff with
jitter; its ``sleep`` and ``random`` are injectable so tests run fast and deterministically.
"""
from __future__ import annotations

import http.client
import ipaddress
import random as _random
import socket
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Callable

from ..errors import UsageError

# Bytes handed to the socket per write when a body is a reader (http.client's default is 8 KiB).
SEND_BLOCK = 256 * 1024
# Statuses worth another attempt: the registry or something in front of it is busy or broken.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class TransportError(Exception):
    """The request did not get a complete answer (not an OSError on purpose: output.py turns
    OSErrors into "cannot write output", and a dropped download is not that)."""

    def __init__(self, cause: str):
        super().__init__(cause)
        self.cause = cause


def is_loopback(hostname: str) -> bool:
    if hostname.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Origin:
    """scheme://host:port of the one registry a client talks to."""

    scheme: str
    hostname: str       # without brackets for IPv6
    port: int

    @classmethod
    def parse(cls, host: str, *, insecure: bool = False) -> "Origin":
        """``host`` is ``name``, ``name:port``, ``[v6]`` or ``[v6]:port``, no scheme, no path."""
        if not host or "/" in host or "@" in host or "?" in host or "#" in host or " " in host:
            raise UsageError(f"invalid registry host {host!r}: expected HOST or HOST:PORT")
        split = urllib.parse.urlsplit("//" + host)
        try:
            hostname, port = split.hostname, split.port
        except ValueError:
            raise UsageError(f"invalid registry host {host!r}: bad port") from None
        if not hostname:
            raise UsageError(f"invalid registry host {host!r}: expected HOST or HOST:PORT")
        scheme = "http" if insecure or is_loopback(hostname) else "https"
        return cls(scheme, hostname, port or (80 if scheme == "http" else 443))

    @property
    def netloc(self) -> str:
        """host:port as people write it (brackets around IPv6)."""
        name = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        return f"{name}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.netloc}"

    def target(self, url: str) -> str | None:
        """The request target (path?query) of ``url`` if it is on this origin (relative URLs
        are), else None."""
        split = urllib.parse.urlsplit(url)
        if split.scheme or split.netloc:
            try:
                port = split.port or (80 if split.scheme == "http" else 443)
            except ValueError:
                return None
            if (split.scheme != self.scheme or (split.hostname or "").lower() != self.hostname.lower()
                    or port != self.port):
                return None
        path = split.path or "/"
        if not path.startswith("/"):
            return None
        return path + (f"?{split.query}" if split.query else "")


@dataclass
class RetryPolicy:
    """At most ``attempts`` tries of one operation; before try n+1 wait about
    ``base_delay * 2**(n-1)`` seconds (at most ``max_delay``), half of it fixed and half random."""

    attempts: int = 5
    base_delay: float = 0.25
    max_delay: float = 8.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    random: Callable[[], float] = field(default=_random.random, repr=False)

    def __post_init__(self):
        if self.attempts < 1:
            raise UsageError("retry attempts must be at least 1")

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        """The wait after the ``failures``-th failure in a row."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (failures - 1)))
        delay = ceiling / 2 + self.random() * ceiling / 2
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_delay))
        return delay

    def wait(self, failures: int, retry_after: float | None = None) -> None:
        self.sleep(self.delay(failures, retry_after))


class Response:
    """A status, headers and either the whole body (``body``) or, when streamed, a body still to
    be read with ``read``/``chunks``; ``close`` gives the connection back when the body was read
    to its end, and drops it otherwise."""

    def __init__(self, raw: http.client.HTTPResponse, pool: "ConnectionPool",
                 connection: http.client.HTTPConnection, body: bytes | None):
        self.status = raw.status
        self.reason = raw.reason
        self.headers = raw.headers
        self.body = body
        self._raw = raw
        self._pool = pool
        self._connection = connection
        if body is not None:
            self._finish()

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    def header_all(self, name: str) -> list[str]:
        return self.headers.get_all(name) or []

    def chunks(self, size: int = 1 << 20):
        """The rest of the body in pieces of at most ``size`` bytes; raises TransportError when
        the connection ends before the announced length."""
        try:
            while True:
                piece = self._raw.read(size)
                if not piece:
                    break
                yield piece
        except (OSError, http.client.HTTPException) as e:
            self._drop()
            raise TransportError(describe(e)) from None
        if self._raw.length:
            # http.client's read(n) returns b"" at a premature end instead of raising
            self._drop()
            raise TransportError(describe(http.client.IncompleteRead(b"", self._raw.length)))
        self._finish()

    def read_all(self, limit: int) -> bytes:
        """The whole body, refusing more than ``limit`` bytes."""
        parts, size = [], 0
        for piece in self.chunks():
            size += len(piece)
            if size > limit:
                self._drop()
                raise TransportError(f"response larger than {limit} bytes")
            parts.append(piece)
        return b"".join(parts)

    def close(self) -> None:
        if self._connection is not None:
            if self._raw.isclosed():
                self._finish()
            else:
                self._drop()

    def _finish(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            if self._raw.will_close:
                connection.close()
            else:
                self._pool.give_back(connection)

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def describe(error: BaseException) -> str:
    """A short, stable cause for a failed exchange ("connection refused", "timed out", ...)."""
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(error, http.client.RemoteDisconnected):
        return "connection closed without a response"
    if isinstance(error, http.client.IncompleteRead):
        return "connection closed in the middle of the response"
    if isinstance(error, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return "connection reset"
    if isinstance(error, ssl.SSLError):
        return f"TLS error: {error.reason or error}"
    if isinstance(error, socket.gaierror):
        return f"cannot resolve host: {error.strerror}"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return type(error).__name__ + (f": {error}" if str(error) else "")


class ConnectionPool:
    """Keep-alive connections to one origin, safe to use from several threads."""

    def __init__(self, origin: Origin, *, timeout: float = 30.0, max_idle: int = 8,
                 ssl_context: ssl.SSLContext | None = None):
        self.origin = origin
        self.timeout = timeout
        self.max_idle = max_idle
        self._ssl_context = ssl_context
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _new_connection(self) -> http.client.HTTPConnection:
        if self.origin.scheme == "https":
            if self._ssl_context is None:
                self._ssl_context = ssl.create_default_context()
            return http.client.HTTPSConnection(self.origin.hostname, self.origin.port,
                                               timeout=self.timeout, context=self._ssl_context,
                                               blocksize=SEND_BLOCK)
        return http.client.HTTPConnection(self.origin.hostname, self.origin.port,
                                          timeout=self.timeout, blocksize=SEND_BLOCK)

    def give_back(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < self.max_idle:
                self._idle.append(connection)
                return
        connection.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def request(self, method: str, target: str, *, headers: dict[str, str],
                body=None, stream: bool = False, body_limit: int = 16 << 20,
                replayable: bool = True) -> Response:
        """Send one request; ``body`` is None, bytes-like, or a callable returning a fresh reader
        (an object with ``read(n)``) each time the request is sent. A reused idle connection the
        server has meanwhile closed is replaced once, silently, when the request is
        ``replayable`` (resending it cannot do harm); any other failure is a TransportError."""
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            reused = connection is not None
            if connection is None:
                connection = self._new_connection()
            payload = body() if callable(body) else body
            try:
                connection.request(method, target, body=payload, headers=headers)
                raw = connection.getresponse()
            except (OSError, http.client.HTTPException) as e:
                connection.close()
                stale = isinstance(e, (http.client.RemoteDisconnected, ConnectionResetError,
                                       BrokenPipeError))
                if reused and stale and replayable:
                    continue
                raise TransportError(describe(e)) from None
            if method == "HEAD" or not stream:
                try:
                    data = _read_limited(raw, body_limit)   # a HEAD's body is empty
                except (OSError, http.client.HTTPException) as e:
                    connection.close()
                    raise TransportError(describe(e)) from None
                except TransportError:
                    connection.close()
                    raise
                return Response(raw, self, connection, data)
            return Response(raw, self, connection, None)


def _read_limited(raw: http.client.HTTPResponse, limit: int) -> bytes:
    parts, size = [], 0
    while True:
        piece = raw.read(min(1 << 20, limit + 1 - size))
        if not piece:
            if raw.length:      # ended before its Content-Length (read(n) does not raise)
                raise http.client.IncompleteRead(b"", raw.length)
            return b"".join(parts)
        size += len(piece)
        if size > limit:
            raise TransportError(f"response larger than {limit} bytes")
        parts.append(piece)
