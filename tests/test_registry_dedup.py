"""Bulk dedup (registry/dedup*.py, `wasmlink dedup`): exact figures on small hand-made binaries
and on the corpus of real Python app components (tests/support/python_apps.py), checked
against a count made here with a minimal walk of the binaries and hashlib; the process pool and
a Dask cluster give the serial result; the store reconstructs every file and is deterministic."""
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.python_apps import python_app_components
from wasmlink.errors import UsageError
from wasmlink.registry.dedup import dedup

WASMLINK = str(Path(sys.executable).with_name("wasmlink"))


# --- hand-made binaries ---------------------------------------------------------------------

def leb(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + leb(len(payload)) + payload


def custom(payload: bytes) -> bytes:
    return section(0, leb(4) + b"note" + payload)


def module(tag: bytes, size: int = 100) -> bytes:
    """A core module of exactly ``size`` bytes whose content is told by ``tag``."""
    pad = size - 8 - 1 - 1 - 5           # header, section id, size LEB, name
    while True:
        m = b"\0asm\1\0\0\0" + custom(tag.ljust(pad, b"."))
        if len(m) <= size:
            assert len(m) == size
            return m
        pad -= 1                         # the size LEB took another byte


def component(*sections: bytes) -> bytes:
    return b"\0asm\x0d\0\1\0" + b"".join(sections)


def core(m: bytes) -> bytes:
    return section(1, m)


def nested(c: bytes) -> bytes:
    return section(4, c)


def write(directory: Path, files: dict) -> list[Path]:
    paths = []
    for name, data in files.items():
        path = directory / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def figures(report):
    return (report.total, report.unique, report.saved)


def test_two_identical_files_store_once(tmp_path):
    m = module(b"a", 200)
    report = dedup(write(tmp_path, {"one.wasm": m, "two.wasm": m}), min_size=0)
    assert figures(report) == (400, 200, 200)
    assert [(f.unique, f.saved, f.shared) for f in report.files] == [(200, 0, 200),
                                                                     (0, 200, 200)]
    [group] = report.groups
    assert (group.sha256, group.kind, group.size, group.count, group.saved) == (
        hashlib.sha256(m).hexdigest(), "module", 200, 2, 200)
    assert group.occurrences == [(str(tmp_path / "one.wasm"), 0), (str(tmp_path / "two.wasm"), 0)]


def test_a_module_nested_twice_in_one_component_is_counted_once(tmp_path):
    m = module(b"m", 300)
    c = component(core(m), custom(b"between"), core(m))
    report = dedup(write(tmp_path, {"c.wasm": c}), min_size=0)
    assert figures(report) == (len(c), len(c) - 300, 300)
    [group] = report.groups
    assert (group.count, group.own, group.saved) == (2, 300, 300)
    first = c.index(m)
    assert [o for _, o in group.occurrences] == [first, c.index(m, first + 1)]


def test_a_duplicated_component_saves_its_size_once_not_also_its_module(tmp_path):
    m = module(b"m", 300)
    y = component(core(m), custom(b"y"))
    c = component(nested(y), nested(y))
    report = dedup(write(tmp_path, {"c.wasm": c}), min_size=0)
    assert figures(report) == (len(c), len(c) - len(y), len(y))
    saved = {g.kind: (g.count, g.own, g.saved) for g in report.groups}
    assert saved == {"component": (2, len(y) - 300, len(y) - 300), "module": (2, 300, 300)}
    assert report.files[0].shared == 2 * len(y)


def test_a_module_shared_inside_and_outside_a_duplicated_component(tmp_path):
    m = module(b"m", 300)
    y = component(core(m), custom(b"y"))
    c = component(nested(y), nested(y))
    report = dedup(write(tmp_path, {"c.wasm": c, "m.wasm": m}), min_size=0)
    assert figures(report) == (len(c) + 300, len(c) - len(y), len(y) + 300)
    assert [(f.unique, f.saved) for f in report.files] == [(len(c) - len(y), len(y)),
                                                           (0, 300)]


def test_units_under_min_size_stay_part_of_their_parent(tmp_path):
    m = module(b"m", 300)
    c = component(core(m), core(m))
    path = write(tmp_path, {"c.wasm": c})
    assert figures(dedup(path, min_size=300)) == (len(c), len(c) - 300, 300)
    report = dedup(path, min_size=301)
    assert figures(report) == (len(c), len(c), 0)
    assert (report.units, report.groups) == (1, [])


def test_a_whole_file_is_a_unit_whatever_its_size(tmp_path):
    m = module(b"tiny", 40)
    assert figures(dedup(write(tmp_path, {"a.wasm": m, "b.wasm": m}), min_size=1000)) == (
        80, 40, 40)


def test_files_that_are_not_wasm_or_are_truncated_are_reported_and_left_out(tmp_path):
    m = module(b"m", 300)
    c = component(core(m), core(m))
    paths = write(tmp_path, {"c.wasm": c, "junk.wasm": b"hello world", "cut.wasm": c[:150],
                             "empty.wasm": b""})
    report = dedup(paths, min_size=0)
    assert figures(report) == (len(c), len(c) - 300, 300)
    errors = {Path(f.path).name: f.error for f in report.errors}
    assert errors == {
        "junk.wasm": "not a wasm module or component",
        "empty.wasm": "not a wasm module or component",
        "cut.wasm": "section size 300 runs past the end: 139 bytes left (section id 1) "
                    "(at offset 0x9)",
    }


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=700), flips=st.lists(
    st.tuples(st.integers(min_value=0, max_value=699), st.integers(min_value=1, max_value=255)),
    max_size=3))
