"""The local store: an OCI image layout whose blobs are verified on every read, whose index.json
is deterministic and atomic, and whose gc and fsck are exact. Real directories, real processes."""
import hashlib
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time

import pytest

from wasmlink.errors import ParseError, UsageError, WasmlinkError
from wasmlink.registry import cli_store
from wasmlink.registry.references import parse_store_name
from wasmlink.registry.store import (
    INDEX_MEDIA_TYPE, MANIFEST_MEDIA_TYPE, REF_NAME, TEMP_GRACE, CorruptBlobError, NotFoundError,
    Problem, Store)

WASM = "application/wasm"
CONFIG = "application/vnd.wasm.config.v0+json"


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def descriptor(data: bytes, media_type: str) -> dict:
    return {"mediaType": media_type, "digest": sha(data), "size": len(data)}


def manifest(config: bytes, layers, subject: dict | None = None) -> bytes:
    doc = {"schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE,
           "config": descriptor(config, CONFIG), "layers": [descriptor(l, WASM) for l in layers]}
    if subject:
        doc["subject"] = subject
    return json.dumps(doc, sort_keys=True).encode()


def push(store: Store, name: str, config: bytes, layers, **kw) -> str:
    """What `wasmlink push oci:DIR:NAME` does with a store: blobs, then the tagged manifest."""
    repository, tag = parse_store_name(name)
    with store.repository(repository or "") as repo:
        for blob in (config, *layers):
            repo.put_blob(sha(blob), blob)
        return repo.put_manifest(tag, manifest(config, layers, **kw), MANIFEST_MEDIA_TYPE)


def blob_file(store: Store, digest: str):
    return store.path / "blobs" / "sha256" / digest.split(":")[1]


def temp_files(store: Store):
    return sorted(os.listdir(store.path / ".wasmlink" / "tmp"))


# --- blobs --------------------------------------------------------------------------------------

def test_bytes_put_come_back_and_live_under_their_sha256(tmp_path):
    store = Store(tmp_path / "s")
    digest = store.put_bytes(b"\0asm\1\0\0\0")
    assert digest == sha(b"\0asm\1\0\0\0")
    assert store.get_blob(digest) == b"\0asm\1\0\0\0"
    assert blob_file(store, digest).read_bytes() == b"\0asm\1\0\0\0"
    assert store.has_blob(digest) and store.blob_size(digest) == 8
    assert store.open_blob(digest) == blob_file(store, digest)
    assert store.blobs() == [digest]
    assert temp_files(store) == []


def test_a_file_is_streamed_in_and_out(tmp_path):
    data = os.urandom(3 * (1 << 20) + 17)          # more than one copy chunk
    source = tmp_path / "big.wasm"
    source.write_bytes(data)
    store = Store(tmp_path / "s")
    digest = store.put_file(source)
    assert digest == sha(data)
    store.get_blob_to(digest, tmp_path / "out.wasm")
    assert (tmp_path / "out.wasm").read_bytes() == data
    assert store.put_blob(digest, source) is False


def test_content_must_match_the_digest_before_it_becomes_visible(tmp_path):
    store = Store(tmp_path / "s")
    wrong = sha(b"other")
    with pytest.raises(WasmlinkError) as e:
        store.put_blob(wrong, b"data")
    assert str(e.value) == f"content does not match digest {wrong}: its sha256 is {sha(b'data')}"
    (tmp_path / "f").write_bytes(b"data")
    with pytest.raises(WasmlinkError, match=f"^{tmp_path / 'f'}: content does not match"):
        store.put_blob(wrong, tmp_path / "f")
    assert store.blobs() == [] and temp_files(store) == []


def test_puts_are_idempotent(tmp_path):
    store = Store(tmp_path / "s")
    digest = sha(b"x" * 100)
    assert store.put_blob(digest, b"x" * 100) is True
    inode = blob_file(store, digest).stat().st_ino
    assert store.put_blob(digest, bytearray(b"x" * 100)) is False
    assert store.put_bytes(memoryview(b"x" * 100)) == digest
    assert blob_file(store, digest).stat().st_ino == inode
    assert store.blobs() == [digest]


