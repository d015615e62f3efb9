"""The registry client when things go wrong: retries, resumed uploads, dead registries, tampered
downloads and killed pushes, against a real registry (support/oci_registry) behind a proxy that
injects the faults and counts what really reached the registry (support/faulty_proxy).

Retry waits go through a recording ``sleep`` (no real waiting) with a fixed ``random``, so the
backoff is checked exactly and the tests stay fast.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import selectors
import signal
import subprocess
import sys
import time

import pytest

from support.faulty_proxy import FaultyProxy
from support.oci_registry import free_port, oci_registry  # noqa: F401
from wasmlink.errors import WasmlinkError
from wasmlink.registry.client import OCI_MANIFEST, RegistryClient
from wasmlink.registry.http import RetryPolicy

CHUNK = 256 << 10


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def short(data: bytes) -> str:
    return digest_of(data)[:19] + "…"


def blob(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


class Waits:
    """A RetryPolicy's sleep that records instead of sleeping."""

    def __init__(self):
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def proxy(oci_registry):
    with FaultyProxy(oci_registry.port) as running:
        yield running


@pytest.fixture
def waits():
    return Waits()


def client_for(host: str, waits: Waits, **options) -> RegistryClient:
    options.setdefault("retry", RetryPolicy(attempts=5, base_delay=0.01, max_delay=1.0,
                                            sleep=waits, random=lambda: 0.0))
    options.setdefault("monolithic_limit", CHUNK)
    options.setdefault("chunk_size", CHUNK)
    return RegistryClient(host, environ={}, docker_config=os.devnull + ".absent", **options)


def push(repository, tag: str, config: bytes, layers: list[bytes]) -> str:
    """What a push does: every blob first, then the manifest that names them."""
    for data in (config, *layers):
        repository.put_blob(digest_of(data), data)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.wasm.config.v0+json",
                   "digest": digest_of(config), "size": len(config)},
        "layers": [{"mediaType": "application/wasm", "digest": digest_of(d), "size": len(d)}
                   for d in layers]}, sort_keys=True).encode()
    return repository.put_manifest(tag, manifest, OCI_MANIFEST)


def registry_has_manifest(registry, repository: str, tag: str) -> bool:
    status = registry.request("GET", f"/v2/{repository}/manifests/{tag}",
                              headers={"Accept": OCI_MANIFEST})[0]
    assert status in (200, 404)
    return status == 200


# --- retries ----------------------------------------------------------------------------------

def test_500s_for_the_first_requests_are_retried_and_the_push_succeeds(oci_registry, proxy, waits):
    proxy.fault("status", status=500, times=3)
    client = client_for(proxy.host, waits)
    repository = client.repository("faults/flaky")
    config, layer = b"{}", blob(1000, 1)
    push(repository, "v1", config, [layer])
    assert proxy.count(fault="status") == 3
    assert client.stats.retries == 3
    assert waits.delays == [0.005, 0.01, 0.02]      # the first HEAD failed three times in a row
    assert repository.get_blob(digest_of(layer)) == layer
    assert registry_has_manifest(oci_registry, "faults/flaky", "v1")


def test_backoff_doubles_per_failure_with_jitter_and_is_capped():
    policy = RetryPolicy(base_delay=0.1, max_delay=0.5, random=lambda: 1.0)
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5)] == [0.1, 0.2, 0.4, 0.5, 0.5]
    policy.random = lambda: 0.0
    assert [policy.delay(n) for n in (1, 2, 3)] == [0.05, 0.1, 0.2]
    assert policy.delay(1, retry_after=0.3) == 0.3
    assert policy.delay(1, retry_after=60) == 0.5


def test_a_registry_that_always_fails_gives_one_error_after_the_attempts_and_no_manifest(
        oci_registry, proxy, waits):
    proxy.fault("status", "POST", r"/blobs/uploads/", status=500, times=1000)
    client = client_for(proxy.host, waits)
    layer = blob(1000, 2)
    with pytest.raises(WasmlinkError) as error:
        push(client.repository("faults/broken"), "v1", b"{}", [layer])
    assert str(error.value) == (f"registry {proxy.host}: upload of blob {short(b'{}')} failed "
                                f"after 5 attempts: HTTP 500: INJECTED: injected HTTP 500")
    assert proxy.count("POST") == 5
    assert waits.delays == [0.005, 0.01, 0.02, 0.04]
    assert not registry_has_manifest(oci_registry, "faults/broken", "v1")


def test_a_registry_that_is_down_gives_one_error_after_the_attempts(waits):
    client = client_for(f"127.0.0.1:{free_port()}", waits)
    with pytest.raises(WasmlinkError) as error:
        push(client.repository("faults/down"), "v1", b"{}", [b"layer"])
    assert str(error.value) == (f"registry {client.host}: check of blob {short(b'{}')} failed "
                                f"after 5 attempts: connection refused")
    assert len(waits.delays) == 4