def test_mutated_binaries_give_a_report_never_a_crash(tmp_path, cut, flips):
    m = module(b"m", 300)
    data = bytearray(component(core(m), nested(component(core(m))))[:cut])
    for offset, xor in flips:
        if offset < len(data):
            data[offset] ^= xor
    path = tmp_path / "mutated.wasm"
    path.write_bytes(data)
    report = dedup([path], min_size=0)
    [figures_of] = report.files
    assert report.total == (len(data) if figures_of.error is None else 0)
    assert report.unique + report.saved == report.total


def test_a_file_changed_between_the_passes_is_an_error(tmp_path):
    from wasmlink.errors import WasmlinkError
    from wasmlink.registry.dedup_scan import DigestRequest, digest_file
    path = write(tmp_path, {"a.wasm": module(b"m", 300)})[0]
    st_ = path.stat()
    assert digest_file(DigestRequest(str(path), 300, st_.st_mtime_ns, [0], [300])) == [
        hashlib.sha256(path.read_bytes()).digest()]
    with pytest.raises(WasmlinkError, match="a.wasm: changed while dedup was reading it"):
        digest_file(DigestRequest(str(path), 300, st_.st_mtime_ns - 1, [0], [300]))


def test_an_empty_input_list_is_a_usage_error():
    with pytest.raises(UsageError, match="no input"):
        dedup([])


def test_a_missing_path_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no-such.wasm: no such file or directory"):
        dedup([tmp_path / "no-such.wasm"])


def test_directories_are_walked_for_wasm_files_in_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "deep").mkdir(parents=True)
    m = module(b"m", 200)
    write(tmp_path, {"b/x.wasm": m, "a/deep/y.wasm": m, "a/z.wasm": module(b"z", 200),
                     "a/notes.txt": b"not scanned"})
    report = dedup([tmp_path], min_size=0)
    assert [Path(f.path).relative_to(tmp_path).as_posix() for f in report.files] == [
        "a/deep/y.wasm", "a/z.wasm", "b/x.wasm"]
    assert figures(report) == (600, 400, 200)