def test_a_tampered_blob_is_an_error_naming_its_digest_and_file(tmp_path):
    store = Store(tmp_path / "s")
    digest = store.put_bytes(b"original")
    path = blob_file(store, digest)
    os.chmod(path, 0o644)
    path.write_bytes(b"tampered")
    with pytest.raises(CorruptBlobError) as e:
        store.get_blob(digest)
    assert str(e.value) == f"{path}: blob {digest} is corrupt: its content hashes to " \
                           f"{sha(b'tampered')}"
    with pytest.raises(CorruptBlobError, match="is corrupt"):
        store.get_blob_to(digest, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert sorted(os.listdir(tmp_path)) == ["s"]     # no temp output left behind either


def test_a_missing_blob_is_not_found(tmp_path):
    store = Store(tmp_path / "s")
    digest = sha(b"never put")
    for call in (store.get_blob, store.open_blob, store.blob_size):
        with pytest.raises(NotFoundError, match=f"blob {digest} is not in the store"):
            call(digest)
    assert store.has_blob(digest) is False


def test_a_bad_digest_or_source_is_a_usage_error(tmp_path):
    store = Store(tmp_path / "s")
    with pytest.raises(UsageError, match="the digest has 3 hex digits"):
        store.get_blob("sha256:abc")
    with pytest.raises(UsageError, match="bytes-like or a file path, not int"):
        store.put_blob(sha(b""), 42)


# --- names --------------------------------------------------------------------------------------

def test_a_pushed_manifest_is_named_and_resolved(tmp_path):
    store = Store(tmp_path / "s")
    digest = push(store, "ns/app:1.0.0", b"{}", [b"\0asm layer"])
    data = manifest(b"{}", [b"\0asm layer"])
    assert store.resolve("ns/app:1.0.0") == {
        "mediaType": MANIFEST_MEDIA_TYPE, "digest": digest, "size": len(data),
        "annotations": {REF_NAME: "ns/app:1.0.0"}}
    assert store.resolve("ns:app@1.0.0")["digest"] == digest      # the wkg name, same key
    assert store.repository("ns/app").get_manifest("1.0.0") == (data, MANIFEST_MEDIA_TYPE)
    assert store.repository("ns:app").get_manifest(digest) == (data, MANIFEST_MEDIA_TYPE)


def test_a_wkg_name_is_recorded_under_its_oci_mapping(tmp_path):
    store = Store(tmp_path / "s")
    digest = push(store, "tmp:x", b"{}", [b"a"])
    size = store.blob_size(digest)
    assert store.tag("wasi:http@0.2.0", digest, MANIFEST_MEDIA_TYPE, size) == "wasi/http:0.2.0"
    assert store.tag("v1", digest, MANIFEST_MEDIA_TYPE, size) == "v1"
    assert store.names() == ["tmp:x", "v1", "wasi/http:0.2.0"]


def test_tagging_a_name_again_replaces_it(tmp_path):
    store = Store(tmp_path / "s")
    first = push(store, "ns/app:latest", b"{}", [b"one"])
    second = push(store, "ns/app:latest", b"{}", [b"two"])
    assert first != second
    assert [d["digest"] for d in store.manifests()] == [second]


def test_tagging_many_at_once_gives_the_index_tagging_one_by_one_gives(tmp_path):
    entries = []
    for store_dir in ("one-by-one", "at-once"):
        store = Store(tmp_path / store_dir)
        entries = []
        for i in range(5):
            data = manifest(b"{}", [b"layer %d" % i])
            for blob in (b"{}", b"layer %d" % i):
                store.put_bytes(blob)
            entries.append((f"ns/app:v{i}", store.put_bytes(data), MANIFEST_MEDIA_TYPE,
                            len(data), None))
        if store_dir == "one-by-one":
            keys = [store.tag(*entry) for entry in entries]
        else:
            assert store.tag_many(entries) == keys
    assert (tmp_path / "one-by-one" / "index.json").read_bytes() == \
        (tmp_path / "at-once" / "index.json").read_bytes()


def test_untag_forgets_a_name_and_unknown_names_are_not_found(tmp_path):
    store = Store(tmp_path / "s")
    digest = push(store, "ns/app:1", b"{}", [b"a"])
    push(store, "ns/app:2", b"{}", [b"b"])
    (removed,) = store.untag("ns/app:1")
    assert removed["digest"] == digest
    assert store.names() == ["ns/app:2"]
    with pytest.raises(NotFoundError, match="no manifest named 'ns/app:1' in the store"):
        store.resolve("ns/app:1")
    with pytest.raises(NotFoundError, match="no manifest named 'ns/app:1'"):
        store.untag("ns/app:1")


def test_tag_refuses_what_is_not_a_stored_manifest_of_that_size(tmp_path):
    store = Store(tmp_path / "s")
    layer = store.put_bytes(b"not json")
    with pytest.raises(NotFoundError, match="is not in the store"):
        store.tag("x", sha(b"absent"), MANIFEST_MEDIA_TYPE, 1)
    with pytest.raises(UsageError, match=f"blob {layer} is not a manifest"):
        store.tag("x", layer, MANIFEST_MEDIA_TYPE, 8)
    digest = push(store, "ok", b"{}", [b"a"])
    with pytest.raises(UsageError, match=f"manifest {digest} is .* bytes, not 1"):
        store.tag("x", digest, MANIFEST_MEDIA_TYPE, 1)
    with pytest.raises(UsageError, match="has mediaType .*, not 'application/other'"):
        store.tag("x", digest, "application/other", store.blob_size(digest))
    with pytest.raises(UsageError, match="invalid media type 'nonsense'"):
        store.tag("x", digest, "nonsense", store.blob_size(digest))
    assert store.names() == ["ok"]


def test_a_manifest_must_come_after_its_blobs(tmp_path):
    store = Store(tmp_path / "s")
    with pytest.raises(UsageError, match=f"references blob {sha(b'{}')}, which is not in the "
                                         f"store"):
        store.repository("ns/a").put_manifest("1", manifest(b"{}", []), MANIFEST_MEDIA_TYPE)
    with pytest.raises(UsageError, match="not a manifest"):
        store.repository("ns/a").put_manifest("1", b"[1, 2", MANIFEST_MEDIA_TYPE)
    assert store.names() == []


def test_a_manifest_put_by_digest_is_kept_without_a_name(tmp_path):
    store = Store(tmp_path / "s")
    repo = store.repository("ns/a")
    repo.put_blob(sha(b"{}"), b"{}")
    data = manifest(b"{}", [])
    with pytest.raises(UsageError, match=f"the manifest's digest is {sha(data)}, not"):
        repo.put_manifest(sha(b"x"), data, MANIFEST_MEDIA_TYPE)
    assert repo.put_manifest(sha(data), data, MANIFEST_MEDIA_TYPE) == sha(data)
    repo.close()
    assert store.names() == []
    assert store.manifests() == [descriptor(data, MANIFEST_MEDIA_TYPE)]
    assert store.gc().blobs == []
    assert repo.get_manifest("@" + sha(data)) == (data, MANIFEST_MEDIA_TYPE)
    store.tag("ns/a:1", sha(data), MANIFEST_MEDIA_TYPE, len(data))     # the name replaces it
    assert [d.get("annotations") for d in store.manifests()] == [{REF_NAME: "ns/a:1"}]


# --- gc -----------------------------------------------------------------------------------------

def test_untag_then_gc_frees_exactly_the_blobs_nothing_else_reaches(tmp_path):
    store = Store(tmp_path / "s")
    shared = b"\0asm shared library" * 50
    keep = push(store, "ns/a:1", b'{"a":1}', [shared, b"only a"])
    drop = push(store, "ns/b:1", b'{"b":1}', [shared, b"only b"])
    stray = store.put_bytes(b"never referenced")
    before = set(store.blobs())
    store.untag("ns/b:1")
    dry = store.gc(dry_run=True)
    assert set(store.blobs()) == before
    report = store.gc()
    expected = sorted([drop, sha(b'{"b":1}'), sha(b"only b"), stray])
    assert [d for d, _ in report.blobs] == expected == [d for d, _ in dry.blobs]
    assert report.bytes_freed == sum(len(b) for b in (
        manifest(b'{"b":1}', [shared, b"only b"]), b'{"b":1}', b"only b", b"never referenced"))
    assert set(store.blobs()) == before - set(expected)
    assert keep in store.blobs() and sha(shared) in store.blobs()
    assert store.gc().blobs == []
    assert store.fsck() == []


def test_gc_follows_nested_indexes_and_subjects(tmp_path):
    store = Store(tmp_path / "s")
    inner = push(store, "tmp:inner", b"{}", [b"layer"])
    subject = {"mediaType": MANIFEST_MEDIA_TYPE, "digest": inner,
               "size": store.blob_size(inner)}
    referrer = push(store, "tmp:sig", b'{"sig":1}', [b"signature"], subject=subject)
    index = json.dumps({"schemaVersion": 2, "mediaType": INDEX_MEDIA_TYPE, "manifests": [
        {"mediaType": MANIFEST_MEDIA_TYPE, "digest": referrer,
         "size": store.blob_size(referrer)}]}).encode()
    with store.repository("ns/multi") as repo:
        top = repo.put_manifest("1", index, INDEX_MEDIA_TYPE)
    store.untag("tmp:inner")
    store.untag("tmp:sig")
    assert store.gc().blobs == []       # top → referrer → (its subject) inner → layer
    assert set(store.blobs()) == {top, referrer, inner, sha(b"{}"), sha(b"layer"),
                                  sha(b'{"sig":1}'), sha(b"signature")}


def test_gc_refuses_when_a_manifest_cannot_be_read(tmp_path):
    store = Store(tmp_path / "s")
    digest = push(store, "ns/a:1", b"{}", [b"layer"])
    store.put_bytes(b"garbage")
    os.chmod(blob_file(store, digest), 0o644)
    blob_file(store, digest).write_bytes(b"{not json")
    with pytest.raises(CorruptBlobError, match=f"cannot collect garbage: blob {digest} is "
                                               f"corrupt"):
        store.gc()
    assert store.has_blob(sha(b"garbage"))


def test_gc_waits_for_a_writer_between_its_blobs_and_its_tag(tmp_path):
    store = Store(tmp_path / "s")
    put, tagged, finished = threading.Event(), threading.Event(), []

    def writer():
        with store.writing():
            store.put_bytes(b"{}")
            store.put_bytes(b"layer")
            put.set()
            tagged.wait(5)
            data = manifest(b"{}", [b"layer"])
            store.put_bytes(data)
            store.tag("ns/a:1", sha(data), MANIFEST_MEDIA_TYPE, len(data))

    def collector():
        finished.append(Store(tmp_path / "s").gc())

    w = threading.Thread(target=writer)
    w.start()
    put.wait(5)
    g = threading.Thread(target=collector)
    g.start()
    time.sleep(0.3)
    assert finished == []               # gc is waiting for the writer
    tagged.set()
    w.join(5)
    g.join(5)
    assert finished[0].blobs == []
    assert store.has_blob(sha(b"layer"))


def test_gc_and_fsck_refuse_to_wait_for_their_own_process(tmp_path):
    store = Store(tmp_path / "s")
    repo = store.repository("ns/a")
    repo.put_blob(sha(b"x"), b"x")
    with pytest.raises(UsageError, match="gc would wait for this process: 1 repository"):
        store.gc()
    repo.close()
    with store.writing():
        with pytest.raises(UsageError, match="fsck inside `with store.writing"):
            store.fsck()
    assert [d for d, _ in store.gc().blobs] == [sha(b"x")]


def test_gc_removes_temp_files_older_than_the_grace(tmp_path):
    store = Store(tmp_path / "s")
    tmp = store.path / ".wasmlink" / "tmp"
    (tmp / "1-old.tmp").write_bytes(b"12345")
    (tmp / "2-new.tmp").write_bytes(b"1")
    os.utime(tmp / "1-old.tmp", (time.time() - TEMP_GRACE - 5,) * 2)
    report = store.gc()
    assert report.temp_files == [(str(tmp / "1-old.tmp"), 5)]
    assert report.bytes_freed == 5
    assert temp_files(store) == ["2-new.tmp"]
    assert store.gc(temp_grace=0).temp_files == [(str(tmp / "2-new.tmp"), 1)]


# --- fsck ---------------------------------------------------------------------------------------

@pytest.fixture
def healthy(tmp_path):
    store = Store(tmp_path / "s")
    push(store, "ns/a:1", b"{}", [b"layer one", b"layer two"])
    assert store.fsck() == []
    return store


def test_fsck_finds_a_missing_or_wrong_oci_layout(healthy):
    layout = healthy.path / "oci-layout"
    layout.write_text('{"imageLayoutVersion": "2.0.0"}')
    assert healthy.fsck() == [Problem("layout", str(layout),
                                      "imageLayoutVersion is '2.0.0', expected '1.0.0'")]
    layout.write_text("{")
    assert [p.message[:18] for p in healthy.fsck()] == ["not valid JSON (Ex"]
    layout.unlink()
    assert healthy.fsck() == [Problem("layout", str(layout),
                                      "missing: this is not an OCI image layout")]


def test_fsck_finds_an_unparseable_index(healthy):
    index = healthy.path / "index.json"
    index.write_text('{"schemaVersion": 2, "manifests": [')
    (problem,) = healthy.fsck()
    assert (problem.kind, problem.path) == ("index", str(index))
    assert problem.message.startswith("not valid JSON (")
    index.write_text('{"schemaVersion": 2, "manifests": [{"mediaType": "a/b", "size": 1}]}')
    assert healthy.fsck() == [Problem("index", str(index), "manifests[0]: digest None is not "
                                      "sha256: and 64 lowercase hex digits")]


def test_fsck_finds_a_missing_referenced_blob(healthy):
    (digest,) = [d for d in healthy.blobs() if d == sha(b"layer two")]
    top = healthy.resolve("ns/a:1")["digest"]
    blob_file(healthy, digest).unlink()
    assert healthy.fsck() == [Problem("missing", str(blob_file(healthy, digest)),
                                      f"blob {digest} referenced by manifest {top} is missing")]


def test_fsck_finds_a_blob_whose_content_does_not_match_its_name(healthy):
    path = blob_file(healthy, sha(b"layer one"))
    os.chmod(path, 0o644)
    path.write_bytes(b"layer 1!!")              # same size: only the hash can tell
    assert healthy.fsck() == [Problem("corrupt", str(path), f"blob {sha(b'layer one')} is "
                                      f"corrupt: its content hashes to {sha(b'layer 1!!')}")]


def test_fsck_finds_a_descriptor_with_the_wrong_size(healthy):
    index = healthy.path / "index.json"
    doc = json.loads(index.read_text())
    size = doc["manifests"][0]["size"]
    doc["manifests"][0]["size"] = size + 1
    index.write_text(json.dumps(doc))
    top = doc["manifests"][0]["digest"]
    assert healthy.fsck() == [Problem("size", str(blob_file(healthy, top)),
                                      f"blob {top} is {size} bytes but index.json says "
                                      f"{size + 1}")]


def test_fsck_reports_leftover_temp_and_stray_files(healthy):
    temp = healthy.path / ".wasmlink" / "tmp" / "123-abc.tmp"
    temp.write_bytes(b"partial")
    stray = healthy.path / "blobs" / "sha256" / "notes.txt"
    stray.write_text("hello")
    problems = healthy.fsck()
    assert [(p.kind, p.path) for p in problems] == [("temp", str(temp)), ("stray", str(stray))]
    assert problems[0].message.startswith("leftover temp file (7 bytes, ")
    assert problems[1].message == "not a blob (its name is not a sha256 digest)"


def test_fsck_repair_removes_corrupt_blobs_and_leftovers_and_a_put_restores(healthy):
    path = blob_file(healthy, sha(b"layer one"))
    os.chmod(path, 0o644)
    path.write_bytes(b"bad")
    (healthy.path / ".wasmlink" / "tmp" / "1-x.tmp").write_bytes(b"")
    problems = healthy.fsck(repair=True, temp_grace=0)
    assert [(p.kind, p.repaired) for p in problems] == [("temp", True), ("corrupt", True)]
    assert [p.kind for p in healthy.fsck()] == ["missing"]
    healthy.put_bytes(b"layer one")
    assert healthy.fsck() == []


# --- the layout ---------------------------------------------------------------------------------

def test_the_layout_is_exactly_what_image_layout_md_describes(tmp_path):
    store = Store(tmp_path / "s")
    digest = push(store, "wasi:http@0.2.0", b"{}", [b"\0asm"])
    assert sorted(os.listdir(store.path)) == [".wasmlink", "blobs", "index.json", "oci-layout"]
    assert (store.path / "oci-layout").read_bytes() == b'{"imageLayoutVersion": "1.0.0"}\n'
    assert os.listdir(store.path / "blobs") == ["sha256"]
    assert sorted(os.listdir(store.path / "blobs" / "sha256")) == sorted(
        d.split(":")[1] for d in (digest, sha(b"{}"), sha(b"\0asm")))
    size = len(manifest(b"{}", [b"\0asm"]))
    assert (store.path / "index.json").read_text() == f"""{{
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "{digest}", \
"size": {size}, "annotations": {{"org.opencontainers.image.ref.name": "wasi/http:0.2.0"}}}}
  ]
}}
"""


def test_a_new_store_has_an_empty_index(tmp_path):
    Store(tmp_path / "s")
    assert json.loads((tmp_path / "s" / "index.json").read_text()) == {
        "schemaVersion": 2, "mediaType": INDEX_MEDIA_TYPE, "manifests": []}


def test_the_same_operations_give_byte_identical_index_json(tmp_path):
    def run(path, names):
        store = Store(path)
        for name in names:
            push(store, name, b"{}", [name.encode()])
        store.untag(names[1])
        return (path / "index.json").read_bytes()

    names = ["ns/b:1", "ns/a:2", "v3", "wasi:http@0.2.0"]
    first = run(tmp_path / "one", names)
    assert first == run(tmp_path / "two", names)
    assert first == run(tmp_path / "three", names[:2] + names[:1:-1])     # sorted by name
    assert [m["annotations"][REF_NAME] for m in json.loads(first)["manifests"]] == \
        ["ns/b:1", "v3", "wasi/http:0.2.0"]


def test_a_layout_made_by_another_tool_is_a_store(tmp_path):
    root = tmp_path / "other"
    (root / "blobs" / "sha256").mkdir(parents=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (root / "index.json").write_text('{"schemaVersion":2,"manifests":[],"annotations":{"x":"y"}}')
    store = Store(root, create=False)
    push(store, "v1", b"{}", [b"a"])
    assert store.names() == ["v1"]
    assert json.loads((root / "index.json").read_text())["annotations"] == {"x": "y"}
    assert store.fsck() == []


def test_a_store_is_not_made_where_it_should_not_be(tmp_path):
    with pytest.raises(UsageError, match="not a store: .* has no oci-layout file"):
        Store(tmp_path / "absent", create=False)
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "README").write_text("mine")
    with pytest.raises(UsageError, match="the directory is not empty and is not an OCI image "
                                         "layout \\(it has 'README'\\)"):
        Store(tmp_path / "project")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "oci-layout").write_text("[]")
    with pytest.raises(ParseError, match="imageLayoutVersion is None"):
        Store(tmp_path / "bad")


