"""A small corpus of real Python app components, built by componentize-py and cached.

Each app is a tiny WIT world exporting ``run: func() -> string`` and a Python body with its own
imports (json, re and hashlib, dataclasses and fractions, ...), so the root components differ
while the large core modules inside them (libc.so, libpython3.14.so, the WASI adapter, ...) are
byte-identical across apps: the corpus that dedup, layering and the store are measured on.

Each component (~18 MB) is built once and kept under
``~/.cache/wasmlink-tests/python-apps/<componentize-py version>/<name>-<key>.wasm``, where
``key`` is a sha256 prefix of the app's WIT, world and Python source, so a second run costs
nothing and an edited app is rebuilt. Builds write to a temporary name and rename, so an
interrupted build never leaves a half component behind.

    from support.python_apps import python_app_components, run_python_app
    paths = python_app_components()            # list[Path], in APPS order
    run_python_app(paths[0])                   # -> "json: {...}" (Wasmtime, WASI 0.2)

Running one in Wasmtime (wasmtime-py's component API), which is what ``run_python_app`` does:

    engine = wasmtime.Engine(); store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    linker = wasmtime.component.Linker(engine); linker.add_wasip2()
    instance = linker.instantiate(store, wasmtime.component.Component.from_file(engine, path))
    run = instance.get_func(store, "run"); result = run(store); run.post_return(store)

The standard library modules an app imports at top level are loaded while componentize-py
pre-initialises the app, so running needs no PYTHONHOME.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .wheel_libs import CACHE_ROOT

WORLD = "app"
WIT = """package example:app;

world app {
  export run: func() -> string;
}
"""

# name -> Python body of app.py; each imports different modules so the roots differ
APPS: dict[str, str] = {
    "json-app": '''import json
import wit_world


class WitWorld(wit_world.WitWorld):
    def run(self) -> str:
        return "json: " + json.dumps({"b": [1, 2, 3], "a": None}, sort_keys=True)
''',
    "regex-app": '''import hashlib
import re
import wit_world


class WitWorld(wit_world.WitWorld):
    def run(self) -> str:
        words = re.findall(r"[a-z]+", "wasm, components; and modules!")
        return "regex: " + ",".join(words) + " " + hashlib.sha256(b"abc").hexdigest()[:8]
''',
    "fractions-app": '''import dataclasses
import fractions
import wit_world


@dataclasses.dataclass
class Ratio:
    value: fractions.Fraction


class WitWorld(wit_world.WitWorld):
    def run(self) -> str:
        total = sum((Ratio(fractions.Fraction(1, n)).value for n in range(1, 5)),
                    fractions.Fraction(0))
        return f"fractions: {total}"
''',
    "collections-app": '''import collections
import heapq
import itertools
import wit_world


class WitWorld(wit_world.WitWorld):
    def run(self) -> str:
        counts = collections.Counter("mississippi")
        top = heapq.nlargest(2, counts.items(), key=lambda kv: (kv[1], kv[0]))
        pairs = list(itertools.combinations("abc", 2))
        return f"collections: {top} {len(pairs)}"
''',
    "textwrap-app": '''import base64
import textwrap
import wit_world

BANNER = "A component built from Python, one of a small corpus for dedup. " * 4


class WitWorld(wit_world.WitWorld):
    def run(self) -> str:
        lines = textwrap.wrap(BANNER, 40)
        return f"textwrap: {len(lines)} " + base64.b64encode(lines[0].encode()).decode()
''',
}

# what each app's run() returns (checked by the tests that run them)
EXPECTED_OUTPUT: dict[str, str] = {
    "json-app": 'json: {"a": null, "b": [1, 2, 3]}',
    "regex-app": "regex: wasm,components,and,modules ba7816bf",
    "fractions-app": "fractions: 25/12",
    "collections-app": "collections: [('s', 4), ('i', 4)] 3",
    "textwrap-app": "textwrap: 7 QSBjb21wb25lbnQgYnVpbHQgZnJvbSBQeXRob24sIG9uZSBvZiBh",
}


def cache_dir() -> Path:
    return CACHE_ROOT / "python-apps" / importlib.metadata.version("componentize-py")


def app_key(name: str) -> str:
    """The cache key of one app: its WIT, world and source (the version is in the directory)."""
    h = hashlib.sha256()
    for part in (WIT, WORLD, name, APPS[name]):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def component_path(name: str) -> Path:
    return cache_dir() / f"{name}-{app_key(name)}.wasm"


def build_python_app(name: str) -> Path:
    """The component of app ``name``, built by componentize-py unless it is cached."""
    out = component_path(name)
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tool = shutil.which("componentize-py") or "componentize-py"
    with tempfile.TemporaryDirectory(prefix=f"{name}-", dir=out.parent) as work:
        work = Path(work)
        (work / "wit").mkdir()
        (work / "wit" / "world.wit").write_text(WIT)
        (work / "app.py").write_text(APPS[name])
        built = work / "out.wasm"
        proc = subprocess.run([tool, "-q", "-d", "wit", "-w", WORLD, "componentize", "app",
                               "-o", str(built)], cwd=work, capture_output=True, text=True,
                              env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        if proc.returncode != 0:
            raise RuntimeError(f"componentize-py failed on {name} ({proc.returncode}):\n"
                               f"{proc.stderr}")
        built.replace(out)
    return out


def python_app_components() -> list[Path]:
    """The paths of every app's component, in APPS order, building the missing ones."""
    return [build_python_app(name) for name in APPS]


def run_python_app(path) -> str:
    """Instantiate one app component in Wasmtime (WASI 0.2) and return what ``run`` returns."""
    import wasmtime
    from wasmtime import component as wc
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    linker = wc.Linker(engine)
    linker.add_wasip2()
    instance = linker.instantiate(store, wc.Component.from_file(engine, str(path)))
    run = instance.get_func(store, "run")
    result = run(store)
    run.post_return(store)
    return result