class CountingDigests:
    """Wraps the native sha256_ranges to record every range it hashes."""

    def __init__(self, monkeypatch):
        from wasmlink._native import hashing
        self.real = hashing.sha256_ranges
        self.sizes = []
        monkeypatch.setattr(hashing, "sha256_ranges", self)

    def __call__(self, buf, starts, sizes):
        self.sizes += list(sizes)
        return self.real(buf, starts, sizes)


def test_only_xxh3_candidates_are_hashed_with_sha256(tmp_path, monkeypatch):
    m = module(b"shared", 500)
    y = component(core(m), custom(b"y"))
    paths = write(tmp_path, {"c.wasm": component(nested(y), nested(y), core(module(b"u", 700))),
                             "d.wasm": component(core(m), core(module(b"v", 900)))})
    counting = CountingDigests(monkeypatch)
    report = dedup(paths, min_size=0)
    # both copies of y, and m once in the first y and once in d.wasm: not the copy of m in
    # the second y, nor any unique unit
    assert sorted(counting.sizes) == [500, 500, len(y), len(y)]
    assert figures(report)[2] == len(y) + 500


def test_xxh3_collisions_are_told_apart_by_sha256(tmp_path, monkeypatch):
    """With every xxh3 made equal, each same-size pair is a candidate: sha256 must split the
    different ones, and a module inside a colliding but different component is hashed in a
    second round rather than taken from the first copy."""
    from wasmlink._native import hashing
    from array import array
    m1, m2 = module(b"one", 300), module(b"two", 300)
    c1, c2 = component(core(m1), custom(b"c")), component(core(m2), custom(b"c"))
    paths = write(tmp_path, {"c1.wasm": c1, "c2.wasm": c2, "m1.wasm": m1})
    honest = dedup(paths, min_size=0)
    monkeypatch.setattr(hashing, "xxh3_64_ranges",
                        lambda buf, starts, sizes: array("Q", [7] * len(starts)))
    counting = CountingDigests(monkeypatch)
    colliding = dedup(paths, min_size=0)
    assert colliding.to_json() == honest.to_json()
    assert figures(colliding) == (2 * len(c1) + 300, 2 * len(c1), 300)
    assert sorted(counting.sizes) == [300, 300, 300, len(c1), len(c1)]


def test_the_json_report_is_exactly(tmp_path):
    m = module(b"m", 300)
    c = component(core(m), core(m))
    paths = write(tmp_path, {"c.wasm": c, "junk.wasm": b"junk"})
    doc = dedup(paths, min_size=0).to_json()
    digest = hashlib.sha256(m).hexdigest()
    assert doc == {
        "format": 1,
        "min_size": 0,
        "totals": {"files": 2, "errors": 1, "units": 3, "distinct_units": 2,
                   "shared_units": 1, "bytes": len(c), "unique": len(c) - 300, "saved": 300},
        "files": [{"path": str(paths[0]), "kind": "component", "size": len(c), "units": 3,
                   "unique": len(c) - 300, "saved": 300, "shared": 600},
                  {"path": str(paths[1]), "error": "not a wasm module or component"}],
        "groups": [{"sha256": digest, "kind": "module", "size": 300, "own": 300, "count": 2,
                    "saved": 300, "occurrences": [{"path": str(paths[0]), "offset": 11},
                                                  {"path": str(paths[0]), "offset": 314}]}],
        "chunking": None,
    }


# --- the CLI --------------------------------------------------------------------------------

def wasmlink(*args, **kw):
    return subprocess.run([WASMLINK, *map(str, args)], capture_output=True, text=True, **kw)


def test_cli_json_on_stdout_and_errors_on_stderr_exit_1(tmp_path):
    m = module(b"m", 300)
    paths = write(tmp_path, {"a.wasm": m, "b.wasm": m, "junk.wasm": b"junk"})
    proc = wasmlink("dedup", "--json", "--min-size", "0", *paths)
    assert proc.returncode == 1
    assert proc.stderr == f"wasmlink: error: {paths[2]}: not a wasm module or component\n"
    doc = json.loads(proc.stdout)
    assert doc["totals"]["saved"] == 300 and doc["totals"]["errors"] == 1