def test_too_many_requests_waits_at_least_what_retry_after_says(oci_registry, proxy, waits):
    proxy.fault("status", "HEAD", status=429, headers={"Retry-After": "0.25"})
    client = client_for(proxy.host, waits)
    assert client.repository("faults/busy").has_blob(digest_of(b"x")) is False
    assert waits.delays == [0.25]


def test_a_4xx_is_an_error_at_once(oci_registry, proxy, waits):
    proxy.fault("status", "POST", status=403)
    client = client_for(proxy.host, waits)
    with pytest.raises(WasmlinkError) as error:
        client.repository("faults/denied").put_blob(digest_of(b"x"), b"x")
    assert str(error.value) == (f"registry {proxy.host}: upload of blob {short(b'x')}: "
                                f"HTTP 403: INJECTED: injected HTTP 403")
    assert proxy.count("POST") == 1 and waits.delays == []


def test_a_timeout_is_retried(oci_registry, proxy, waits):
    proxy.fault("delay", "HEAD", seconds=1.0)
    client = client_for(proxy.host, waits, timeout=0.2)
    assert client.repository("faults/slow").has_blob(digest_of(b"x")) is False
    assert client.stats.retries == 1 and proxy.count("HEAD") == 2


# --- uploads that break -----------------------------------------------------------------------

def test_a_patch_dropped_before_the_registry_saw_it_is_resumed_where_the_registry_stands(
        oci_registry, proxy, waits):
    data = blob(10 * CHUNK + 123, 3)
    proxy.fault("drop_request", "PATCH", skip=4, after=1000)
    client = client_for(proxy.host, waits)
    repository = client.repository("faults/resume")
    assert repository.put_blob(digest_of(data), data) is True
    # one session; the 5th PATCH lost, the session asked where it stands, 6 PATCHes more
    assert proxy.uploads() == {"POST": 1, "PATCH": 12, "PUT": 1}
    assert proxy.count("GET", r"/blobs/uploads/") == 1
    ranges = [r.headers["content-range"] for r in proxy.requests if r.method == "PATCH"]
    assert ranges[4] == ranges[5] == f"{4 * CHUNK}-{5 * CHUNK - 1}"
    assert client.stats.retries == 1
    assert repository.get_blob(digest_of(data)) == data


