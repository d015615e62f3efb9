"""The OCI distribution client (wasmlink.registry.client) against a real registry.

The registry is Debian's docker-registry (CNCF distribution) on loopback (support/oci_registry);
the requests that really reach it are counted by a proxy in front of it (support/faulty_proxy),
independently of the client's own ``stats``.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import random

import pytest

from support.faulty_proxy import FaultyProxy
from support.oci_registry import (USERS, oci_registry, oci_registry_basic,  # noqa: F401
                                  oci_registry_token)
from wasmlink.errors import UsageError, WasmlinkError
from wasmlink.registry.auth import find_credentials, parse_challenges
from wasmlink.registry.client import (DOCKER_MANIFEST, MANIFEST_ACCEPT, OCI_INDEX, OCI_MANIFEST,
                                      NotFoundError, RegistryClient)
from wasmlink.registry.http import RetryPolicy

FAST_RETRY = dict(attempts=5, base_delay=0.001, max_delay=0.01)


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def blob(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def manifest_of(config: bytes, layers: list[bytes]) -> bytes:
    document = {
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.wasm.config.v0+json",
                   "digest": digest_of(config), "size": len(config)},
        "layers": [{"mediaType": "application/wasm", "digest": digest_of(layer), "size": len(layer)}
                   for layer in layers],
    }
    return json.dumps(document, sort_keys=True).encode()


@pytest.fixture
def proxy(oci_registry):
    with FaultyProxy(oci_registry.port) as running:
        yield running


def client_for(host: str, **options) -> RegistryClient:
    options.setdefault("retry", RetryPolicy(**FAST_RETRY))
    options.setdefault("environ", {})
    options.setdefault("docker_config", os.devnull + ".absent")
    return RegistryClient(host, **options)


def test_a_pushed_blob_and_manifest_pull_back_byte_identical(oci_registry, tmp_path):
    repository = client_for(oci_registry.host).repository("wasm/hello")
    config, layer = b'{"architecture":"wasm"}', blob(100_000, 1)
    source = tmp_path / "layer.wasm"
    source.write_bytes(layer)
    assert repository.put_blob(digest_of(config), config) is True
    assert repository.put_blob(digest_of(layer), source) is True
    manifest = manifest_of(config, [layer])
    assert repository.put_manifest("v1", manifest, OCI_MANIFEST) == digest_of(manifest)

    assert repository.get_manifest("v1") == (manifest, OCI_MANIFEST)
    assert repository.get_manifest(digest_of(manifest)) == (manifest, OCI_MANIFEST)
    assert repository.get_blob(digest_of(config)) == config
    repository.get_blob_to(digest_of(layer), tmp_path / "pulled.wasm")
    assert (tmp_path / "pulled.wasm").read_bytes() == layer
    assert repository.client.tags("wasm/hello") == ["v1"]


def test_a_blob_the_registry_has_is_not_uploaded_again(oci_registry, proxy):
    client = client_for(proxy.host)
    repository = client.repository("wasm/skip")
    data = blob(5000, 2)
    assert repository.put_blob(digest_of(data), data) is True
    assert proxy.uploads() == {"POST": 1, "PATCH": 0, "PUT": 1}
    proxy.clear()
    assert repository.put_blob(digest_of(data), data) is False
    assert proxy.uploads() == {"POST": 0, "PATCH": 0, "PUT": 0}
    assert proxy.count("HEAD", r"/v2/wasm/skip/blobs/sha256:") == 1
    assert (client.stats.blobs_uploaded, client.stats.blobs_skipped, client.stats.bytes_sent) == (1, 1, 5000)


def test_a_large_blob_goes_up_in_chunks_and_comes_back_whole(oci_registry, proxy, tmp_path):
    client = client_for(proxy.host, monolithic_limit=1 << 20, chunk_size=1 << 20)
    repository = client.repository("wasm/large")
    data = blob(20_000_000, 3)
    source = tmp_path / "large.wasm"
    source.write_bytes(data)
    assert repository.put_blob(digest_of(data), source) is True
    assert proxy.uploads() == {"POST": 1, "PATCH": 20, "PUT": 1}   # 19 chunks of 1 MiB + the rest
    ranges = [r.headers["content-range"] for r in proxy.requests if r.method == "PATCH"]
    assert ranges[0] == "0-1048575" and ranges[-1] == f"{19 << 20}-{20_000_000 - 1}"
    assert client.stats.bytes_sent == 20_000_000
    repository.get_blob_to(digest_of(data), tmp_path / "back.wasm")
    assert (tmp_path / "back.wasm").read_bytes() == data


def test_a_blob_is_mounted_from_another_repository_instead_of_uploaded(oci_registry, proxy):
    client = client_for(proxy.host)
    data = blob(3000, 4)
    client.repository("wasm/source").put_blob(digest_of(data), data)
    proxy.clear()
    target = client.repository("wasm/target", mount_from=["wasm/elsewhere", "wasm/source"])
    assert target.put_blob(digest_of(data), data) is False
    mount_requests = [r.target for r in proxy.requests if "mount=" in r.target]
    assert [t.split("from=")[1] for t in mount_requests] == ["wasm%2Felsewhere", "wasm%2Fsource"]
    assert proxy.count("PATCH") == proxy.count("PUT") == 0
    assert client.stats.mounts == 1 and client.stats.blobs_uploaded == 1
    assert target.get_blob(digest_of(data)) == data


def test_mount_blob_says_whether_the_registry_mounted(oci_registry):
    client = client_for(oci_registry.host)
    data = blob(100, 5)
    client.repository("wasm/m1").put_blob(digest_of(data), data)
    assert client.repository("wasm/m2").mount_blob(digest_of(data), "wasm/m1") is True
    assert client.repository("wasm/m2").has_blob(digest_of(data)) is True
    missing = digest_of(b"not pushed anywhere")
    assert client.repository("wasm/m3").mount_blob(missing, "wasm/m1") is False
    assert client.repository("wasm/m3").has_blob(missing) is False


def test_get_manifest_accepts_oci_indexes_and_docker_manifests(oci_registry, proxy):
    repository = client_for(proxy.host).repository("wasm/index")
    config, layer = b"{}", blob(10, 6)
    for data in (config, layer):
        repository.put_blob(digest_of(data), data)
    manifest = manifest_of(config, [layer])
    manifest_digest = repository.put_manifest(digest_of(manifest), manifest, OCI_MANIFEST)
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": len(manifest)}]}).encode()
    repository.put_manifest("multi", index, OCI_INDEX)
    assert repository.get_manifest("multi") == (index, OCI_INDEX)
    accept = [r.headers.get("accept") for r in proxy.requests if r.method == "GET"]
    assert accept == [MANIFEST_ACCEPT]
    assert {OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST} <= {t.strip() for t in MANIFEST_ACCEPT.split(",")}
    put = [r for r in proxy.requests if r.method == "PUT" and "/manifests/" in r.target]
    assert [r.headers["content-type"] for r in put] == [OCI_MANIFEST, OCI_INDEX]


def test_missing_blobs_and_manifests_are_not_found_errors(oci_registry, tmp_path):
    repository = client_for(oci_registry.host).repository("wasm/missing")
    absent = digest_of(b"absent")
    assert repository.has_blob(absent) is False
    with pytest.raises(NotFoundError) as blob_error:
        repository.get_blob_to(absent, tmp_path / "out")
    assert str(blob_error.value) == (f"registry {oci_registry.host}: download of blob "
                                     f"{absent[:19]}…: HTTP 404: BLOB_UNKNOWN: blob unknown to registry")
    assert not (tmp_path / "out").exists()
    with pytest.raises(NotFoundError) as manifest_error:
        repository.get_manifest("nope")
    assert str(manifest_error.value) == (f"registry {oci_registry.host}: pull of manifest "
                                         f"wasm/missing:nope: HTTP 404: MANIFEST_UNKNOWN: manifest unknown")
    assert repository.client.tags("wasm/never-pushed") == []


def test_a_manifest_whose_blobs_are_missing_is_refused_with_the_registrys_words(oci_registry):
    repository = client_for(oci_registry.host).repository("wasm/orphan")
    manifest = manifest_of(b"{}", [b"never uploaded"])
    with pytest.raises(WasmlinkError) as error:
        repository.put_manifest("v1", manifest, OCI_MANIFEST)
    assert str(error.value).startswith(f"registry {oci_registry.host}: push of manifest "
                                       f"wasm/orphan:v1: HTTP 400: MANIFEST_BLOB_UNKNOWN: ")


def test_a_blob_whose_content_is_not_its_digest_is_refused_by_the_registry(oci_registry):
    repository = client_for(oci_registry.host).repository("wasm/liar")
    claimed = digest_of(b"something else")
    with pytest.raises(WasmlinkError) as error:
        repository.put_blob(claimed, b"the real content")
    assert str(error.value) == (f"registry {oci_registry.host}: upload of blob {claimed[:19]}…: "
                                f"HTTP 400: DIGEST_INVALID: provided digest did not match uploaded content")
    assert repository.has_blob(claimed) is False


def test_bad_names_are_usage_errors_before_any_request(oci_registry):
    client = client_for(oci_registry.host)
    with pytest.raises(UsageError, match="invalid repository name 'Wasm/Up'"):
        client.repository("Wasm/Up")
    with pytest.raises(UsageError, match="invalid repository name '../x'"):
        client.repository("../x")
    with pytest.raises(UsageError, match="invalid digest 'sha256:abc'"):
        client.repository("wasm/x").has_blob("sha256:abc")
    with pytest.raises(UsageError, match=r"invalid manifest reference 'v1\?x=1'"):
        client.repository("wasm/x").get_manifest("v1?x=1")
    with pytest.raises(UsageError, match="invalid registry host 'http://h/x'"):
        RegistryClient("http://h/x")


def test_plain_http_only_for_loopback_unless_insecure():
    assert RegistryClient("127.0.0.1:5000").origin.url == "http://127.0.0.1:5000"
    assert RegistryClient("localhost:5000").origin.url == "http://localhost:5000"
    assert RegistryClient("[::1]:5000").origin.url == "http://[::1]:5000"
    assert RegistryClient("registry.example").origin.url == "https://registry.example:443"
    assert RegistryClient("registry.example:5000", insecure=True).origin.url == "http://registry.example:5000"


# --- authentication ---------------------------------------------------------------------------

def test_basic_auth_with_the_right_password_pushes_and_pulls(oci_registry_basic):
    client = client_for(oci_registry_basic.host, user="alice", password=USERS["alice"])
    repository = client.repository("wasm/basic")
    data = blob(2000, 7)
    assert repository.put_blob(digest_of(data), data) is True
    assert repository.get_blob(digest_of(data)) == data


def test_basic_auth_with_a_wrong_password_is_one_clear_error(oci_registry_basic):
    client = client_for(oci_registry_basic.host, user="alice", password="wrong")
    data = blob(10, 8)
    with pytest.raises(WasmlinkError) as error:
        client.repository("wasm/basic").put_blob(digest_of(data), data)
    assert str(error.value) == (f"registry {oci_registry_basic.host}: check of blob "
                                f"{digest_of(data)[:19]}…: authentication failed for user 'alice' "
                                f"(from arguments): HTTP 401")      # a HEAD answer has no error body
    assert client.stats.retries == 0
    with pytest.raises(WasmlinkError) as error:
        client.repository("wasm/basic").get_manifest("v1")
    assert str(error.value).endswith("authentication failed for user 'alice' (from arguments): "
                                     "HTTP 401: UNAUTHORIZED: authentication required")


def test_basic_auth_without_credentials_says_where_they_are_looked_for(oci_registry_basic):
    with pytest.raises(WasmlinkError, match=r"authentication required and no credentials found "
                                            r"\(give a user and password, set WASMLINK_REGISTRY_USER"):
        client_for(oci_registry_basic.host).check()


def test_basic_credentials_come_from_the_environment(oci_registry_basic):
    environ = {"WASMLINK_REGISTRY_USER": "alice", "WASMLINK_REGISTRY_PASSWORD": USERS["alice"]}
    client_for(oci_registry_basic.host, environ=environ).check()


def test_basic_credentials_come_from_a_docker_config(oci_registry_basic, tmp_path):
    config = tmp_path / "config.json"
    auth = base64.b64encode(f"alice:{USERS['alice']}".encode()).decode()
    config.write_text(json.dumps({"auths": {f"http://{oci_registry_basic.host}": {"auth": auth}}}))
    client_for(oci_registry_basic.host, docker_config=config).check()


def test_credentials_are_looked_up_arguments_then_environment_then_docker_config(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"auths": {
        "https://registry.example/v1/": {"auth": base64.b64encode(b"carol:c").decode()},
        "other.example": {"username": "dave", "password": "d"}}}))
    environ = {"WASMLINK_REGISTRY_USER": "bob", "WASMLINK_REGISTRY_PASSWORD": "b"}
    found = lambda **kw: find_credentials("registry.example:443", default_port=True,
                                          docker_config=config, **kw)
    assert found(user="alice", password="a", environ=environ).user == "alice"
    assert found(environ=environ).user == "bob"
    assert (found(environ={}).user, found(environ={}).password) == ("carol", "c")
    assert find_credentials("registry.example:5000", default_port=False, environ={},
                            docker_config=config) is None
    config.write_text("{not json")
    with pytest.raises(WasmlinkError, match="registry credentials file is not a JSON object"):
        found(environ={})


def test_bearer_challenges_are_parsed_with_commas_inside_quotes():
    header = ('Bearer realm="http://127.0.0.1:1/token",service="reg",'
              'scope="repository:a/b:pull,push repository:c:pull"')
    assert parse_challenges([header]) == {"bearer": {
        "realm": "http://127.0.0.1:1/token", "service": "reg",
        "scope": "repository:a/b:pull,push repository:c:pull"}}
    assert parse_challenges(['Basic realm="r", Bearer realm="t"']) == {
        "basic": {"realm": "r"}, "bearer": {"realm": "t"}}


def test_bearer_tokens_are_fetched_from_the_realm_and_reused_while_they_cover_the_request(oci_registry_token):
    tokens = oci_registry_token.token_server
    tokens.requests.clear()
    client = client_for(oci_registry_token.host, user="alice", password=USERS["alice"])
    source = client.repository("wasm/bearer")
    config, layer = b"{}", blob(50_000, 9)
    for data in (config, layer):
        assert source.put_blob(digest_of(data), data) is True
    manifest = manifest_of(config, [layer])
    source.put_manifest("v1", manifest, OCI_MANIFEST)
    assert source.get_manifest("v1") == (manifest, OCI_MANIFEST)
    assert source.get_blob(digest_of(layer)) == layer
    mirror = client.repository("wasm/bearer-mirror")
    assert mirror.mount_blob(digest_of(layer), "wasm/bearer") is True
    # One token for the whole push and the pulls (the first HEAD is challenged for pull only:
    # the client asks for push too); one more for the mount, which needs two repositories.
    assert tokens.requests == [
        ("alice", ["repository:wasm/bearer:pull,push"]),
        ("alice", ["repository:wasm/bearer:pull", "repository:wasm/bearer-mirror:pull,push"]),
    ]


def test_bearer_with_a_wrong_password_names_the_realm(oci_registry_token):
    client = client_for(oci_registry_token.host, user="alice", password="wrong")
    realm = oci_registry_token.token_server.realm
    with pytest.raises(WasmlinkError) as error:
        client.repository("wasm/bearer").get_manifest("v1")
    assert str(error.value) == (f"registry {oci_registry_token.host}: authentication failed for "
                                f"user 'alice' (from arguments): the token realm {realm} answered "
                                f"HTTP 401: UNAUTHORIZED: bad credentials")


def test_a_token_realm_on_another_host_is_not_contacted(oci_registry_token):
    client = client_for(oci_registry_token.host.replace("127.0.0.1", "localhost"))
    with pytest.raises(WasmlinkError, match=r"refusing to ask the token realm 'http://127\.0\.0\.1:\d+/token': "
                                            r"it is not on localhost"):
        client.check()


def test_a_blob_source_that_cannot_be_read_is_an_error_naming_it(oci_registry, tmp_path):
    repository = client_for(oci_registry.host).repository("wasm/sources")
    missing = tmp_path / "missing.wasm"
    with pytest.raises(WasmlinkError) as error:
        repository.put_blob(digest_of(b""), missing)
    assert str(error.value) == f"{missing}: cannot read blob: No such file or directory"
    with pytest.raises(UsageError, match="a blob is bytes-like or a file path, not int"):
        repository.put_blob(digest_of(b""), 42)


def test_an_empty_blob_goes_up_and_comes_back(oci_registry):
    client = client_for(oci_registry.host)
    repository = client.repository("wasm/empty")
    assert repository.put_blob(digest_of(b""), b"") is True
    assert repository.get_blob(digest_of(b"")) == b""
    assert client.stats.as_dict() == {"blobs_uploaded": 1, "bytes_sent": 0, "blobs_skipped": 0,
                                      "mounts": 0, "retries": 0, "blobs_downloaded": 1,
                                      "bytes_received": 0}
