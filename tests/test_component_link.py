"""`wasmlink component link` on real shared libraries: C libraries of our own, compiled by
clang-22 with -fPIC and linked -shared by wasmlink-ld and by wasm-ld-22, with the
componentize-py wheel's libc.so and its WASI reactor adapter, become one component whose
libraries stay separate core modules; Wasmtime runs it (constructors in dependency order,
malloc and snprintf across libraries, a string through the world's export)."""
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CLANG, WASM_LD, TESTS, run

wasmtime = pytest.importorskip("wasmtime")
from wasmtime import component as wc  # noqa: E402

WASMLINK = str(Path(sys.executable).with_name("wasmlink"))
WASMLINK_LD = str(Path(sys.executable).with_name("wasmlink-ld"))
SOURCES = TESTS / "components" / "dynlink"
PIC = ["--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated", "-O2", "-fPIC",
       "-fvisibility=default"]


def shared_library(tmp_path, linker: str, name: str, *extra) -> Path:
    obj = tmp_path / f"{name}.o"
    run([CLANG, *PIC, "-c", SOURCES / f"{name}.c", "-o", obj])
    out = tmp_path / f"lib{name}.so"
    run([linker, "--experimental-pic", "-shared", "--unresolved-symbols=import-dynamic",
         obj, "-o", out, *extra])
    return out


def linked_component(tmp_path, wheel_libs, linker: str) -> Path:
    greet = shared_library(tmp_path, linker, "greet")
    app_plain = shared_library(tmp_path, linker, "app")
    app = tmp_path / "libapp.so"
    run([WASMLINK, "component", "embed", SOURCES / "app.wit", app_plain, "-o", app])
    component = tmp_path / "app.component.wasm"
    run([WASMLINK, "component", "link", wheel_libs["libc.so"], greet, app, "--adapt",
         f"wasi_snapshot_preview1={wheel_libs['wasi_snapshot_preview1.reactor.wasm']}",
         "-o", component])
    return component


def call_hello(component: Path, names) -> list:
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    linker = wc.Linker(engine)
    linker.add_wasip2()
    instance = linker.instantiate(store, wc.Component.from_file(engine, str(component)))
    hello = instance.get_func(store, "hello")
    out = []
    for name in names:
        out.append(hello(store, name))
        hello.post_return(store)
    return out


@pytest.mark.parametrize("linker", [WASMLINK_LD, WASM_LD], ids=["wasmlink-ld", "wasm-ld-22"])
def test_c_libraries_and_the_wheels_libc_run_as_one_component(tmp_path, wheel_libs, linker):
    component = linked_component(tmp_path, wheel_libs, linker)
    # the constructor of libgreet ran before the first call: the count starts from 100
    assert call_hello(component, ["world", "wasm"]) == ["hello, world! (101)",
                                                       "hello, wasm! (102)"]


def test_each_library_stays_its_own_core_module(tmp_path, wheel_libs):
    from wasmlink.binary.component import Component
    from wasmlink.binary.module import Module
    component = linked_component(tmp_path, wheel_libs, WASMLINK_LD)
    data = component.read_bytes()
    libc = Path(wheel_libs["libc.so"]).read_bytes()
    code = Module(libc, 0, len(libc)).section(10)
    modules = [bytes(Component(data).unit_bytes(u.index)) for u in Component(data).modules()]
    # libc is one of the component's modules, its code copied unchanged (only its producers
    # section names wasmlink as well): a runtime can share its compiled code
    assert sum(libc[code.start:code.end] in m for m in modules) == 1
    assert len(modules) >= 4          # main, libc, libgreet, libapp (+ adapter, shims)


