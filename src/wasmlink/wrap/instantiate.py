"""Running components made with `component link --import-libraries`: they import their
libraries as core modules named by content hash (`integrity=<sha256-...>`) instead of carrying
them. `instantiate` supplies each from a directory of library files, after checking the file's
hash against the name, and compiles each distinct module once per engine, so that components
built on the same libc.so and libpython share one compiled copy.

    engine = wasmtime.Engine()
    instance, store = instantiate(engine, "app.component.wasm", ["libs/"])

Wasmtime is imported here only (not by `import wasmlink`).
"""
from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from ..errors import LinkError

_compiled: dict = {}          # (id(engine), sha256) -> wasmtime.Module, for the engine's life
_digests: dict = {}           # (path, size, mtime) -> sha256 of a library file


def _sha256_of(path: Path) -> bytes:
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _digests:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _digests[key] = h.digest()
    return _digests[key]


def library_index(directories) -> dict[bytes, Path]:
    """sha256 -> file, for every file of ``directories`` (the built-in libdl.so included)."""
    index = {}
    for directory in directories:
        for entry in sorted(Path(directory).iterdir()):
            if entry.is_file():
                index.setdefault(_sha256_of(entry), entry)
    built_in = Path(__file__).resolve().parent.parent / "dynlink" / "libdl" / "libdl.so"
    index.setdefault(_sha256_of(built_in), built_in)
    return index


def hash_imports(component_bytes) -> list[tuple[str, bytes]]:
    """(import name, sha256) of each `integrity=<sha256-...>` import of a component."""
    from ..component import decode_component
    from ..component.names import HashName, parse_name
    out = []
    for imp in decode_component(component_bytes).imports:
        if not imp.name.startswith("integrity="):
            continue
        name = parse_name(imp.name)
        if not isinstance(name, HashName) or name.sha256 is None:
            raise LinkError(f"import {imp.name}: only sha256 hash names are supported")
        digest = name.sha256 if isinstance(name.sha256, bytes) else base64.b64decode(name.sha256)
        out.append((imp.name, digest))
    return out


def module_for(engine, digest: bytes, path: Path):
    """The compiled module of ``path`` (whose sha256 is ``digest``), compiled once per engine."""
    import wasmtime
    key = (id(engine), digest)
    module = _compiled.get(key)
    if module is None:
        data = path.read_bytes()
        if hashlib.sha256(data).digest() != digest:
            raise LinkError("its content does not match the hash it is named by", path=str(path))
        module = _compiled[key] = wasmtime.Module(engine, data)
    return module


def instantiate(engine, component, library_dirs, *, linker=None, store=None, wasi=True):
    """(instance, store) of ``component`` (a path or bytes) with its hash-named module imports
    supplied from ``library_dirs``; WASI 0.2 is linked in unless ``wasi`` is False."""
    import wasmtime
    from wasmtime import component as wc
    data = Path(component).read_bytes() if isinstance(component, (str, os.PathLike)) \
        else bytes(component)
    index = library_index(library_dirs)
    if linker is None:
        linker = wc.Linker(engine)
        if wasi:
            linker.add_wasip2()
    if store is None:
        store = wasmtime.Store(engine)
        if wasi:
            store.set_wasi(wasmtime.WasiConfig())
    with linker.root() as root:
        for name, digest in hash_imports(data):
            path = index.get(digest)
            if path is None:
                raise LinkError(f"no library in {', '.join(map(str, library_dirs))} has the "
                                f"content {name}")
            root.add_module(name, module_for(engine, digest, path))
    return linker.instantiate(store, wc.Component(engine, data)), store
