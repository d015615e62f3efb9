"""A fault-injecting HTTP proxy in front of a loopback registry, for the registry client's tests.

The proxy listens on 127.0.0.1, forwards each request to the upstream registry (also on
127.0.0.1; the Host header is passed on, so the registry's Location URLs point back at the
proxy) and records it, so tests count what really went over the wire (``count``), apart from
the client's own counters. ``fault(...)`` arms a fault for the next requests matching a method
and a path pattern:

    status          answer ``status`` (with a distribution-style JSON error) without forwarding
    drop_request    read ``after`` bytes of the request body, then close the client's
                    connection; the registry never sees the request
    cut_upstream    forward the headers and ``after`` bytes of the body, then close both
                    connections: the registry got part of the request
    drop_response   forward the request, read the registry's answer, close the client's
                    connection without it
    truncate        forward, send the headers and ``after`` bytes of the body, then close
    delay           wait ``seconds``, then forward as usual
    tamper          forward, flip one bit of the response body's last byte
    redirect_away   forward, then rewrite the Location header to another origin (loopback,
                    a port nobody listens on)

Everything is bounded: a connection serves at most ``MAX_REQUESTS_PER_CONNECTION`` requests,
sockets time out, and the proxy shuts itself down after ``lifetime`` seconds.
"""
from __future__ import annotations

import http.client
import json
import re
import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field

MAX_REQUESTS_PER_CONNECTION = 10_000
SOCKET_TIMEOUT = 20.0
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te",
              "trailer", "upgrade"}


@dataclass
class Fault:
    action: str
    method: str | None = None       # None: any method
    path: str = ""                  # a regular expression searched in the request target
    times: int = 1                  # how many matching requests it hits
    skip: int = 0                   # matching requests let through before it hits
    seconds: float = 0.0            # for "delay"
    status: int = 500
    after: int = 0                  # bytes of a body let through before cutting
    headers: dict = field(default_factory=dict)   # extra response headers for "status"

    def matches(self, method: str, target: str) -> bool:
        return (self.times > 0 and (self.method is None or self.method == method)
                and re.search(self.path, target) is not None)


@dataclass
class Recorded:
    method: str
    target: str
    headers: dict
    fault: str | None
    status: int | None              # what the client got (None: no answer)