def test_cli_into_writes_a_store(tmp_path):
    from wasmlink.registry.dedup_store import restore
    m = module(b"m", 300)
    paths = write(tmp_path, {"a.wasm": component(core(m), core(m)), "b.wasm": m})
    proc = wasmlink("dedup", "--min-size", "0", "--into", tmp_path / "store", *paths)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert [restore(tmp_path / "store", p.name) for p in paths] == [p.read_bytes()
                                                                     for p in paths]


def test_cli_without_paths_is_a_one_line_usage_error():
    proc = wasmlink("dedup")
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == ("wasmlink: error: no input: give the .wasm files or directories "
                           "to deduplicate\n")


def test_cli_text_report(tmp_path):
    m = module(b"m", 5000)
    paths = write(tmp_path, {"a.wasm": component(core(m), core(m))})
    proc = wasmlink("dedup", *paths)
    assert proc.returncode == 0, proc.stderr
    size = paths[0].stat().st_size
    lines = proc.stdout.splitlines()
    assert lines[:5] == [
        "files:  1",
        "units:  3 (2 distinct, 1 shared; nested units under 4,096 bytes counted with their "
        "parent)",
        f"total:  {size:,} bytes ({size / 1000:.1f} KB)",
        f"unique: {size - 5000:,} bytes ({(size - 5000) / 1000:.1f} KB)",
        f"saved:  5,000 bytes (5.0 KB) ({5000 / size:.1%})"]
    assert lines[-1] == f"       5,000     2        5,000  module     {hashlib.sha256(m).hexdigest()}"
    assert proc.stderr == ""                 # no progress bar: stderr is not a terminal


def test_progress_line_counts_files_bytes_and_rate():
    import io
    from wasmlink.registry.progress import Progress
    now = [0.0]
    out = io.StringIO()
    progress = Progress(4, 4_000_000_000, stream=out, enabled=True, clock=lambda: now[0])
    now[0] = 2.0
    progress(2, 1_000_000_000)
    line = "scan [######------------------] 2/4 files 1.0 GB/4.0 GB 500.0 MB/s"
    assert out.getvalue() == "\r" + line
    progress.close()
    assert out.getvalue() == "\r" + line + "\r" + " " * len(line) + "\r"
    assert Progress(1, 1, stream=io.StringIO()).enabled is False
    progress.start("sha256", 1, 10)
    now[0] = 3.0
    assert progress.line() == "sha256 [------------------------] 0/1 files 0 B/10 B 0 B/s"


class RecordingProgress:
    def __init__(self):
        self.events = []

    def start(self, label, files, nbytes):
        self.events.append((label, files, nbytes))

    def __call__(self, files, nbytes):
        self.events.append((files, nbytes))


def test_progress_is_told_each_phase_and_batch(tmp_path):
    m = module(b"m", 300)
    paths = write(tmp_path, {"a.wasm": m, "b.wasm": m, "c.wasm": module(b"c", 400)})
    progress = RecordingProgress()
    dedup(paths, min_size=0, progress=progress)
    assert progress.events == [("scan", 3, 1000), (3, 1000), ("sha256", 2, 600), (2, 600)]


# --- the real corpus ------------------------------------------------------------------------

def walk(data: bytes, start: int, end: int, parent: int, units: list) -> None:
    """Every unit of a binary, read here without wasmlink: (start, end, parent index)."""
    index = len(units)
    units.append((start, end, parent))
    if data[start + 4:start + 8] != b"\x0d\0\1\0":
        return                               # a core module holds no units
    pos = start + 8
    while pos < end:
        sid = data[pos]
        size, shift, pos = 0, 0, pos + 1
        while True:
            byte = data[pos]
            pos += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        if sid in (1, 4):                    # a core module section, a component section
            walk(data, pos, pos + size, index, units)
        pos += size


