"""The real dylink.0 libraries shipped inside the componentize-py wheel, extracted for tests.

componentize-py's native module (``componentize_py/componentize_py.abi3.so``) embeds the wasm
modules it links components from (libc.so, libpython3.14.so, libc++.so, ...) as zstd frames.
They are found by the zstd magic (28 b5 2f fd), kept when the frame decodes to a wasm module,
and written once under ``~/.cache/wasmlink-tests/componentize-py-<version>/``, keyed by the
installed componentize-py version, with an ``index.json`` listing them so that later runs need
not scan the 48 MB native module again.

A library is named by what it says about itself when it can: the module name of its "name"
section (wasm-ld writes the output file name there). Failing that, by the symbols it exports
(``Py_Initialize`` → libpython, ``malloc`` and ``printf`` → libc.so, ...); a test checks
that both ways agree. A module without
dylink.0 that imports from "wasi:" interfaces is the WASI preview 1 adapter. The rest are named
by a sha256 prefix. Two modules with the same name both get their sha256 prefix appended.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import pathlib
import re

from wasmlink._native.scan import scan
from wasmlink.binary.reader import Reader

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
CACHE_ROOT = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache"),
                          "wasmlink-tests")
INDEX_VERSION = 1


def native_module_path() -> pathlib.Path:
    dist = importlib.metadata.distribution("componentize-py")
    for f in dist.files or ():
        if f.name == "componentize_py.abi3.so":
            return pathlib.Path(dist.locate_file(f))
    raise FileNotFoundError("componentize-py is installed without componentize_py.abi3.so")


def embedded_modules(blob: bytes) -> list[bytes]:
    """Every zstd frame in ``blob`` that decompresses to data starting with ``\\0asm``."""
    import zstandard
    view = memoryview(blob)
    modules = []
    pos = blob.find(ZSTD_MAGIC)
    while pos >= 0:
        end = pos + 1
        try:
            head = zstandard.ZstdDecompressor().stream_reader(view[pos:],
                                                              read_across_frames=False)
            is_wasm = head.read(4) == b"\0asm"
        except zstandard.ZstdError:
            is_wasm = False
        if is_wasm:
            d = zstandard.ZstdDecompressor().decompressobj()
            modules.append(d.decompress(view[pos:]))
            end = len(blob) - len(d.unused_data)
        pos = blob.find(ZSTD_MAGIC, end)
    return modules


def _custom_sections(data: bytes) -> dict[str, tuple[int, int]]:
    """name → (payload offset after the name, payload size), first of each name."""
    r = scan(data)
    out = {}
    for i in range(r.section_count):
        if r.section_id[i] == 0:
            name_end = r.section_name_offset[i] + r.section_name_size[i]
            name = bytes(data[r.section_name_offset[i]:name_end]).decode()
            out.setdefault(name, (name_end, r.section_payload[i] + r.section_size[i] - name_end))
    return out


def _section(data: bytes, wanted: int) -> tuple[int, int] | None:
    r = scan(data)
    for i in range(r.section_count):
        if r.section_id[i] == wanted:
            return r.section_payload[i], r.section_size[i]
    return None


def module_name(data: bytes) -> str | None:
    """The module name (subsection 0) of the "name" section, read here without the decoder
    under test so that a bug there cannot misname the cache."""
    where = _custom_sections(data).get("name")
    if where is None:
        return None
    r = Reader(data, where[0], where[0] + where[1])
    while not r.at_end():
        kind = r.byte()
        size = r.u32()
        if kind == 0:
            return r.name()
        r.fixed(size)
    return None


def exports(data: bytes) -> set[str]:
    where = _section(data, 7)
    if where is None:
        return set()
    r = Reader(data, where[0], where[0] + where[1])
    names = set()
    for _ in range(r.count("export", 3)):
        names.add(r.name())
        r.byte()
        r.u32()
    return names


def import_modules(data: bytes) -> set[str]:
    where = _section(data, 2)
    if where is None:
        return set()
    r = Reader(data, where[0], where[0] + where[1])
    modules = set()
    for _ in range(r.count("import", 3)):
        modules.add(r.name())
        r.name()
        kind = r.byte()
        if kind == 0:                       # func: type index
            r.u32()
        elif kind == 1:                     # table: reftype, limits
            r.byte()
            _skip_limits(r)
        elif kind == 2:                     # memory: limits
            _skip_limits(r)
        elif kind == 3:                     # global: valtype, mutability
            r.byte()
            r.byte()
        else:                               # tag: attribute, type index
            r.byte()
            r.u32()
    return modules


def _skip_limits(r: Reader) -> None:
    flags = r.byte()
    r.u64()
    if flags & 1:
        r.u64()


def name_by_exports(data: bytes, python_version: str | None) -> str | None:
    """The conventional file name of a library, guessed from what it exports."""
    names = exports(data)
    if "Py_Initialize" in names:
        return f"libpython{python_version}.so" if python_version else "libpython.so"
    if "malloc" in names and "printf" in names:
        return "libc.so"
    if any(n.startswith("__cxa_") for n in names):     # __cxa_throw unless -fno-exceptions
        return "libc++abi.so"
    if any(re.match(r"_ZNK?St3__\d", n) for n in names):  # std::__1 or, for ABI v2, std::__2
        return "libc++.so"
    if "mmap" in names:
        return "libwasi-emulated-mman.so"
    if "getpid" in names:
        return "libwasi-emulated-getpid.so"
    if "clock" in names or "times" in names:
        return "libwasi-emulated-process-clocks.so"
    if "signal" in names or "raise" in names:
        return "libwasi-emulated-signal.so"
    if "dlopen" in names:
        return "libdl.so"
    if "PyInit_componentize_py_runtime" in names:
        return "componentize_py_runtime.wasm"
    return None


def name_library(data: bytes, python_version: str | None) -> str:
    customs = _custom_sections(data)
    if "dylink.0" not in customs and any(m.startswith("wasi:") for m in import_modules(data)):
        kind = "command" if "wasi:cli/run@" in " ".join(exports(data)) else "reactor"
        return f"wasi_snapshot_preview1.{kind}.wasm"
    name = module_name(data)
    if name and re.fullmatch(r"[\w.+-]+\.(so|wasm)", name):
        return name
    name = name_by_exports(data, python_version)
    return name or f"module-{hashlib.sha256(data).hexdigest()[:12]}.wasm"


def python_version(modules: list[bytes]) -> str | None:
    """X.Y of the libpython the others need (or that names itself in its data)."""
    for data in modules:
        m = re.search(rb"libpython(3\.\d+)\.so", data)
        if m:
            return m.group(1).decode()
    return None


def name_libraries(modules: list[bytes]) -> dict[str, bytes]:
    version = python_version(modules)
    named = [(name_library(m, version), m) for m in modules]
    counts: dict[str, int] = {}
    for name, _ in named:
        counts[name] = counts.get(name, 0) + 1
    out = {}
    for name, data in named:
        if counts[name] > 1:
            stem, dot, ext = name.partition(".")
            name = f"{stem}-{hashlib.sha256(data).hexdigest()[:12]}{dot}{ext}"
        out[name] = data
    return dict(sorted(out.items()))


def componentize_py_libraries() -> dict[str, pathlib.Path]:
    """File name → path of each wasm module embedded in the installed componentize-py."""
    version = importlib.metadata.version("componentize-py")
    cache = CACHE_ROOT / f"componentize-py-{version}"
    index_path = cache / "index.json"
    try:
        index = json.loads(index_path.read_text())
        if index.get("version") == INDEX_VERSION and all(
                (cache / name).is_file() for name in index["files"]):
            return {name: cache / name for name in index["files"]}
    except (OSError, ValueError, KeyError):
        pass
    cache.mkdir(parents=True, exist_ok=True)
    libraries = name_libraries(embedded_modules(native_module_path().read_bytes()))
    files = {}
    for name, data in libraries.items():
        tmp = cache / f".{name}.tmp{os.getpid()}"
        tmp.write_bytes(data)
        tmp.replace(cache / name)
        files[name] = hashlib.sha256(data).hexdigest()
    tmp = cache / f".index.json.tmp{os.getpid()}"
    tmp.write_text(json.dumps({"version": INDEX_VERSION, "files": files}, indent=1,
                              sort_keys=True))
    tmp.replace(index_path)
    return {name: cache / name for name in files}


def python_stdlib() -> pathlib.Path:
    """A PYTHONHOME for the wheel's libpython: its standard library (a tar in a zstd frame of
    the native module, the one holding ``encodings/__init__.py``) extracted once under
    ``<cache>/python-home/lib/python3.X``. Returns the home directory."""
    import io
    import tarfile
    import zstandard
    version = importlib.metadata.version("componentize-py")
    home = CACHE_ROOT / f"componentize-py-{version}" / "python-home"
    done = home / ".complete"
    if done.exists():
        return home
    blob = native_module_path().read_bytes()
    view = memoryview(blob)
    pos = blob.find(ZSTD_MAGIC)
    while pos >= 0:
        try:
            reader = zstandard.ZstdDecompressor().stream_reader(view[pos:],
                                                                read_across_frames=False)
            head = reader.read(512)
            is_tar = head[257:262] == b"ustar"
        except zstandard.ZstdError:
            is_tar = False
        if is_tar:
            out = bytearray(head)
            try:
                while chunk := reader.read(1 << 20):
                    out += chunk
            except zstandard.ZstdError:
                pass                          # the frame ended; the tar is complete
            archive = tarfile.open(fileobj=io.BytesIO(bytes(out)))
            names = archive.getnames()
            if "encodings/__init__.py" in names:
                libs = componentize_py_libraries()
                python = next(n for n in libs if n.startswith("libpython"))
                target = home / "lib" / ("python" + python[len("libpython"):-len(".so")])
                target.mkdir(parents=True, exist_ok=True)
                archive.extractall(target, filter="data")
                done.write_text("")
                return home
        pos = blob.find(ZSTD_MAGIC, pos + 4)
    raise FileNotFoundError("no Python standard library in componentize-py's native module")
