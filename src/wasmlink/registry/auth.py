"""Registry authentication for client.py: where credentials come from, and the answer to a 401.

Credentials (a user and a password) are looked up only when a registry asks for them, first
found wins:

    1. the ``user``/``password`` given to the client (the API, or the CLI's options);
    2. the environment: ``WASMLINK_REGISTRY_USER`` and ``WASMLINK_REGISTRY_PASSWORD``;
    3. the ``auths`` of a Docker-style config file, ``$DOCKER_CONFIG/config.json`` or else
       ``~/.docker/config.json``: the entry whose key is the registry's ``host:port`` (with or
       without ``http(s)://``, a trailing path, and the port when it is the scheme's default),
       holding ``"auth": base64("user:password")`` or ``"username"``/``"password"``.
       Credential helpers (``credsStore``, ``credHelpers``) are not run: wasmlink starts no
       other programs to find secrets.

A registry answers 401 with a ``WWW-Authenticate`` challenge:

    Basic realm="..."                                    the credentials go on every request
    Bearer realm="URL",service="S",scope="repository:N:pull,push ..."
                                                         a token is fetched from the realm (with
                                                         the credentials as basic auth when there
                                                         are some, anonymously otherwise) and
                                                         sent as ``Authorization: Bearer``

Tokens are cached with the scopes they grant (repositories and pull/push) until shortly
before they expire; a request uses any cached token that covers what it needs. The realm must be on the registry's own host name (its port may
differ) or on a host the caller allowed, so credentials go nowhere else.
"""
from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from ..errors import WasmlinkError

USER_VARIABLE = "WASMLINK_REGISTRY_USER"
PASSWORD_VARIABLE = "WASMLINK_REGISTRY_PASSWORD"
# Spec default when a token response gives no expires_in; renew this long before expiry.
DEFAULT_TOKEN_LIFETIME = 60.0
TOKEN_RENEW_MARGIN = 10.0