def independent_figures(paths, min_size):
    """(total, unique, {sha256: (size, count)}) by the definitions, counted with hashlib."""
    total = unique = 0
    own_of: dict[str, int] = {}
    counts: dict[str, list] = {}
    for path in paths:
        data = Path(path).read_bytes()
        total += len(data)
        units: list = []
        walk(data, 0, len(data), -1, units)
        kept = [i for i, (s, e, _) in enumerate(units) if i == 0 or e - s >= min_size]
        own = {i: units[i][1] - units[i][0] for i in kept}
        for i in kept[1:]:
            own[units[i][2]] -= units[i][1] - units[i][0]
        for i in kept:
            s, e, _ = units[i]
            digest = hashlib.sha256(data[s:e]).hexdigest()
            own_of[digest] = own[i]
            counts.setdefault(digest, [e - s, 0])[1] += 1
    unique = sum(own_of.values())
    shared = {d: tuple(v) for d, v in counts.items() if v[1] > 1}
    return total, unique, shared


@pytest.fixture(scope="module")
def corpus():
    return python_app_components()


def test_the_corpus_is_of_real_components_that_run(corpus):
    from support.python_apps import APPS, EXPECTED_OUTPUT, run_python_app
    assert len(corpus) == len(APPS) == 5
    assert len({hashlib.sha256(p.read_bytes()).digest() for p in corpus}) == 5
    name = next(iter(APPS))
    assert run_python_app(corpus[0]) == EXPECTED_OUTPUT[name]


@pytest.mark.parametrize("min_size", [0, 4096, 1 << 20])
def test_the_python_corpus_figures_match_an_independent_count(corpus, min_size):
    report = dedup(corpus, min_size=min_size)
    total, unique, shared = independent_figures(corpus, min_size)
    assert figures(report) == (total, unique, total - unique)
    assert {g.sha256: (g.size, g.count) for g in report.groups} == shared


def test_the_python_apps_share_exactly_their_common_modules(corpus):
    """Every app holds the same libpython, libc, adapter and friends once each, and a root and
    main module of its own: the saving is four copies of the modules common to all five."""
    report = dedup(corpus, min_size=4096)
    common = None
    for path in corpus:
        data = path.read_bytes()
        units: list = []
        walk(data, 0, len(data), -1, units)
        modules = {hashlib.sha256(data[s:e]).hexdigest(): e - s for s, e, p in units[1:]
                   if e - s >= 4096}
        common = modules if common is None else {d: n for d, n in common.items()
                                                 if d in modules}
    assert len(common) == 4
    assert report.saved == 4 * sum(common.values())
    assert all(f.shared == sum(common.values()) for f in report.files)
    assert {g.sha256 for g in report.groups} == set(common)


def test_a_process_pool_gives_the_serial_report(corpus, tmp_path):
    extra = write(tmp_path, {"junk.wasm": b"junk", "copy.wasm": corpus[0].read_bytes()})
    inputs = [*corpus, *extra]
    serial = dedup(inputs, chunking=True)
    assert dedup(inputs, jobs=2, chunking=True).to_json() == serial.to_json()


def test_chunking_measures_savings_beyond_whole_units(corpus):
    report = dedup(corpus, chunking=True)
    c = report.chunking
    assert c.bytes == report.unique
    assert 0 < c.unique < c.bytes
    assert c.distinct_chunks < c.chunks
    # the five main modules are heap snapshots of the same interpreter: most of their data
    # segments chunk alike
    assert c.saved > report.unique // 5


