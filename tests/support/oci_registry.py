"""A real OCI registry for tests: Debian's ``docker-registry`` (CNCF distribution 2.8) on loopback.

``start_registry`` writes a configuration (JSON, which the registry's YAML reader accepts) with
filesystem storage in a temporary directory, deletes enabled, ``http.addr`` on 127.0.0.1 at a
free port, and optionally one of the two authentications distribution offers:

    htpasswd    basic auth against an htpasswd file of bcrypt hashes (made with ``bcrypt``)
    token       bearer tokens: the registry trusts a throwaway self-signed certificate whose RSA
                key signs RS256 JWTs; ``TokenServer`` (a thread in the test process) is the
                realm, issuing a token for the scopes asked for to a user with the right password

It waits until ``GET /v2/`` answers and is stopped (terminate, then kill) at the end. The
fixtures skip when the binary is missing, except in CI (``CI=true``), where that is a failure.
Every listener is on 127.0.0.1 and every wait is bounded.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import subprocess
import threading
import time
import urllib.parse
import uuid
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REGISTRY_BINARY = "/usr/bin/docker-registry"
SERVICE = "wasmlink-test-registry"
ISSUER = "wasmlink-test-issuer"
START_TIMEOUT = 15.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_registry_binary() -> None:
    """Skip the test when docker-registry is not installed; in CI, fail instead."""
    if os.path.exists(REGISTRY_BINARY):
        return
    reason = f"{REGISTRY_BINARY} is missing (Debian package docker-registry, scripts/install-test-deps)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


class RegistryProcess:
    """One running docker-registry; ``host`` is ``127.0.0.1:PORT``."""

    def __init__(self, root: Path, auth: dict | None = None):
        self.root = Path(root)
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.storage = self.root / "storage"
        self.log_path = self.root / "registry.log"
        config = {
            "version": 0.1,
            "log": {"level": "info", "accesslog": {"disabled": False}},
            "storage": {"filesystem": {"rootdirectory": str(self.storage)},
                        "delete": {"enabled": True}, "cache": {"blobdescriptor": "inmemory"}},
            "http": {"addr": self.host, "secret": uuid.uuid4().hex},
        }
        if auth:
            config["auth"] = auth
        self.config_path = self.root / "config.yml"
        self.config_path.write_text(json.dumps(config, indent=1))
        self.process: subprocess.Popen | None = None

    def start(self) -> "RegistryProcess":
        self.storage.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([REGISTRY_BINARY, "serve", str(self.config_path)],
                                        stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"docker-registry exited ({self.process.returncode}):\n"
                                   + self.log_path.read_text(errors="replace")[-2000:])
            if self.answers():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"docker-registry did not answer on {self.host} within {START_TIMEOUT} s")

    def answers(self) -> bool:
        """Whether ``GET /v2/`` gets an HTTP answer (200, or 401 when auth is on)."""
        try:
            return self.request("GET", "/v2/")[0] in (200, 401)
        except OSError:
            return False

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, dict, bytes]:
        """A direct request to the registry (bypassing the client under test)."""
        connection = HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def start_registry(root: Path, auth: dict | None = None) -> RegistryProcess:
    require_registry_binary()
    return RegistryProcess(root, auth).start()


# --- basic auth -------------------------------------------------------------------------------

def htpasswd_auth(root: Path, users: dict[str, str]) -> dict:
    """The ``auth`` section for an htpasswd file of ``users`` (bcrypt, as distribution wants)."""
    import bcrypt
    path = Path(root) / "htpasswd"
    # Cost 4 (the minimum): the registry checks the hash on every request.
    lines = [f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()}"
             for user, password in sorted(users.items())]
    path.write_text("\n".join(lines) + "\n")
    return {"htpasswd": {"realm": "wasmlink-test", "path": str(path)}}


# --- token auth -------------------------------------------------------------------------------

def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def libtrust_key_id(public_key) -> str:
    """The key id distribution looks trusted keys up by: SHA-256 of the DER public key, 240 bits
    in base32, in twelve groups of four joined by colons."""
    from cryptography.hazmat.primitives import serialization
    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    text = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(text[i:i + 4] for i in range(0, len(text), 4))


class TokenServer:
    """The realm of a token-authenticated registry: ``GET /token?service=&scope=`` with basic
    credentials of a known user returns ``{"token": JWT}`` granting exactly the scopes asked for.
    Every request is recorded in ``requests`` as (user, [scopes])."""

    def __init__(self, root: Path, users: dict[str, str]):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID
        import datetime

        self.users = dict(users)
        self.requests: list[tuple[str, list[str]]] = []
        self.lifetime = 300
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wasmlink test token signer")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=2))
                .sign(self.key, hashes.SHA256()))
        self.cert_path = Path(root) / "token-signer.pem"
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.key_id = libtrust_key_id(self.key.public_key())
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.realm = f"http://127.0.0.1:{self.server.server_address[1]}/token"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True)

    def auth_config(self) -> dict:
        return {"token": {"realm": self.realm, "service": SERVICE, "issuer": ISSUER,
                          "rootcertbundle": str(self.cert_path)}}

    def start(self) -> "TokenServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def issue(self, user: str, scopes: list[str]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": [a for a in actions.split(",") if a]})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "kid": self.key_id}
        claims = {"iss": ISSUER, "sub": user, "aud": SERVICE, "iat": now, "nbf": now - 5,
                  "exp": now + self.lifetime, "jti": uuid.uuid4().hex, "access": access}
        signing_input = (_b64url(json.dumps(header).encode()) + "."
                         + _b64url(json.dumps(claims).encode()))
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + _b64url(signature)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(url.query)
                user = self._user()
                scopes = query.get("scope", [])
                server.requests.append((user or "", scopes))
                if url.path != "/token" or user is None:
                    self._reply(401, {"errors": [{"code": "UNAUTHORIZED",
                                                  "message": "bad credentials"}]})
                    return
                self._reply(200, {"token": server.issue(user, scopes),
                                  "expires_in": server.lifetime})

            def _user(self) -> str | None:
                header = self.headers.get("Authorization", "")
                if not header.startswith("Basic "):
                    return None
                try:
                    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                except ValueError:
                    return None
                return user if server.users.get(user) == password else None

            def _reply(self, status: int, document: dict) -> None:
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


# --- fixtures ---------------------------------------------------------------------------------
# Import them into a test module (``from support.oci_registry import oci_registry``) to use them.

USERS = {"alice": "correct horse"}


@pytest.fixture(scope="module")
def oci_registry(tmp_path_factory):
    """A registry without authentication."""
    registry = start_registry(tmp_path_factory.mktemp("registry"))
    yield registry
    registry.stop()


@pytest.fixture(scope="module")
def oci_registry_basic(tmp_path_factory):
    """A registry with basic auth; its users are ``USERS``."""
    require_registry_binary()
    root = tmp_path_factory.mktemp("registry-basic")
    registry = start_registry(root, htpasswd_auth(root, USERS))
    yield registry
    registry.stop()


@pytest.fixture(scope="module")
def oci_registry_token(tmp_path_factory):
    """A registry with bearer token auth; ``registry.token_server`` is its realm."""
    require_registry_binary()
    root = tmp_path_factory.mktemp("registry-token")
    tokens = TokenServer(root, USERS).start()
    registry = start_registry(root, tokens.auth_config())
    registry.token_server = tokens
    yield registry
    registry.stop()
    tokens.stop()