_PARAM = re.compile(r'([A-Za-z][\w-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)')
_SCHEME = re.compile(r"\s*(Basic|Bearer)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str
    source: str         # where they came from, for error messages ("arguments", a file, ...)

    def basic_header(self) -> str:
        raw = f"{self.user}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


def find_credentials(netloc: str, *, default_port: bool, user: str | None = None,
                     password: str | None = None, environ: Mapping[str, str] | None = None,
                     docker_config: str | os.PathLike | None = None) -> Credentials | None:
    """The credentials for the registry at ``netloc`` (``host:port``), or None."""
    if user is not None:
        return Credentials(user, password or "", "arguments")
    environ = os.environ if environ is None else environ
    if environ.get(USER_VARIABLE):
        return Credentials(environ[USER_VARIABLE], environ.get(PASSWORD_VARIABLE, ""),
                           f"${USER_VARIABLE}")
    if docker_config is None:
        directory = environ.get("DOCKER_CONFIG")
        docker_config = (Path(directory) if directory else Path.home() / ".docker") / "config.json"
    return _docker_config_credentials(Path(docker_config), netloc, default_port)


def _docker_config_credentials(path: Path, netloc: str, default_port: bool) -> Credentials | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as e:
        raise WasmlinkError(f"cannot read registry credentials: {e.strerror}", path=str(path)) from None
    try:
        auths = json.loads(text).get("auths", {})
    except (ValueError, AttributeError):
        raise WasmlinkError("registry credentials file is not a JSON object", path=str(path)) from None
    wanted = {netloc.lower()}
    if default_port:
        wanted.add(netloc.rsplit(":", 1)[0].lower())
    for key, entry in sorted(auths.items() if isinstance(auths, dict) else ()):
        if _config_key_host(key) not in wanted or not isinstance(entry, dict):
            continue
        if entry.get("auth"):
            try:
                user, sep, password = base64.b64decode(entry["auth"], validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                sep = ""
            if not sep:
                raise WasmlinkError(f"registry credentials for {key}: \"auth\" is not "
                                    f"base64 of user:password", path=str(path))
            return Credentials(user, password, str(path))
        if entry.get("username"):
            return Credentials(entry["username"], entry.get("password", ""), str(path))
    return None


def _config_key_host(key: str) -> str:
    host = key.split("://", 1)[1] if "://" in key else key
    return host.split("/", 1)[0].lower()


def parse_challenges(headers: list[str]) -> dict[str, dict[str, str]]:
    """{"basic"|"bearer": {param: value}} from the WWW-Authenticate headers of a 401."""
    found: dict[str, dict[str, str]] = {}
    for header in headers:
        # Several challenges may share one header: cut it where a scheme name starts.
        starts = [m for m in _SCHEME.finditer(header)
                  if m.start() == 0 or header[:m.start()].rstrip().endswith(",")]
        for i, match in enumerate(starts):
            end = starts[i + 1].start() if i + 1 < len(starts) else len(header)
            params = {}
            for name, value in _PARAM.findall(header[match.end():end]):
                if value.startswith('"'):
                    value = re.sub(r"\\(.)", r"\1", value[1:-1])
                params[name.lower()] = value
            found.setdefault(match.group(1).lower(), params)
    return found


class Authenticator:
    """The Authorization header for each request, and what to do about a 401.

    ``fetch_token(realm, service, scopes, credentials) -> (token, lifetime_seconds)`` asks the
    realm (the client does the HTTP); ``lookup`` finds the credentials on first need."""

    def __init__(self, registry: str, lookup: Callable[[], Credentials | None],
                 fetch_token: Callable[[str, str | None, list[str], Credentials | None], tuple[str, float]],
                 clock: Callable[[], float] = time.monotonic):
        self.registry = registry
        self._lookup = lookup
        self._fetch_token = fetch_token
        self._clock = clock
        self._lock = threading.Lock()
        self._credentials: Credentials | None = None
        self._looked_up = False
        self._basic = False
        # (the scopes a token grants, its header, when to stop using it), newest last
        self._tokens: list[tuple[frozenset, str, float]] = []

    def credentials(self) -> Credentials | None:
        with self._lock:
            if not self._looked_up:
                self._credentials = self._lookup()
                self._looked_up = True
            return self._credentials

    def header(self, scope: str) -> str | None:
        """What to send for a request needing ``scope`` (None: nothing, until challenged)."""
        needed = scope_actions(scope.split())
        now = self._clock()
        with self._lock:
            self._tokens = [t for t in self._tokens if t[2] > now]
            for granted, header, _ in reversed(self._tokens):
                if needed <= granted:
                    return header
            basic = self._basic
        if basic:
            credentials = self.credentials()
            return credentials.basic_header() if credentials else None
        return None

    def answer(self, challenge_headers: list[str], scope: str, sent: str | None) -> str | None:
        """Handle a 401 to a request that sent ``sent``: returns the header to send again, None
        when the credentials were refused, or raises WasmlinkError when there are none."""
        challenges = parse_challenges(challenge_headers)
        if "bearer" in challenges:
            return self._bearer(challenges["bearer"], scope)
        if "basic" in challenges:
            credentials = self.credentials()
            if credentials is None:
                raise WasmlinkError(f"registry {self.registry}: authentication required and no "
                                    f"credentials found (give a user and password, set "
                                    f"{USER_VARIABLE}/{PASSWORD_VARIABLE}, or add it to the "
                                    f"auths of ~/.docker/config.json)")
            header = credentials.basic_header()
            if sent == header:
                return None         # these very credentials were refused
            with self._lock:
                self._basic = True
            return header
        raise WasmlinkError(f"registry {self.registry}: authentication required with an "
                            f"unsupported scheme ({'; '.join(challenge_headers) or 'no challenge'})")

    def identity(self) -> str:
        """Who the requests are made as, for error messages."""
        credentials = self.credentials()
        if credentials is None:
            return "anonymous access"
        return f"user {credentials.user!r} (from {credentials.source})"

    def _bearer(self, params: dict[str, str], scope: str) -> str:
        realm = params.get("realm")
        if not realm:
            raise WasmlinkError(f"registry {self.registry}: bearer challenge without a realm")
        # Ask for what the challenge names and what the operation will need next (a push
        # starts with a HEAD, challenged for pull only), so one token serves the whole push.
        granted = scope_actions(params.get("scope", "").split() + scope.split())
        credentials = self.credentials()
        token, lifetime = self._fetch_token(realm, params.get("service"), format_scopes(granted),
                                            credentials)
        header = f"Bearer {token}"
        expires = self._clock() + max(0.0, lifetime - TOKEN_RENEW_MARGIN)
        with self._lock:
            self._tokens.append((granted, header, expires))
        return header


def scope_actions(scopes: list[str]) -> frozenset:
    """{(type, name, action)} of scopes like ``repository:ns/name:pull,push``."""
    found = set()
    for scope in scopes:
        kind, _, rest = scope.partition(":")
        name, _, actions = rest.rpartition(":")
        if kind and name:
            found.update((kind, name, action) for action in actions.split(",") if action)
    return frozenset(found)


def format_scopes(actions: frozenset) -> list[str]:
    """The scope strings of scope_actions' sets, one per resource, sorted."""
    grouped: dict[tuple[str, str], set[str]] = {}
    for kind, name, action in actions:
        grouped.setdefault((kind, name), set()).add(action)
    return [f"{kind}:{name}:{','.join(sorted(acts))}" for (kind, name), acts in sorted(grouped.items())]
