"""Dedup layering of real components (componentize-py apps): the root imports its large
children by content hash in place, Wasmtime accepts it and runs it with the children supplied
by hash, and the original comes back byte for byte."""
import base64
import hashlib
import json
import shutil

import pytest

from support.python_apps import EXPECTED_OUTPUT, python_app_components

from wasmlink.binary.component import Component as ComponentView
from wasmlink.component import decode_component
from wasmlink.errors import WasmlinkError
from wasmlink.registry import artifact as a
from wasmlink.registry.layering import reassemble, split_component

wasmtime = pytest.importorskip("wasmtime")


@pytest.fixture(scope="module")
def apps():
    return python_app_components()


@pytest.fixture(scope="module")
def json_app(apps):
    return apps[0]


def large_modules(data, min_size):
    """(sha256, size) of the root's core module sections of at least min_size, by a walk of
    the scanner's units (not the code under test)."""
    view = ComponentView(data)
    return [(hashlib.sha256(view.unit_bytes(u.index)).digest(), u.size)
            for u in view.units if u.parent == 0 and u.kind == "module" and u.size >= min_size]


def test_children_become_hash_imports_named_by_their_sha256(json_app):
    data = json_app.read_bytes()
    split = split_component(data, min_size=65536)
    expected = large_modules(data, 65536)
    assert [(c.digest, len(c.data)) for c in split.children] == \
        [("sha256:" + d.hex(), size) for d, size in expected]
    imports = [i.name for i in decode_component(split.root).imports
               if i.name.startswith("integrity=")]
    assert imports == [f"integrity=<sha256-{base64.b64encode(d).decode()}>" for d, _ in expected]


def test_root_is_small_and_reassembles_to_the_original(json_app):
    data = json_app.read_bytes()
    split = split_component(data, min_size=65536)
    assert len(split.root) < 0.05 * len(data)
    pieces = [(c.root_start, c.root_end, c.header, c.data) for c in split.children]
    assert reassemble(split.root, pieces, split.types_start, split.types_end,
                      split.original_digest) == data


def test_reassembly_with_a_wrong_child_is_refused(json_app):
    data = json_app.read_bytes()
    split = split_component(data, min_size=65536)
    pieces = [(c.root_start, c.root_end, c.header, c.data) for c in split.children]
    start, end, header, child = pieces[1]
    pieces[1] = (start, end, header, bytes(child[:-1]) + b"\x00")
    with pytest.raises(WasmlinkError, match="reassembled component has digest"):
        reassemble(split.root, pieces, split.types_start, split.types_end,
                   split.original_digest)


def test_wasmtime_runs_the_root_with_children_supplied_by_hash(json_app, tmp_path):
    import wasmlink
    split = split_component(json_app.read_bytes(), min_size=65536)
    for child in split.children:
        (tmp_path / child.digest.split(":")[1]).write_bytes(child.data)
    engine = wasmtime.Engine()
    instance, store = wasmlink.instantiate_component(engine, split.root, [tmp_path])
    run = instance.get_func(store, "run")
    assert run(store) == EXPECTED_OUTPUT["json-app"]


def test_a_module_smaller_than_the_threshold_stays_inline(json_app):
    data = json_app.read_bytes()
    sizes = sorted(size for _, size in large_modules(data, 1))
    split = split_component(data, min_size=sizes[-1])          # only the largest qualifies
    assert len(split.children) == 1 and len(split.children[0].data) == sizes[-1]


def test_a_component_without_large_children_is_its_own_root(json_app):
    data = json_app.read_bytes()
    split = split_component(data, min_size=len(data))
    assert split.root == data and split.children == []


def test_the_shared_modules_of_two_apps_are_the_same_children(apps):
    first = {c.digest for c in split_component(apps[0].read_bytes()).children}
    second = {c.digest for c in split_component(apps[1].read_bytes()).children}
    # libc, the adapter and the other shared modules; each app's own libpython snapshot differs
    assert len(first & second) == 3 and len(first - second) == 1


def test_the_dedup_manifest_keeps_one_wasm_layer_for_other_tools(json_app):
    data = json_app.read_bytes()
    built = a.dedup_artifact(data, min_size=65536)
    layers = built.manifest["layers"]
    assert [l["mediaType"] for l in layers] == \
        [a.WASM_MEDIA_TYPE] + [a.CHILD_MEDIA_TYPE] * 4
    config = json.loads(built.blobs[built.manifest["config"]["digest"]])
    assert config["layerDigests"] == [l["digest"] for l in layers]
    assert built.manifest["annotations"][a.DEDUP_ORIGINAL] == a.digest_of(data)
    # the root layer alone is a component Wasmtime accepts (its imports unsatisfied)
    root = built.blobs[layers[0]["digest"]]
    wasmtime.component.Component(wasmtime.Engine(), bytes(root))


def test_the_config_is_the_cncf_one_with_the_original_world(json_app):
    data = json_app.read_bytes()
    config = json.loads(a.plain_artifact(data).blobs[
        a.plain_artifact(data).manifest["config"]["digest"]])
    assert config["architecture"] == "wasm" and config["os"] == "wasip2"
    assert config["created"] == "1970-01-01T00:00:00Z"
    assert "run" in config["component"]["exports"]
    assert any(name.startswith("wasi:cli/") for name in config["component"]["imports"])
    assert config["component"]["target"] is None


def test_a_core_module_is_a_wasip1_artifact_without_component_info(tmp_path):
    from wasmlink import examples
    data = examples.path("hello.wasm").read_bytes()
    built = a.plain_artifact(data)
    config = json.loads(built.blobs[built.manifest["config"]["digest"]])
    assert config["os"] == "wasip1" and "component" not in config
    assert a.dedup_artifact(data, min_size=1).manifest == built.manifest


def test_created_follows_source_date_epoch(json_app, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert a.created_timestamp() == "2023-11-14T22:13:20Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(WasmlinkError, match="SOURCE_DATE_EPOCH"):
        a.created_timestamp()