@pytest.fixture(scope="module")
def dask_scheduler():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_dask_gives_the_serial_report(corpus, tmp_path, dask_scheduler):
    extra = write(tmp_path, {"junk.wasm": b"junk", "copy.wasm": corpus[1].read_bytes()})
    inputs = [*corpus, *extra]
    serial = wasmlink("dedup", "--json", "--chunking", *inputs)
    on_dask = wasmlink("dedup", "--json", "--chunking", "--scheduler", dask_scheduler, *inputs)
    assert (serial.returncode, on_dask.returncode) == (1, 1)
    assert on_dask.stdout == serial.stdout
    assert json.loads(serial.stdout)["totals"]["files"] == 7


def test_dask_api_with_a_store(corpus, tmp_path, dask_scheduler):
    from wasmlink.registry.dedup_store import restore
    report = dedup(corpus[:2], scheduler=dask_scheduler, into=tmp_path / "store")
    assert report.to_json() == dedup(corpus[:2]).to_json()
    assert restore(tmp_path / "store", corpus[1].name) == corpus[1].read_bytes()


def test_jobs_and_scheduler_exclude_each_other(corpus):
    with pytest.raises(UsageError, match="exclude each other"):
        dedup(corpus[:1], jobs=2, scheduler="tcp://127.0.0.1:1")


# --- the store ------------------------------------------------------------------------------

def store_bytes(root: Path) -> dict:
    """Every file of a store but its lock directory, by relative path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".wasmlink" not in p.parts}


def test_the_store_reconstructs_every_file_and_is_deterministic(corpus, tmp_path):
    from wasmlink.registry.dedup_store import restore
    from wasmlink.registry.store import Store
    m = module(b"m", 5000)
    y = component(core(m), custom(b"y"))
    small = write(tmp_path, {"nested.wasm": component(nested(y), nested(y), core(m)),
                             "plain.wasm": m, "junk.wasm": b"junk"})
    inputs = [*corpus, *small]
    report = dedup(inputs, into=tmp_path / "one", min_size=1024)
    dedup(inputs, into=tmp_path / "two", min_size=1024)
    one, two = store_bytes(tmp_path / "one"), store_bytes(tmp_path / "two")
    assert one == two
    store = Store(tmp_path / "one")
    assert store.names() == sorted(f"dedup:{p.name}" for p in inputs if p.name != "junk.wasm")
    for path in inputs[:-1]:
        assert restore(store, path.name) == path.read_bytes(), path
    blob_bytes = sum(len(v) for k, v in one.items() if k.startswith("blobs/"))
    # the blobs hold the unique bytes, plus recipes and manifests (a few KB)
    assert report.unique <= blob_bytes < report.unique + 64 * 1024
    assert store.fsck() == []
    assert store.gc(dry_run=True).blobs == []


def test_a_store_tag_is_the_relative_path_made_a_tag(tmp_path):
    from wasmlink.registry.dedup_store import restore, tag_for
    from wasmlink.registry.store import Store
    (tmp_path / "apps" / "v1").mkdir(parents=True)
    m = module(b"m", 200)
    write(tmp_path, {"apps/v1/app one.wasm": m, "apps/top.wasm": m})
    dedup([tmp_path / "apps"], into=tmp_path / "store")
    store = Store(tmp_path / "store")
    digest = hashlib.sha256(b"v1/app one.wasm").hexdigest()[:12]
    assert tag_for("v1/app one.wasm") == f"v1_app_one.wasm-{digest}"
    assert store.names() == ["dedup:top.wasm", f"dedup:v1_app_one.wasm-{digest}"]
    assert restore(store, "v1/app one.wasm") == m
    annotations = store.resolve(f"dedup:v1_app_one.wasm-{digest}")["annotations"]
    assert annotations["org.opencontainers.image.title"] == "v1/app one.wasm"


def test_two_inputs_with_the_same_name_are_refused_for_a_store(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    m = module(b"m", 200)
    write(tmp_path, {"a/x.wasm": m, "b/x.wasm": m})
    with pytest.raises(UsageError, match="would both be stored as dedup:x.wasm"):
        dedup([tmp_path / "a", tmp_path / "b"], into=tmp_path / "store")
    assert not (tmp_path / "store").exists()
