"""Bad input to the registry commands is a WasmlinkError naming what was wrong, never a crash
and never a partial output: mutated components through `push --dedup` and `resolve`, and
malformed manifests and dedup annotations through `pull`."""
import hashlib
import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from wasmlink.errors import WasmlinkError
from wasmlink.registry import artifact as a
from wasmlink.registry.layering import split_component
from wasmlink.registry.store import Store
from wasmlink.registry.transfer import pull, push

wasmtime = pytest.importorskip("wasmtime")

# a small component with two core modules (one above the threshold used below) and an import
COMPONENT = wasmtime.wat2wasm("""(component
  (import "host" (func $h))
  (core module $big (func (export "f")) (data "0123456789abcdef0123456789abcdef"))
  (core module $small)
  (core instance (instantiate $big))
  (core instance (instantiate $small))
)""")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_components_split_cleanly_or_raise_a_wasmlink_error(data):
    blob = bytearray(COMPONENT)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(blob) - 1))
        blob[at] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        del blob[data.draw(st.integers(8, len(blob))):]
    try:
        split_component(bytes(blob), min_size=16)
    except WasmlinkError:
        pass


@pytest.fixture(scope="module")
def root_and_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("malformed-root")
    path = tmp / "c.wasm"
    path.write_bytes(COMPONENT)
    push(path, f"oci:{tmp / 'store'}:x:1", dedup=True, min_size=16)
    pull(f"oci:{tmp / 'store'}:x:1", tmp / "root.wasm", keep_imports=True)
    return (tmp / "root.wasm").read_bytes(), tmp / "store"


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_roots_resolve_cleanly_or_raise_a_wasmlink_error(data, root_and_store,
                                                                  tmp_path):
    from wasmlink.registry.resolve import resolve_component
    root, store = root_and_store
    blob = bytearray(root)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(blob) - 1))
        blob[at] = data.draw(st.integers(0, 255))
    path = tmp_path / "mutated.wasm"
    path.write_bytes(bytes(blob))
    out = tmp_path / "out.wasm"
    out.unlink(missing_ok=True)          # (tmp_path is shared by hypothesis's examples)
    try:
        resolve_component(path, [f"oci:{store}"], out, strict=False)
    except WasmlinkError:
        assert not out.exists()


def test_a_truncated_component_is_refused_by_push_with_its_offset(tmp_path):
    path = tmp_path / "cut.wasm"
    path.write_bytes(COMPONENT[:40])
    with pytest.raises(WasmlinkError, match=r"cut\.wasm.*offset"):
        push(path, f"oci:{tmp_path / 'store'}:x:1", dedup=True)


def test_a_file_that_is_not_wasm_is_refused_by_push(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello, not wasm at all")
    with pytest.raises(WasmlinkError, match="notes.txt"):
        push(path, f"oci:{tmp_path / 'store'}:x:1")
    assert not (tmp_path / "store" / "index.json").exists() or \
        Store(tmp_path / "store").names() == []


def store_with_manifest(tmp_path, manifest: dict, blobs=()):
    store = Store(tmp_path / "store")
    for blob in blobs:
        store.put_bytes(blob)
    data = json.dumps(manifest).encode()
    digest = store.put_bytes(data)
    store.tag("x:1", digest, a.MANIFEST_MEDIA_TYPE, len(data))
    return f"oci:{tmp_path / 'store'}:x:1"


def descriptor(data: bytes, media_type: str, annotations=None) -> dict:
    d = {"mediaType": media_type, "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
         "size": len(data)}
    if annotations:
        d["annotations"] = annotations
    return d


def test_a_manifest_without_a_wasm_layer_is_an_error(tmp_path):
    config = b"{}"
    ref = store_with_manifest(tmp_path, {
        "schemaVersion": 2, "mediaType": a.MANIFEST_MEDIA_TYPE,
        "config": descriptor(config, a.CONFIG_MEDIA_TYPE),
        "layers": [descriptor(b"text", "text/plain")]}, [config, b"text"])
    out = tmp_path / "out.wasm"
    with pytest.raises(WasmlinkError, match="expected one application/wasm layer, found 0"):
        pull(ref, out)
    assert not out.exists()


@pytest.mark.parametrize("break_it", ["no-types", "bad-range", "bad-header", "newer-version",
                                      "overlapping"])
def test_malformed_dedup_annotations_are_errors_and_nothing_is_written(tmp_path, break_it):
    built = a.dedup_artifact(COMPONENT, min_size=16)
    manifest = json.loads(built.manifest_bytes)
    root, child = manifest["layers"][0], manifest["layers"][1]
    if break_it == "no-types":
        del root["annotations"][a.DEDUP_TYPES]
    elif break_it == "bad-range":
        child["annotations"][a.DEDUP_IMPORT] = "12,x"
    elif break_it == "bad-header":
        child["annotations"][a.DEDUP_HEADER] = "zz"
    elif break_it == "newer-version":
        manifest["annotations"][a.DEDUP_VERSION] = "2"
    else:
        child["annotations"][a.DEDUP_IMPORT] = f"0,{root['size']}"
    ref = store_with_manifest(tmp_path, manifest, [bytes(b) for b in built.blobs.values()])
    out = tmp_path / "out.wasm"
    with pytest.raises(WasmlinkError):
        pull(ref, out)
    assert not out.exists()


def test_a_dedup_pull_checks_the_whole_against_the_recorded_digest(tmp_path):
    built = a.dedup_artifact(COMPONENT, min_size=16)
    manifest = json.loads(built.manifest_bytes)
    manifest["annotations"][a.DEDUP_ORIGINAL] = "sha256:" + "0" * 64
    ref = store_with_manifest(tmp_path, manifest, [bytes(b) for b in built.blobs.values()])
    with pytest.raises(WasmlinkError, match="expected sha256:0000"):
        pull(ref, tmp_path / "out.wasm")


def test_the_small_component_round_trips_through_a_store(tmp_path):
    path = tmp_path / "c.wasm"
    path.write_bytes(COMPONENT)
    result = push(path, f"oci:{tmp_path / 'store'}:x:1", dedup=True, min_size=16)
    assert result.layers == 3                     # the root and both modules (names in)
    pull(f"oci:{tmp_path / 'store'}:x:1", tmp_path / "out.wasm")
    assert (tmp_path / "out.wasm").read_bytes() == COMPONENT