def test_a_missing_needed_library_is_named(tmp_path, wheel_libs):
    greet = shared_library(tmp_path, WASMLINK_LD, "greet")
    app = shared_library(tmp_path, WASMLINK_LD, "app", str(greet))     # needs libgreet.so
    proc = subprocess.run([WASMLINK, "component", "link", app, "-o", tmp_path / "out.wasm"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert "libapp.so needs libgreet.so" in proc.stderr
    assert not (tmp_path / "out.wasm").exists()


def test_an_unresolved_symbol_is_an_error_naming_the_library_that_needs_it(tmp_path,
                                                                           wheel_libs):
    app_plain = shared_library(tmp_path, WASMLINK_LD, "app")       # greet() is nowhere
    app = tmp_path / "libapp.so"
    run([WASMLINK, "component", "embed", SOURCES / "app.wit", app_plain, "-o", app])
    out = tmp_path / "out.wasm"
    proc = subprocess.run([WASMLINK, "component", "link", wheel_libs["libc.so"], app, "--adapt",
                           f"wasi_snapshot_preview1="
                           f"{wheel_libs['wasi_snapshot_preview1.reactor.wasm']}", "-o", out],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert "libapp.so" in proc.stderr and "greet" in proc.stderr
    assert not out.exists()


def test_dlopen_and_dlsym_find_a_dl_openable_library(tmp_path, wheel_libs):
    plugin = shared_library(tmp_path, WASMLINK_LD, "plugin")
    host_plain = shared_library(tmp_path, WASMLINK_LD, "host")
    host = tmp_path / "libhost.so"
    run([WASMLINK, "component", "embed", SOURCES / "host.wit", host_plain, "-o", host])
    component = tmp_path / "host.component.wasm"
    run([WASMLINK, "component", "link", wheel_libs["libc.so"], host, "--dl-openable",
         plugin, "--use-built-in-libdl", "--adapt",
         f"wasi_snapshot_preview1={wheel_libs['wasi_snapshot_preview1.reactor.wasm']}",
         "-o", component])
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    linker = wc.Linker(engine)
    linker.add_wasip2()
    instance = linker.instantiate(store, wc.Component.from_file(engine, str(component)))
    probe = instance.get_func(store, "probe")
    # plugin_value(5) = 16, plus plugin_counter = 41; a missing library sets dlerror
    assert probe(store, 5) == 57


def test_a_symbol_two_libraries_define_is_resolved_by_input_order_with_a_warning(tmp_path,
                                                                               wheel_libs):
    (tmp_path / "one.c").write_text("int shared_fn(void) { return 1; }\n")
    (tmp_path / "two.c").write_text("int shared_fn(void) { return 2; }\n")
    libs = []
    for name in ("one", "two"):
        obj = tmp_path / f"{name}.o"
        run([CLANG, *PIC, "-c", tmp_path / f"{name}.c", "-o", obj])
        out = tmp_path / f"lib{name}.so"
        run([WASMLINK_LD, "--experimental-pic", "-shared", obj, "-o", out])
        libs.append(out)
    (tmp_path / "user.c").write_text(
        "int shared_fn(void);\n"
        '__attribute__((export_name("answer"))) int answer(void) { return shared_fn(); }\n')
    obj = tmp_path / "user.o"
    run([CLANG, *PIC, "-c", tmp_path / "user.c", "-o", obj])
    plain = tmp_path / "libuser-plain.so"
    run([WASMLINK_LD, "--experimental-pic", "-shared", "--unresolved-symbols=import-dynamic",
         obj, "-o", plain])
    (tmp_path / "user.wit").write_text("package a:b;\nworld user { export answer: func() -> s32; }\n")
    user = tmp_path / "libuser.so"
    run([WASMLINK, "component", "embed", tmp_path / "user.wit", plain, "-o", user])
    proc = subprocess.run([WASMLINK, "component", "link", *libs, user, "-o",
                           tmp_path / "out.wasm"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "warning" in proc.stderr and "libone.so" in proc.stderr and "libtwo.so" in proc.stderr
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    instance = wc.Linker(engine).instantiate(store, wc.Component.from_file(
        engine, str(tmp_path / "out.wasm")))
    assert instance.get_func(store, "answer")(store) == 1          # the first library wins


def test_a_function_signature_mismatch_between_libraries_is_a_link_error(tmp_path):
    (tmp_path / "provider.c").write_text("int compute(int x) { return x + 1; }\n")
    (tmp_path / "user.c").write_text(
        "long long compute(long long a, long long b);\n"
        "long long use(void) { return compute(1, 2); }\n")
    libs = []
    for name in ("provider", "user"):
        obj = tmp_path / f"{name}.o"
        run([CLANG, *PIC, "-c", tmp_path / f"{name}.c", "-o", obj])
        out = tmp_path / f"lib{name}.so"
        run([WASMLINK_LD, "--experimental-pic", "-shared", "--unresolved-symbols=import-dynamic",
             obj, "-o", out])
        libs.append(out)
    proc = subprocess.run([WASMLINK, "component", "link", *libs, "-o", tmp_path / "out.wasm"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert "libuser.so needs compute" in proc.stderr
    assert "libprovider.so defines compute" in proc.stderr and "signature mismatch" in proc.stderr
    assert not (tmp_path / "out.wasm").exists()


def test_the_same_libraries_give_the_same_component_every_time(tmp_path, wheel_libs):
    outputs = []
    for run_dir in (tmp_path / "a", tmp_path / "b"):
        run_dir.mkdir()
        outputs.append(linked_component(run_dir, wheel_libs, WASMLINK_LD).read_bytes())
    assert outputs[0] == outputs[1]


def test_a_library_without_dylink_is_named(tmp_path):
    (tmp_path / "plain.c").write_text("int f(void) { return 1; }\n")
    plain = tmp_path / "plain.wasm"
    run([CLANG, "--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated", "-nostartfiles",
         "-Wl,--no-entry", "-Wl,--export=f", tmp_path / "plain.c", "-o", plain])
    proc = subprocess.run([WASMLINK, "component", "link", plain, "-o", tmp_path / "out.wasm"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert "plain.wasm" in proc.stderr and "dylink.0" in proc.stderr
    assert not (tmp_path / "out.wasm").exists()


TLS_WIT = """package test:tls;
interface t { run: func() -> u32; }
world lib-a { export t; }
world lib-b { }
"""
# wasip3 libraries: each has TLS of its own (it exports __wasm_library_tls_info) and reaches its
# TLS base and the stack pointer through env functions the linker synthesizes
TLS_LIB_A = """(module
  (@dylink.0 (mem-info (memory 8 2)))
  (import "env" "memory" (memory 1))
  (import "env" "__wasm_get_tls_base" (func $get_tls (result i32)))
  (import "env" "__wasm_set_tls_base" (func $set_tls (param i32)))
  (import "env" "__wasm_get_stack_pointer" (func $get_sp (result i32)))
  (import "env" "__wasm_set_stack_pointer" (func $set_sp (param i32)))
  (import "env" "b_set" (func $b_set (param i32)))
  (import "env" "b_get" (func $b_get (result i32)))
  (global (export "__wasm_library_tls_info") i32 (i32.const 0))
  (func (export "test:tls/t#run") (result i32)
    (call $set_tls (i32.const 100))
    (call $b_set (i32.const 200))
    (call $set_sp (i32.const 7))
    (i32.add (call $get_tls)
      (i32.add (i32.mul (call $b_get) (i32.const 1000))
               (i32.mul (call $get_sp) (i32.const 1000000))))))"""
TLS_LIB_B = """(module
  (@dylink.0 (mem-info (memory 8 2)))
  (import "env" "memory" (memory 1))
  (import "env" "__wasm_get_tls_base" (func $get_tls (result i32)))
  (import "env" "__wasm_set_tls_base" (func $set_tls (param i32)))
  (global (export "__wasm_library_tls_info") i32 (i32.const 0))
  (func (export "b_set") (param i32) (call $set_tls (local.get 0)))
  (func (export "b_get") (result i32) (call $get_tls)))"""


def test_wasip3_tls_bases_are_per_library_and_the_stack_pointer_is_context_slot_0():
    from wasmlink.embed.embed import SECTION_NAME, custom_section, producers
    from wasmlink.wit.encode import encode_world
    from wasmlink.wit.resolve import Resolve
    from wasmlink.wrap.command import validation_engine
    from wasmlink.wrap.link import link_component

    def library(wat, world):
        resolve = Resolve()
        package = resolve.push_str(TLS_WIT, "tls.wit")
        encoded = encode_world(resolve, resolve.select_world(package, world), "utf8", producers())
        return bytes(wasmtime.wat2wasm(wat)) + custom_section(SECTION_NAME, encoded)
    component = link_component([("a", library(TLS_LIB_A, "lib-a"), "a.so"),
                                ("b", library(TLS_LIB_B, "lib-b"), "b.so")])
    engine = validation_engine()
    store = wasmtime.Store(engine)
    instance = wc.Linker(engine).instantiate(store, wc.Component(engine, component))
    run_ = instance.get_func(store, instance.get_export_index(
        store, "run", instance.get_export_index(store, "test:tls/t")))
    # a's base is 100 while b's is 200 (one slot each), the stack pointer 7
    assert run_(store) == 100 + 200 * 1000 + 7 * 1000000


def three_library_component(tmp_path, wheel_libs, linker: str, with_hook: bool) -> Path:
    """libbase.so <- libmiddle.so <- libreport.so (the world's export), plus libhook.so
    defining the weak function libmiddle.so calls when it is there. The libraries are given
    top first, so the constructors' order comes from the dependencies, not the input order."""
    libs = [shared_library(tmp_path, linker, name) for name in ("middle", "base", "hook")]
    plain = shared_library(tmp_path, linker, "report")
    report = tmp_path / "libreport.so"
    run([WASMLINK, "component", "embed", SOURCES / "report.wit", plain, "-o", report])
    component = tmp_path / f"report-{with_hook}.component.wasm"
    run([WASMLINK, "component", "link", wheel_libs["libc.so"], report, libs[0], libs[1],
         *([libs[2]] if with_hook else []), "--adapt",
         f"wasi_snapshot_preview1={wheel_libs['wasi_snapshot_preview1.reactor.wasm']}",
         "-o", component])
    return component


def call_report(component: Path, x: int) -> str:
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    linker = wc.Linker(engine)
    linker.add_wasip2()
    instance = linker.instantiate(store, wc.Component.from_file(engine, str(component)))
    report = instance.get_func(store, "report")
    out = report(store, x)
    report.post_return(store)
    return out


@pytest.mark.parametrize("linker", [WASMLINK_LD, WASM_LD], ids=["wasmlink-ld", "wasm-ld-22"])
def test_data_and_function_pointers_cross_libraries_and_constructors_run_bottom_up(
        tmp_path, wheel_libs, linker):
    # order: base, middle, report; op: base's function pointer called from middle; same:
    # &twice taken in middle equals the pointer base stored and returns; name: base's string
    assert call_report(three_library_component(tmp_path, wheel_libs, linker, True), 21) == \
        "order=1,2,3 op=42 same=1 hook=1021 name=base"


@pytest.mark.parametrize("linker", [WASMLINK_LD, WASM_LD], ids=["wasmlink-ld", "wasm-ld-22"])
def test_a_weak_function_no_library_defines_is_a_null_pointer(tmp_path, wheel_libs, linker):
    assert call_report(three_library_component(tmp_path, wheel_libs, linker, False), 21) == \
        "order=1,2,3 op=42 same=1 hook=-1 name=base"


@pytest.mark.parametrize("linker", [WASMLINK_LD, WASM_LD], ids=["wasmlink-ld", "wasm-ld-22"])
def test_a_cxx_library_runs_over_the_wheels_libcxx(tmp_path, wheel_libs, linker):
    obj = tmp_path / "greetcxx.o"
    run([CLANG.replace("clang-22", "clang++-22"), *PIC, "-fno-exceptions", "-c",
         SOURCES / "greetcxx.cpp", "-o", obj])
    greet = tmp_path / "libgreet.so"
    run([linker, "--experimental-pic", "-shared", "--unresolved-symbols=import-dynamic", obj,
         "-o", greet])
    app_plain = shared_library(tmp_path, linker, "app")
    app = tmp_path / "libapp.so"
    run([WASMLINK, "component", "embed", SOURCES / "app.wit", app_plain, "-o", app])
    component = tmp_path / "app.component.wasm"
    run([WASMLINK, "component", "link", wheel_libs["libc.so"], wheel_libs["libc++abi.so"],
         wheel_libs["libc++.so"], greet, app, "--adapt",
         f"wasi_snapshot_preview1={wheel_libs['wasi_snapshot_preview1.reactor.wasm']}",
         "-o", component])
    from wasmlink.component import decode_component
    from wasmlink.component import model as cm
    modules = [s for s in decode_component(component.read_bytes()).sections
               if isinstance(s, cm.CoreModuleSection)]
    from wasmlink.binary.module import Module
    exports = [{e.name for e in Module(bytes(m.data), 0, len(m.data)).exports} for m in modules]
    # libc++ and libc++abi are modules of their own in the component, not left out
    assert any("_ZNSt3__29to_stringEi" in names for names in exports)
    assert any("_ZdlPvm" in names and "_ZNSt3__29to_stringEi" not in names for names in exports)
    assert call_hello(component, ["world", "wasm"]) == ["hello from C++, world! (101)",
                                                       "hello from C++, wasm! (102)"]


@pytest.fixture(scope="module")
def small_libraries(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzzed-link")
    greet = shared_library(tmp, WASMLINK_LD, "greet").read_bytes()
    plain = shared_library(tmp, WASMLINK_LD, "app")
    app = tmp / "libapp.so"
    run([WASMLINK, "component", "embed", SOURCES / "app.wit", plain, "-o", app])
    return greet, app.read_bytes()


def test_mutated_libraries_link_or_fail_with_a_wasmlink_error(small_libraries):
    # (this found out-of-range type, function and export indexes raising IndexError)
    import random
    from wasmlink.errors import WasmlinkError
    from wasmlink.wrap.link import link_component
    greet, app = small_libraries
    rng = random.Random(5)
    for _ in range(400):
        mutate_greet = rng.random() < 0.5
        blob = bytearray(greet if mutate_greet else app)
        for _ in range(rng.randint(1, 3)):
            blob[rng.randrange(len(blob))] = rng.randrange(256)
        libs = [("libgreet.so", bytes(blob) if mutate_greet else greet, "libgreet.so"),
                ("libapp.so", app if mutate_greet else bytes(blob), "libapp.so")]
        try:
            link_component(libs, stub_missing_functions=True)
        except WasmlinkError:
            pass
