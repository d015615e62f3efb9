"""`wasmlink push` / `pull` / `resolve` on the corpus of Python app components, into a local
store and into a real registry (Debian's docker-registry on loopback): shared modules are sent
once, pulls are byte-identical, Wasmtime runs what was pulled, and tampering is caught."""
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.oci_registry import oci_registry  # noqa: F401  (a fixture)
from support.python_apps import APPS, EXPECTED_OUTPUT, python_app_components, run_python_app

from wasmlink.binary.component import Component as ComponentView
from wasmlink.errors import WasmlinkError
from wasmlink.registry.store import Store
from wasmlink.registry.transfer import pull, push

NAMES = list(APPS)


@pytest.fixture(autouse=True)
def own_blob_locations(tmp_path, monkeypatch):
    """Each test starts with no record of where blobs were pushed (blob_locations.py)."""
    monkeypatch.setenv("WASMLINK_CACHE_DIR", str(tmp_path / "wasmlink-cache"))


@pytest.fixture(scope="module")
def apps():
    return python_app_components()


def shared_children(paths, min_size=65536):
    """An independent count: the distinct large root-level modules, and how many apps hold
    each (sha256 over the scanner's unit ranges)."""
    counts = {}
    for p in paths:
        data = p.read_bytes()
        view = ComponentView(data)
        for u in view.units:
            if u.parent == 0 and u.kind == "module" and u.size >= min_size:
                digest = "sha256:" + hashlib.sha256(view.unit_bytes(u.index)).hexdigest()
                counts.setdefault(digest, set()).add(p)
    return counts


def _size_of(digest, paths):
    for p in paths:
        data = p.read_bytes()
        view = ComponentView(data)
        for u in view.units:
            if "sha256:" + hashlib.sha256(view.unit_bytes(u.index)).hexdigest() == digest:
                return u.size
    raise KeyError(digest)


def wasmlink_cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "wasmlink", *map(str, args)],
                          capture_output=True, text=True, **kw)


# --- a local store -------------------------------------------------------------------------

def test_dedup_pushes_into_a_store_keep_each_shared_module_once(apps, tmp_path):
    store = tmp_path / "store"
    results = [push(p, f"oci:{store}:apps/{name}:1.0.0", dedup=True)
               for p, name in zip(apps, NAMES)]
    children = shared_children(apps)
    written = [d for r in results for d in r.uploaded]
    assert len(written) == len(set(written))                 # nothing written twice
    for digest, holders in children.items():
        assert written.count(digest) == 1
        assert sum(digest in r.skipped for r in results) == len(holders) - 1
    # every app's root and config are its own
    assert all(len(r.uploaded) >= 2 for r in results)
    assert Store(store).fsck() == []


def test_pull_from_a_store_gives_the_pushed_bytes(apps, tmp_path):
    store = tmp_path / "store"
    for p, name in zip(apps, NAMES):
        push(p, f"oci:{store}:apps/{name}:1.0.0", dedup=True)
    for p, name in zip(apps, NAMES):
        out = tmp_path / f"{name}.wasm"
        result = pull(f"oci:{store}:apps/{name}:1.0.0", out)
        assert result.dedup and out.read_bytes() == p.read_bytes()


def test_wasmtime_runs_a_pulled_component(apps, tmp_path):
    store = tmp_path / "store"
    push(apps[1], f"oci:{store}:apps/{NAMES[1]}:1", dedup=True)
    out = tmp_path / "pulled.wasm"
    pull(f"oci:{store}:apps/{NAMES[1]}:1", out)
    assert run_python_app(out) == EXPECTED_OUTPUT[NAMES[1]]


