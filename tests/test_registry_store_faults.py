"""A writer killed (SIGKILL) at random points never corrupts the store: after each kill fsck finds
no corrupt or missing blob and index.json parses, at worst temp files are left (reported as
such, removed by gc), and the same writes retried complete with fsck clean.

The stores live in /dev/shm where there is one: a kill loses no page cache, so what a kill can
break is the order of writes and renames, the same on tmpfs as on a disk; the disk's fsyncs
would only make each kill land in fewer operations (and the test slow)."""
import hashlib
import json
import multiprocessing
import os
import random
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest

from wasmlink.registry.store import MANIFEST_MEDIA_TYPE, Store

ITERATIONS = 40
ARTIFACTS = 80          # ~1 ms each on tmpfs: a run outlasts the longest delay before a kill
MAX_DELAY = 0.050
RUNS_PER_STORE = 4      # later runs meet a store with content; fsck's work stays bounded


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write_artifacts(root, iteration: int) -> list[str]:
    """Push ARTIFACTS manifests (a config, a layer every run shares, three of their own) the way
    push does, one tag each; the same iteration always writes the same bytes."""
    rng = random.Random(iteration)
    store = Store(root)
    names = []
    for artifact in range(ARTIFACTS):
        config = json.dumps({"iteration": iteration, "artifact": artifact}).encode()
        layers = [b"\0asm shared" * 100] + [rng.randbytes(rng.randrange(1, 1024))
                                            for _ in range(3)]
        doc = {"schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE,
               "config": {"mediaType": "application/vnd.wasm.config.v0+json",
                          "digest": sha(config), "size": len(config)},
               "layers": [{"mediaType": "application/wasm", "digest": sha(layer),
                           "size": len(layer)} for layer in layers]}
        with store.repository(f"run{iteration}/app") as repo:
            for blob in (config, *layers):
                repo.put_blob(sha(blob), blob)
            repo.put_manifest(str(artifact), json.dumps(doc).encode(), MANIFEST_MEDIA_TYPE)
        names.append(f"run{iteration}/app:{artifact}")
    return names


def _writer(root, iteration, ready):
    Store(root)
    ready.send(True)
    write_artifacts(root, iteration)


@pytest.fixture
def base(tmp_path):
    if not os.access("/dev/shm", os.W_OK):
        yield tmp_path
        return
    path = tempfile.mkdtemp(prefix="wasmlink-faults-", dir="/dev/shm")
    yield Path(path)
    shutil.rmtree(path)


def test_a_writer_killed_at_random_points_leaves_a_sound_store(base):
    context = multiprocessing.get_context("fork")      # a fresh writer in ~1 ms
    rng = random.Random(6)
    interrupted = 0
    for iteration in range(ITERATIONS):
        root = base / f"store{iteration // RUNS_PER_STORE}"
        Store(root)
        receive, send = context.Pipe(duplex=False)
        writer = context.Process(target=_writer, args=(root, iteration, send))
        writer.start()
        assert receive.poll(10), "the writer did not start"
        receive.recv()
        time.sleep(rng.uniform(0, MAX_DELAY))
        os.kill(writer.pid, signal.SIGKILL)
        writer.join(10)
        store = Store(root)
        json.loads((root / "index.json").read_bytes())
        problems = store.fsck()
        assert [p for p in problems if p.kind != "temp"] == [], f"after kill {iteration}"
        assert all(p.path.startswith(str(root / ".wasmlink" / "tmp")) for p in problems)
        expected = [f"run{iteration}/app:{a}" for a in range(ARTIFACTS)]
        present = [n for n in store.names() if n.startswith(f"run{iteration}/")]
        if writer.exitcode == -signal.SIGKILL and len(present) < ARTIFACTS:
            interrupted += 1
        assert write_artifacts(root, iteration) == expected          # the retry completes
        store.gc(temp_grace=0)
        assert store.fsck() == [], f"after the retry of {iteration}"
        assert {n for n in store.names() if n.startswith(f"run{iteration}/")} == set(expected)
    assert len(store.names()) == RUNS_PER_STORE * ARTIFACTS
    # most kills landed mid-run (the test would prove nothing if the writer always finished)
    assert interrupted >= ITERATIONS // 2, interrupted
