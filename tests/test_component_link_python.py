"""The libpython stack through `wasmlink component link`: the componentize-py wheel's libc.so,
libwasi-emulated-*.so and libpython3.14.so, the built-in libdl.so, the wheel's WASI reactor
adapter, and a small C main library of our own (tests/components/dynlink/pyrun.c: it declares
the few CPython functions it calls) become one component. Wasmtime runs it with the wheel's
standard library preopened as PYTHONHOME: CPython initialises and evaluates Python code given
through the world's export."""
import sys
from pathlib import Path

import pytest

from conftest import CLANG, TESTS, run

wasmtime = pytest.importorskip("wasmtime")
from wasmtime import component as wc  # noqa: E402

WASMLINK = str(Path(sys.executable).with_name("wasmlink"))
WASMLINK_LD = str(Path(sys.executable).with_name("wasmlink-ld"))
SOURCES = TESTS / "components" / "dynlink"
STACK = ["libc.so", "libwasi-emulated-signal.so", "libwasi-emulated-getpid.so",
         "libwasi-emulated-process-clocks.so", "libwasi-emulated-mman.so", "libpython3.14.so"]


@pytest.fixture(scope="module")
def python_stack_component(tmp_path_factory, wheel_libs):
    tmp = tmp_path_factory.mktemp("python-stack")
    obj = tmp / "pyrun.o"
    run([CLANG, "--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated", "-O2", "-fPIC",
         "-fvisibility=default", "-c", SOURCES / "pyrun.c", "-o", obj])
    plain = tmp / "libpyrun-plain.so"
    run([WASMLINK_LD, "--experimental-pic", "-shared", "--unresolved-symbols=import-dynamic",
         obj, "-o", plain])
    main = tmp / "libpyrun.so"
    run([WASMLINK, "component", "embed", SOURCES / "pyrun.wit", plain, "-o", main])
    component = tmp / "python.component.wasm"
    run([WASMLINK, "component", "link", *(wheel_libs[n] for n in STACK), main,
         "--use-built-in-libdl", "--adapt",
         f"wasi_snapshot_preview1={wheel_libs['wasi_snapshot_preview1.reactor.wasm']}",
         "-o", component])
    return component


def python_home() -> Path:
    sys.path.insert(0, str(TESTS / "support"))
    from wheel_libs import python_stdlib
    return python_stdlib()


def test_cpython_initialises_and_evaluates_python_code(python_stack_component):
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    config = wasmtime.WasiConfig()
    config.env = [("PYTHONHOME", "/python"), ("PYTHONDONTWRITEBYTECODE", "1")]
    config.preopen_dir(str(python_home()), "/python")
    store.set_wasi(config)
    linker = wc.Linker(engine)
    linker.add_wasip2()
    instance = linker.instantiate(store, wc.Component.from_file(engine,
                                                                str(python_stack_component)))
    run_code = instance.get_func(store, "run")

    def evaluate(code):
        result = run_code(store, code)
        run_code.post_return(store)
        return result
    assert evaluate("1 + 2") == "3"
    assert evaluate("import sys\nsys.version.split()[0]").startswith("3.14")
    assert evaluate("import json\njson.dumps({'a': [1, 2, 3]})") == '{"a": [1, 2, 3]}'
    assert evaluate("sum(i * i for i in range(10))") == "285"
    assert evaluate("1 / 0") == "error"


def test_each_library_of_the_stack_is_a_module_of_its_own(python_stack_component, wheel_libs):
    from wasmlink.binary.component import Component
    from wasmlink.binary.module import Module
    data = python_stack_component.read_bytes()
    component = Component(data)
    modules = [bytes(component.unit_bytes(u.index)) for u in component.modules()]
    for name in STACK:
        lib = Path(wheel_libs[name]).read_bytes()
        code = Module(lib, 0, len(lib)).section(10)
        copies = sum(lib[code.start:code.end] in m for m in modules)
        # libwasi-emulated-mman.so: nothing needs it or uses its symbols, so it is left out
        assert copies == (0 if name == "libwasi-emulated-mman.so" else 1), name


def test_imported_libraries_make_a_tiny_component_whose_modules_are_shared(tmp_path, wheel_libs):
    """--import-libraries: the libraries are imported by content hash, not carried; the helper
    supplies them from their directories, and two such components in one engine share one
    compiled libpython."""
    from wasmlink.wrap import instantiate as helper
    obj = tmp_path / "pyrun.o"
    run([CLANG, "--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated", "-O2", "-fPIC",
         "-fvisibility=default", "-c", SOURCES / "pyrun.c", "-o", obj])
    libs = tmp_path / "libs"
    libs.mkdir()
    plain = tmp_path / "libpyrun-plain.so"
    run([WASMLINK_LD, "--experimental-pic", "-shared", "--unresolved-symbols=import-dynamic",
         obj, "-o", plain])
    main = libs / "libpyrun.so"
    run([WASMLINK, "component", "embed", SOURCES / "pyrun.wit", plain, "-o", main])
    small = tmp_path / "small.component.wasm"
    run([WASMLINK, "component", "link", *(wheel_libs[n] for n in STACK), main,
         "--use-built-in-libdl", "--import-libraries", "--adapt",
         f"wasi_snapshot_preview1={wheel_libs['wasi_snapshot_preview1.reactor.wasm']}",
         "-o", small])
    libpython = Path(wheel_libs["libpython3.14.so"])
    assert small.stat().st_size < libpython.stat().st_size / 10
    names = [name for name, _ in helper.hash_imports(small.read_bytes())]
    from wasmlink.component.names import integrity_name_of
    assert integrity_name_of(libpython.read_bytes()) in names

    engine = wasmtime.Engine()
    results = []
    for _ in range(2):
        store = wasmtime.Store(engine)
        config = wasmtime.WasiConfig()
        config.env = [("PYTHONHOME", "/python")]
        config.preopen_dir(str(python_home()), "/python")
        store.set_wasi(config)
        instance, store = helper.instantiate(engine, small, [libpython.parent, libs], store=store)
        run_code = instance.get_func(store, "run")
        results.append(run_code(store, "6 * 7"))
        run_code.post_return(store)
    assert results == ["42", "42"]
    digest = __import__("hashlib").sha256(libpython.read_bytes()).digest()
    assert sum(1 for (engine_id, d) in helper._compiled if d == digest
               and engine_id == id(engine)) == 1


def test_a_library_whose_bytes_do_not_match_its_hash_is_refused(tmp_path, wheel_libs):
    from wasmlink.errors import LinkError
    from wasmlink.wrap import instantiate as helper
    libc = Path(wheel_libs["libc.so"])
    digest = __import__("hashlib").sha256(libc.read_bytes()).digest()
    fake = tmp_path / "libc.so"
    fake.write_bytes(libc.read_bytes()[:-1] + b"\0")
    with pytest.raises(LinkError, match="does not match the hash"):
        helper.module_for(wasmtime.Engine(), digest, fake)