def test_a_patch_cut_halfway_into_the_registry_starts_a_new_session(oci_registry, proxy, waits):
    # distribution keeps the half chunk and then refuses the session (BLOB_UPLOAD_INVALID):
    # there is nothing to resume, so the client starts again.
    data = blob(6 * CHUNK, 4)
    proxy.fault("cut_upstream", "PATCH", skip=2, after=CHUNK // 2)
    client = client_for(proxy.host, waits)
    repository = client.repository("faults/restart")
    assert repository.put_blob(digest_of(data), data) is True
    assert proxy.uploads() == {"POST": 2, "PATCH": 3 + 6, "PUT": 1}
    assert [r.status for r in proxy.requests if r.method == "GET"] == [404]
    assert repository.get_blob(digest_of(data)) == data


def test_a_patch_that_always_fails_stops_after_the_attempts(oci_registry, proxy, waits):
    data = blob(6 * CHUNK, 5)
    proxy.fault("drop_request", "PATCH", skip=2, times=1000)
    client = client_for(proxy.host, waits)
    with pytest.raises(WasmlinkError) as error:
        client.repository("faults/stuck").put_blob(digest_of(data), data)
    assert str(error.value).startswith(f"registry {proxy.host}: upload of blob {short(data)} "
                                       f"failed after 5 attempts: ")
    assert proxy.count("PATCH") == 2 + 5


def test_a_lost_answer_to_the_final_put_is_found_by_a_head(oci_registry, proxy, waits):
    data = blob(1000, 6)
    proxy.fault("drop_response", "PUT", r"/blobs/uploads/")
    client = client_for(proxy.host, waits)
    repository = client.repository("faults/lost-answer")
    assert repository.put_blob(digest_of(data), data) is True
    assert proxy.uploads() == {"POST": 1, "PATCH": 0, "PUT": 1}
    assert proxy.count("HEAD") == 2 and client.stats.blobs_uploaded == 1


def test_an_upload_location_on_another_host_is_not_followed(oci_registry, proxy, waits):
    proxy.fault("redirect_away", "POST", r"/blobs/uploads/")
    client = client_for(proxy.host, waits)
    with pytest.raises(WasmlinkError, match=r"refusing to follow 'http://localhost:9/v2/faults/away/"
                                            r"blobs/uploads/[^']+' to another host \(wasmlink only "
                                            rf"contacts http://{proxy.host}\)"):
        client.repository("faults/away").put_blob(digest_of(b"x"), b"x")
    assert proxy.count("PUT") == 0


# --- downloads that break ---------------------------------------------------------------------

def test_a_tampered_blob_is_a_digest_mismatch_and_leaves_no_file(oci_registry, proxy, waits,
                                                                  tmp_path):
    data = blob(5000, 7)
    client = client_for(proxy.host, waits)
    repository = client.repository("faults/tampered")
    repository.put_blob(digest_of(data), data)
    proxy.fault("tamper", "GET", r"/blobs/sha256:", times=2)
    out = tmp_path / "pulled"
    out.mkdir()
    with pytest.raises(WasmlinkError) as error:
        repository.get_blob_to(digest_of(data), out / "layer.wasm")
    tampered = data[:-1] + bytes([data[-1] ^ 1])
    assert str(error.value) == (f"registry {proxy.host}: download of blob {short(data)}: the content "
                                f"does not match {digest_of(data)} (it hashes to {digest_of(tampered)})")
    assert list(out.iterdir()) == []
    with pytest.raises(WasmlinkError, match=f"does not match {digest_of(data)}"):
        repository.get_blob(digest_of(data))
    assert client.stats.retries == 0


def test_a_download_cut_short_is_retried(oci_registry, proxy, waits, tmp_path):
    data = blob(50_000, 8)
    client = client_for(proxy.host, waits)
    repository = client.repository("faults/truncated")
    repository.put_blob(digest_of(data), data)
    proxy.fault("truncate", "GET", r"/blobs/sha256:", after=20_000)
    repository.get_blob_to(digest_of(data), tmp_path / "layer.wasm")
    assert (tmp_path / "layer.wasm").read_bytes() == data
    assert client.stats.retries == 1 and proxy.count("GET") == 2


# --- pushes killed at random points -----------------------------------------------------------

PUSH_CHILD = r"""
import json, random, sys
from wasmlink.registry.client import OCI_MANIFEST, RegistryClient, compute_digest
from wasmlink.registry.http import RetryPolicy

host, tag, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(seed)
config = json.dumps({"seed": seed}).encode()
layers = [rng.randbytes(200_000), rng.randbytes(1_200_000), rng.randbytes(30_000)]
client = RegistryClient(host, monolithic_limit=256 << 10, chunk_size=64 << 10, environ={},
                        docker_config="/nonexistent", retry=RetryPolicy(base_delay=0.001, max_delay=0.01))
repository = client.repository("faults/killed")
print("start", flush=True)
for data in (config, *layers):
    repository.put_blob(compute_digest(data), data)
    print("blob", flush=True)
manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
    "config": {"mediaType": "application/vnd.wasm.config.v0+json",
               "digest": compute_digest(config), "size": len(config)},
    "layers": [{"mediaType": "application/wasm", "digest": compute_digest(d), "size": len(d)}
               for d in layers]}, sort_keys=True).encode()
print("manifest", repository.put_manifest(tag, manifest, OCI_MANIFEST), flush=True)
"""


def read_line(process: subprocess.Popen, timeout: float) -> str:
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            process.kill()
            pytest.fail("the pushing process printed nothing in time")
    return process.stdout.readline()


def run_push(script, host: str, tag: str, seed: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(script), host, tag, str(seed)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def every_manifest_has_its_blobs(client: RegistryClient) -> int:
    repository = client.repository("faults/killed")
    tags = client.tags("faults/killed")
    for tag in tags:
        manifest = json.loads(repository.get_manifest(tag)[0])
        for descriptor in (manifest["config"], *manifest["layers"]):
            assert repository.has_blob(descriptor["digest"]), (tag, descriptor["digest"])
    return len(tags)


def test_pushes_killed_at_random_points_leave_no_manifest_without_its_blobs_and_a_retry_completes(
        oci_registry, tmp_path):
    script = tmp_path / "push_child.py"
    script.write_text(PUSH_CHILD)
    checker = RegistryClient(oci_registry.host, environ={}, docker_config=os.devnull + ".absent")

    # One push to the end, to learn how long a push takes once the child is running.
    child = run_push(script, oci_registry.host, "calibration", 0)
    assert read_line(child, 10).strip() == "start"
    started = time.monotonic()
    while not read_line(child, 30).startswith("manifest"):
        pass
    duration = time.monotonic() - started
    out, err = child.communicate(timeout=30)
    assert child.returncode == 0, err

    rng = random.Random(2024)
    killed_before_manifest = 0
    for round_number in range(1, 16):
        tag = f"round{round_number}"
        child = run_push(script, oci_registry.host, tag, round_number)
        assert read_line(child, 10).strip() == "start"
        time.sleep(rng.uniform(0, duration * 1.1))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=10)
        killed_before_manifest += "manifest" not in out
        every_manifest_has_its_blobs(checker)

        retry = run_push(script, oci_registry.host, tag, round_number)
        out, err = retry.communicate(timeout=30)
        assert retry.returncode == 0, err
        pushed_digest = out.split()[-1]
        manifest, _ = checker.repository("faults/killed").get_manifest(tag)
        assert digest_of(manifest) == pushed_digest
    assert every_manifest_has_its_blobs(checker) == 16
    # The kills fell during pushes, not only after them.
    assert killed_before_manifest >= 5