# --- concurrent writers -------------------------------------------------------------------------

def _tag_names(root, worker, count, start=None):
    store = Store(root)
    if start is not None:
        start.wait(30)                  # every worker started: they write at the same time
    for i in range(count):
        push(store, f"w{worker}/app:{i}", b"{}", [b"shared layer", f"{worker}-{i}".encode()])


def test_concurrent_processes_never_lose_each_others_tags(tmp_path):
    root = tmp_path / "s"
    Store(root)
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_tag_names, args=(root, w, 12, start)) for w in range(4)]
    for p in workers:
        p.start()
    start.set()
    for p in workers:
        p.join(60)
    assert [p.exitcode for p in workers] == [0, 0, 0, 0]
    store = Store(root)
    assert store.names() == sorted(f"w{w}/app:{i}" for w in range(4) for i in range(12))
    assert store.fsck() == []
    assert len(store.blobs()) == 2 + 4 * 12 * 2     # config, shared layer; each: layer, manifest


def test_concurrent_threads_never_lose_each_others_tags(tmp_path):
    root = tmp_path / "s"
    Store(root)
    threads = [threading.Thread(target=_tag_names, args=(root, w, 10)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    store = Store(root)
    assert len(store.names()) == 40
    assert store.fsck() == []


# --- the command line ---------------------------------------------------------------------------

def wasmlink(*args):
    return subprocess.run([sys.executable, "-m", "wasmlink", *map(str, args)],
                          capture_output=True, text=True)


def test_cli_init_add_tag_ls_cat_untag_gc_fsck(tmp_path):
    root = tmp_path / "s"
    assert wasmlink("store", "init", root).stdout == f"{root}: created an empty store\n"
    layer = tmp_path / "app.wasm"
    layer.write_bytes(b"\0asm\1\0\0\0")
    (tmp_path / "config.json").write_bytes(b"{}")
    proc = wasmlink("store", "add", root, layer)
    assert proc.returncode == 0 and proc.stdout == sha(layer.read_bytes()) + "\n"
    proc = wasmlink("store", "add", "--json", root, tmp_path / "config.json")
    assert json.loads(proc.stdout) == [{"file": str(tmp_path / "config.json"),
                                        "digest": sha(b"{}"), "size": 2}]
    (tmp_path / "m.json").write_bytes(manifest(b"{}", [layer.read_bytes()]))
    top = wasmlink("store", "add", root, tmp_path / "m.json").stdout.strip()
    proc = wasmlink("store", "tag", root, "wasi:app@1.0.0", top)
    assert (proc.returncode, proc.stdout) == (0, f"wasi/app:1.0.0 {top}\n")
    size = (tmp_path / "m.json").stat().st_size
    proc = wasmlink("store", "ls", root)
    assert proc.stdout == f"wasi/app:1.0.0 {top} {MANIFEST_MEDIA_TYPE} {size}\n"
    proc = wasmlink("store", "ls", "--json", root)
    assert json.loads(proc.stdout) == [{"name": "wasi/app:1.0.0", "digest": top,
                                        "mediaType": MANIFEST_MEDIA_TYPE, "size": size}]
    proc = wasmlink("store", "ls", "--blobs", root)
    assert proc.stdout.splitlines() == sorted(f"{d} {n}" for d, n in [
        (sha(b"{}"), 2), (sha(layer.read_bytes()), 8), (top, size)])
    assert wasmlink("store", "cat", root, sha(b"{}"), "-o", tmp_path / "out").returncode == 0
    assert (tmp_path / "out").read_bytes() == b"{}"
    assert wasmlink("store", "cat", root, "wasi:app@1.0.0", "-o", tmp_path / "m2").returncode == 0
    assert (tmp_path / "m2").read_bytes() == (tmp_path / "m.json").read_bytes()
    proc = wasmlink("store", "fsck", root)
    assert (proc.returncode, proc.stdout) == (0, "")
    proc = wasmlink("store", "untag", root, "wasi/app:1.0.0")
    assert proc.stdout == f"untagged wasi/app:1.0.0 {top}\n"
    proc = wasmlink("store", "gc", "--dry-run", root)
    assert proc.stdout.splitlines()[-1] == f"would free {size + 10} bytes (3 blobs, 0 temp files)"
    proc = wasmlink("store", "gc", "--json", root)
    assert json.loads(proc.stdout)["bytesFreed"] == size + 10
    assert wasmlink("store", "ls", "--blobs", root).stdout == ""


def test_cli_fsck_prints_one_line_per_problem_and_exits_1(tmp_path):
    store = Store(tmp_path / "s")
    digest = store.put_bytes(b"blob")
    os.chmod(blob_file(store, digest), 0o644)
    blob_file(store, digest).write_bytes(b"bolb")
    (store.path / ".wasmlink" / "tmp" / "9-x.tmp").write_bytes(b"")
    proc = wasmlink("store", "fsck", store.path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{store.path}/.wasmlink/tmp/9-x.tmp: leftover temp file")
    assert lines[1] == f"{blob_file(store, digest)}: blob {digest} is corrupt: its content " \
                       f"hashes to {sha(b'bolb')}"
    proc = wasmlink("store", "fsck", "--repair", "--temp-grace", "0", "--json", store.path)
    assert proc.returncode == 0
    assert [(p["kind"], p["repaired"]) for p in json.loads(proc.stdout)["problems"]] == \
        [("temp", True), ("corrupt", True)]
    assert wasmlink("store", "fsck", store.path).returncode == 0


@pytest.mark.parametrize("args, says", [
    (["ls", "{tmp}/nowhere"], "not a store: {tmp}/nowhere has no oci-layout file"),
    (["cat", "{tmp}/s", "sha256:abc"], "invalid digest 'sha256:abc': the digest has 3 hex"),
    (["cat", "{tmp}/s", "ns/none:1"], "{tmp}/s: no manifest named 'ns/none:1' in the store"),
    (["tag", "{tmp}/s", "../x:1", "sha256:" + "0" * 64], "invalid name '../x:1'"),
    (["add", "{tmp}/s", "{tmp}/missing.wasm"], "{tmp}/missing.wasm: cannot read: No such file"),
    (["untag", "{tmp}/s", "v1"], "no manifest named 'v1' in the store"),
    (["init", "{tmp}/full"], "cannot create a store in {tmp}/full: the directory is not empty"),
])
def test_cli_bad_input_is_one_line_and_exit_1(tmp_path, args, says):
    Store(tmp_path / "s")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    proc = wasmlink("store", *[a.format(tmp=tmp_path) for a in args])
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("wasmlink: error: ")
    assert says.format(tmp=tmp_path) in proc.stderr


def test_cli_cat_refuses_a_corrupt_blob_and_writes_nothing(tmp_path):
    store = Store(tmp_path / "s")
    digest = store.put_bytes(b"blob")
    os.chmod(blob_file(store, digest), 0o644)
    blob_file(store, digest).write_bytes(b"bolb")
    proc = wasmlink("store", "cat", store.path, digest, "-o", tmp_path / "out")
    assert proc.returncode == 1 and "is corrupt" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_the_cli_default_temp_grace_is_the_stores():
    assert cli_store.TEMP_GRACE == TEMP_GRACE