class FaultyProxy:
    def __init__(self, upstream_port: int, *, lifetime: float = 300.0):
        self.upstream_port = upstream_port
        self.faults: list[Fault] = []
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                proxy._serve_connection(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True
        self._stopped = False

    # --- control --------------------------------------------------------------------------

    def start(self) -> "FaultyProxy":
        self._thread.start()
        self._timer.start()
        return self

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._timer.cancel()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def fault(self, action: str, method: str | None = None, path: str = "", **options) -> Fault:
        fault = Fault(action, method, path, **options)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self.requests.clear()

    def count(self, method: str | None = None, path: str = "", *, fault: str | None = None) -> int:
        """How many requests matched (``path``: a regular expression searched in the target)."""
        with self._lock:
            return sum(1 for r in self.requests
                       if (method is None or r.method == method) and re.search(path, r.target)
                       and (fault is None or r.fault == fault))

    def uploads(self) -> dict[str, int]:
        """Requests that start, continue or finish a blob upload, by method."""
        return {m: self.count(m, r"/blobs/uploads/") for m in ("POST", "PATCH", "PUT")}

    # --- serving --------------------------------------------------------------------------

    def _take_fault(self, method: str, target: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(method, target):
                    if fault.skip > 0:
                        fault.skip -= 1
                        return None
                    fault.times -= 1
                    return fault
        return None

    def _record(self, method, target, headers, fault, status) -> None:
        with self._lock:
            self.requests.append(Recorded(method, target, headers, fault, status))

    def _serve_connection(self, client: socket.socket) -> None:
        client.settimeout(SOCKET_TIMEOUT)
        reader = client.makefile("rb")
        try:
            for _ in range(MAX_REQUESTS_PER_CONNECTION):
                if not self._serve_request(client, reader):
                    break
        except (OSError, ValueError):
            pass
        finally:
            reader.close()
            try:
                client.close()
            except OSError:
                pass

    def _serve_request(self, client: socket.socket, reader) -> bool:
        line = reader.readline(65537)
        if not line.strip():
            return False
        method, target, _ = line.decode("latin-1").split(" ", 2)
        headers: list[tuple[str, str]] = []
        while True:
            header = reader.readline(65537)
            if header in (b"\r\n", b"\n", b""):
                break
            name, _, value = header.decode("latin-1").partition(":")
            headers.append((name.strip(), value.strip()))
        lower = {k.lower(): v for k, v in headers}
        length = int(lower.get("content-length", "0"))
        fault = self._take_fault(method, target)
        action = fault.action if fault else None

        # Each request is recorded before the client can see its outcome, so a test reading
        # the record right after a call finds it there.
        if action == "drop_request":
            reader.read(min(fault.after, length))
            self._record(method, target, lower, action, None)
            return False
        if action == "cut_upstream":
            self._record(method, target, lower, action, None)
            self._cut_upstream(method, target, headers, reader, length, fault.after)
            return False
        body = reader.read(length) if length else b""
        if action == "delay":
            self._record(method, target, lower, action, None)
            time.sleep(min(fault.seconds, SOCKET_TIMEOUT))
            status, response_headers, response_body = self._forward(method, target, headers, body)
            self._reply(client, status, response_headers, response_body, method)
            return True
        if action == "status":
            document = {"errors": [{"code": "INJECTED", "message": f"injected HTTP {fault.status}"}]}
            self._record(method, target, lower, action, fault.status)
            self._reply(client, fault.status, [("Content-Type", "application/json"),
                                               *fault.headers.items()],
                        json.dumps(document).encode(), method)
            return True

        status, response_headers, response_body = self._forward(method, target, headers, body)
        if action == "drop_response":
            self._record(method, target, lower, action, None)
            return False
        if action == "tamper" and response_body:
            response_body = response_body[:-1] + bytes([response_body[-1] ^ 1])
        if action == "redirect_away":
            response_headers = [(k, re.sub(r"^https?://[^/]+", "http://localhost:9", v)
                                 if k.lower() == "location" else v) for k, v in response_headers]
        if action == "truncate":
            self._record(method, target, lower, action, None)
            self._reply(client, status, response_headers, response_body, method,
                        send=fault.after)
            return False
        self._record(method, target, lower, action, status)
        self._reply(client, status, response_headers, response_body, method)
        return True

    def _upstream(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=SOCKET_TIMEOUT)

    def _send_head(self, upstream, method, target, headers) -> None:
        upstream.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                upstream.putheader(name, value)
        upstream.endheaders()

    def _forward(self, method, target, headers, body):
        upstream = self._upstream()
        try:
            self._send_head(upstream, method, target, headers)
            if body:
                upstream.send(body)
            response = upstream.getresponse()
            data = response.read()
            response_headers = [(k, v) for k, v in response.getheaders()
                                if k.lower() not in HOP_BY_HOP]
            return response.status, response_headers, data
        finally:
            upstream.close()

    def _cut_upstream(self, method, target, headers, reader, length, after) -> None:
        upstream = self._upstream()
        try:
            self._send_head(upstream, method, target, headers)
            upstream.send(reader.read(min(after, length)))
        finally:
            upstream.close()

    def _reply(self, client, status, headers, body, method, send: int | None = None) -> None:
        head = [f"HTTP/1.1 {status} {http.client.responses.get(status, 'Status')}"]
        for name, value in headers:
            if method == "HEAD" or name.lower() != "content-length":
                head.append(f"{name}: {value}")
        if method != "HEAD":
            head.append(f"Content-Length: {len(body)}")
        else:
            body = b""
        payload = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        if send is not None:
            payload = payload[:len(payload) - len(body) + send]
        client.sendall(payload)