def test_keep_imports_leaves_a_root_a_runtime_completes_from_the_modules(apps, tmp_path):
    import wasmtime
    import wasmlink
    store = tmp_path / "store"
    push(apps[2], f"oci:{store}:apps/x:1", dedup=True)
    root, modules = tmp_path / "root.wasm", tmp_path / "modules"
    result = pull(f"oci:{store}:apps/x:1", root, keep_imports=True, modules_dir=modules)
    assert root.stat().st_size < 1_000_000 and len(result.modules) == 4
    instance, wstore = wasmlink.instantiate_component(wasmtime.Engine(), root, [modules])
    assert instance.get_func(wstore, "run")(wstore) == EXPECTED_OUTPUT[NAMES[2]]


def test_the_same_pushes_give_byte_identical_stores(apps, tmp_path):
    def files(root):
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file()}
    for run in ("a", "b"):
        for p, name in zip(apps[:2], NAMES):
            push(p, f"oci:{tmp_path / run}:apps/{name}:1", dedup=True)
    assert files(tmp_path / "a") == files(tmp_path / "b")


def test_a_plain_push_is_one_wasm_layer(apps, tmp_path):
    store = tmp_path / "store"
    result = push(apps[0], f"oci:{store}:plain:1")
    manifest = json.loads(Store(store).get_blob(result.digest))
    assert [l["mediaType"] for l in manifest["layers"]] == ["application/wasm"]
    assert manifest["config"]["mediaType"] == "application/vnd.wasm.config.v0+json"
    out = tmp_path / "out.wasm"
    assert not pull(f"oci:{store}:plain:1", out).dedup and out.read_bytes() == apps[0].read_bytes()


def test_a_tampered_child_is_caught_on_pull_and_nothing_is_written(apps, tmp_path):
    store = tmp_path / "store"
    result = push(apps[0], f"oci:{store}:apps/a:1", dedup=True)
    child = max(result.uploaded, key=lambda d: Store(store).blob_size(d))
    blob = store / "blobs" / "sha256" / child.split(":")[1]
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    os.chmod(blob, 0o644)
    blob.write_bytes(bytes(data))
    out = tmp_path / "out.wasm"
    with pytest.raises(WasmlinkError, match=child.split(":")[1][:12]):
        pull(f"oci:{store}:apps/a:1", out)
    assert not out.exists()


# --- resolve --------------------------------------------------------------------------------

def test_resolve_inlines_hash_imports_from_a_store(apps, tmp_path):
    store = tmp_path / "store"
    push(apps[0], f"oci:{store}:apps/a:1", dedup=True)
    root = tmp_path / "root.wasm"
    pull(f"oci:{store}:apps/a:1", root, keep_imports=True)
    out = tmp_path / "resolved.wasm"
    proc = wasmlink_cli("resolve", root, "--from", f"oci:{store}", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "4 import(s) inlined, 0 left" in proc.stdout
    assert run_python_app(out) == EXPECTED_OUTPUT[NAMES[0]]


def test_resolve_refuses_content_that_does_not_match_its_hash(apps, tmp_path):
    store = tmp_path / "store"
    result = push(apps[0], f"oci:{store}:apps/a:1", dedup=True)
    root = tmp_path / "root.wasm"
    pull(f"oci:{store}:apps/a:1", root, keep_imports=True)
    child = next(d for d in result.uploaded if Store(store).blob_size(d) == 434102)
    blob = store / "blobs" / "sha256" / child.split(":")[1]
    os.chmod(blob, 0o644)
    blob.write_bytes(blob.read_bytes()[:-1] + b"\x01")
    out = tmp_path / "resolved.wasm"
    proc = wasmlink_cli("resolve", root, "--from", f"oci:{store}", "-o", out)
    assert proc.returncode == 1 and not out.exists()
    assert len(proc.stderr.strip().splitlines()) == 1
    assert child.split(":")[1][:12] in proc.stderr or "tampered" in proc.stderr


def test_resolve_without_the_children_is_an_error_unless_allowed(apps, tmp_path):
    store = tmp_path / "store"
    push(apps[0], f"oci:{store}:apps/a:1", dedup=True)
    root = tmp_path / "root.wasm"
    pull(f"oci:{store}:apps/a:1", root, keep_imports=True)
    empty = tmp_path / "empty"
    Store(empty)
    out = tmp_path / "out.wasm"
    proc = wasmlink_cli("resolve", root, "--from", empty, "-o", out)
    assert proc.returncode == 1 and "no source has 4 imported child(ren)" in proc.stderr
    assert not out.exists()
    proc = wasmlink_cli("resolve", root, "--from", empty, "--allow-unresolved", "-o", out)
    assert proc.returncode == 0 and out.read_bytes() == root.read_bytes()


# --- bad references -------------------------------------------------------------------------

@pytest.mark.parametrize("ref", ["oci:/tmp/x:../escape", "localhost:5000/../x:1",
                                 "localhost:5000/ns/name:-bad",
                                 "localhost:5000/ns/name@sha256:abc",
                                 "localhost:5000/NS/name:1"])
def test_push_rejects_bad_references_with_one_line(apps, ref, tmp_path):
    proc = wasmlink_cli("push", apps[0], ref)
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1 and "wasmlink: error:" in proc.stderr


# --- a real registry -----------------------------------------------------------------------

def blob_uploads(registry) -> list[str]:
    """Digests of the blob uploads the registry completed, from its own access log."""
    text = registry.log_path.read_text(errors="replace")
    return re.findall(r'"PUT /v2/[^ ]+/blobs/uploads/[^ ?]+\?[^ ]*digest=(sha256(?::|%3A)[0-9a-f]{64})'
                      r'[^"]*" 201', text)


def test_dedup_pushes_to_a_registry_upload_each_shared_module_once(apps, oci_registry, tmp_path):
    before = len(blob_uploads(oci_registry))
    host = oci_registry.host
    results = [push(p, f"{host}/apps/corpus:{name}", dedup=True) for p, name in zip(apps, NAMES)]
    uploads = [d.replace("%3A", ":") for d in blob_uploads(oci_registry)[before:]]
    children = shared_children(apps)
    for digest in children:
        assert uploads.count(digest) == 1                    # counted at the registry
    assert len(uploads) == len(set(uploads)) == sum(len(r.uploaded) for r in results)
    # what was sent: everything once, less the shared modules' repeats, plus each root's own
    # type section and config (under 300 KB an app)
    repeats = sum((len(holders) - 1) * size for digest, (holders, size) in
                  {d: (h, _size_of(d, apps)) for d, h in children.items()}.items())
    total = sum(p.stat().st_size for p in apps)
    sent = sum(r.bytes_sent for r in results)
    assert total - repeats < sent < total - repeats + 300_000 * len(apps)
    for p, name in zip(apps, NAMES):
        out = tmp_path / f"{name}.wasm"
        pull(f"{host}/apps/corpus:{name}", out)
        assert out.read_bytes() == p.read_bytes()


def test_a_push_to_another_repository_mounts_the_shared_modules(apps, oci_registry):
    host = oci_registry.host
    push(apps[0], f"{host}/apps/first:1", dedup=True)
    before = len(blob_uploads(oci_registry))
    result = push(apps[1], f"{host}/apps/second:1", dedup=True, mount_from=["apps/first"])
    assert len(result.mounted) == 3
    assert len(blob_uploads(oci_registry)) - before == len(result.uploaded) == 3  # root,
    # config and its own libpython snapshot


def test_a_later_push_mounts_what_an_earlier_one_sent_elsewhere(apps, oci_registry, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setenv("WASMLINK_CACHE_DIR", str(tmp_path / "cache"))
    host = oci_registry.host
    push(apps[0], f"{host}/remembered/one:1", dedup=True)
    result = push(apps[1], f"{host}/remembered/two:1", dedup=True)
    assert len(result.mounted) == 3 and len(result.uploaded) == 3
    monkeypatch.setenv("WASMLINK_CACHE_DIR", "")                  # the record turned off
    result = push(apps[2], f"{host}/remembered/three:1", dedup=True)
    assert result.mounted == [] and len(result.uploaded) == 6


def test_a_push_mounts_what_an_earlier_pull_fetched(apps, oci_registry, tmp_path):
    host = oci_registry.host
    push(apps[0], f"{host}/pulled/from:1", dedup=True)
    (tmp_path / "wasmlink-cache" / "blob-locations.json").unlink()   # forget the push
    pull(f"{host}/pulled/from:1", tmp_path / "out.wasm")
    result = push(apps[1], f"{host}/pulled/to:1", dedup=True)
    assert len(result.mounted) == 3


def test_a_pull_from_the_registry_runs_in_wasmtime(apps, oci_registry, tmp_path):
    ref = f"{oci_registry.host}/apps/run:{NAMES[3]}"
    push(apps[3], ref, dedup=True)
    out = tmp_path / "pulled.wasm"
    proc = wasmlink_cli("pull", ref, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert run_python_app(out) == EXPECTED_OUTPUT[NAMES[3]]


def test_oras_pulls_a_plain_artifact_as_the_pushed_file(apps, oci_registry, tmp_path):
    oras = pytest.importorskip("oras.client")
    ref = f"{oci_registry.host}/other-tools/plain:1"
    push(apps[0], ref)
    files = oras.OrasClient(hostname=oci_registry.host, insecure=True).pull(
        target=ref, outdir=str(tmp_path / "out"))
    assert [Path(f).name for f in files] == [apps[0].name]
    assert Path(files[0]).read_bytes() == apps[0].read_bytes()


def test_oras_pulls_a_dedup_artifact_as_a_root_and_the_modules_it_imports(apps, oci_registry,
                                                                          tmp_path):
    # what another tool gets from the dedup layout: the root under the pushed file's name and
    # each child as <digest>.wasm beside it, which a runtime supplying modules by hash runs
    import wasmtime
    import wasmlink
    oras = pytest.importorskip("oras.client")
    ref = f"{oci_registry.host}/other-tools/dedup:1"
    push(apps[4], ref, dedup=True)
    out = tmp_path / "out"
    files = oras.OrasClient(hostname=oci_registry.host, insecure=True).pull(
        target=ref, outdir=str(out))
    children = shared_children([apps[4]])
    assert sorted(Path(f).name for f in files) == sorted(
        [apps[4].name] + [d.split(":")[1] + ".wasm" for d in children])
    instance, store = wasmlink.instantiate_component(wasmtime.Engine(), out / apps[4].name, [out])
    assert instance.get_func(store, "run")(store) == EXPECTED_OUTPUT[NAMES[4]]


def test_push_to_a_registry_that_is_down_fails_in_one_line(apps, tmp_path):
    from support.oci_registry import free_port
    proc = wasmlink_cli("push", apps[0], f"127.0.0.1:{free_port()}/apps/x:1")
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1
    assert "127.0.0.1" in proc.stderr


# --- SIGKILL during pushes --------------------------------------------------------------------

def test_killed_pushes_leave_a_consistent_store_and_a_retry_completes(apps, tmp_path):
    import random
    rng = random.Random(6)
    store = tmp_path / "store"
    Store(store)
    cmd = [sys.executable, "-m", "wasmlink", "push", str(apps[0]), f"oci:{store}:apps/k:1",
           "--dedup"]
    for _ in range(12):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        s = Store(store)
        problems = [p for p in s.fsck() if p.kind not in ("temp", "stray")]
        assert problems == []
        for name in s.names():                      # a tag exists only with all its blobs
            manifest = json.loads(s.get_blob(s.resolve(name)["digest"]))
            assert all(s.has_blob(l["digest"]) for l in manifest["layers"])
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    out = tmp_path / "out.wasm"
    pull(f"oci:{store}:apps/k:1", out)
    assert out.read_bytes() == apps[0].read_bytes()
    Store(store).gc(temp_grace=0)
    assert Store(store).fsck() == []
