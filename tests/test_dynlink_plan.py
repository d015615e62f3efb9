"""dynlink.plan_link: shared-everything linking planned, then run with Wasmtime's core API.

Inputs are wit-component's `link*` conformance libraries (expected layouts and errors from its
outputs) and small C shared libraries built with clang-22 and wasm-ld-22 / wasmlink-ld, linked
with componentize-py's libc.so.
"""
from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from conftest import CLANG, WASM_LD, run
from support.dynlink_run import call, instantiate_plan
from wasmlink.binary.module import Module
from wasmlink.binary.reader import Reader
from wasmlink.dynlink import Source, plan_link
from wasmlink.errors import LinkError, ParseError

wasmtime = pytest.importorskip("wasmtime")

CASES = Path("/work/shared/conformance/wasm-tools/crates/wit-component/tests/components")
LINK_CASES = sorted(d.name for d in CASES.glob("*link*") if d.is_dir()) if CASES.exists() else []
# cases needing what plan_link does not do yet
UNSUPPORTED = {"link-dl-openable-builtin-libdl": "built-in libdl",
               "link-dl-openable-builtin-libdl-with-unused": "built-in libdl"}


def load_case(name: str):
    """(libraries, dl_openable, options) of a conformance case, files in name order."""
    libs, dl, opts = [], [], {}
    for path in sorted(CASES.joinpath(name).glob("*lib-*.wat")):
        text = path.read_text()
        for key, value in re.findall(r"^;;!\s*([\w-]+)\s*=\s*(\w+)", text, re.M):
            if key in ("stub-missing-functions", "use-built-in-libdl"):
                opts[key.replace("-", "_")] = value == "true"
        lib = path.stem.split("lib-", 1)[1]
        if path.name.startswith("dlopen-"):
            dl.append(lib)
        libs.append((lib, wasmtime.wat2wasm(text), str(path)))
    return libs, dl, opts


def plan_case(name: str, drop=()):
    libs, dl, opts = load_case(name)
    libs = [lib for lib in libs if lib[0] not in drop]
    return libs, plan_link(libs, dl_openable=dl, **opts)


def exports_of(wasm: bytes) -> dict:
    """Export name -> initial value of each exported i32 global of a main module."""
    m = Module(wasm)
    out = {}
    for e in m.exports:
        if e.kind == 3:
            init = m.globals[e.index].init
            assert init[0] == 0x41                      # i32.const
            out[e.name] = Reader(init, 1, len(init), "init").s32("value")
    return out


@pytest.mark.parametrize("case", [c for c in LINK_CASES if not c.startswith("error-")])
def test_conformance_case_plans_and_validates(case):
    if case in UNSUPPORTED:
        pytest.xfail(UNSUPPORTED[case])
    _, plan = plan_case(case)
    engine = wasmtime.Engine()
    wasmtime.Module(engine, plan.main_module)       # both synthesized modules validate
    wasmtime.Module(engine, plan.init_module)
    for lib, wiring in plan.wiring.items():
        assert all(isinstance(s, Source) for s in wiring.values())


@pytest.mark.parametrize("case", [c for c in LINK_CASES if c.startswith("error-")])
def test_conformance_error_cases(case):
    expected = CASES.joinpath(case, "error.txt").read_text()
    libs, dl, opts = load_case(case)
    with pytest.raises(LinkError) as err:
        plan_link(libs, dl_openable=dl, **opts)
    assert str(err.value) == expected


def test_link_case_layout_matches_wit_component():
    # wit-component drops lib-unused (no component exports, nothing needs it): so do we here
    _, plan = plan_case("link", drop={"unused"})
    g = exports_of(plan.main_module)
    assert {k: g[k] for k in ("__stack_pointer", "bar:memory_base", "bar:table_base",
                              "c:memory_base", "foo:memory_base", "foo:table_base",
                              "bar:well", "foo:um", "__heap_base", "__heap_end")} == {
        "__stack_pointer": 1048576, "bar:memory_base": 1048592, "bar:table_base": 1,
        "c:memory_base": 1048624, "foo:memory_base": 1048624, "foo:table_base": 1,
        "bar:well": 0, "foo:um": 0, "__heap_base": 1048640, "__heap_end": 1114112}
    assert plan.order == ["c", "foo", "bar"]
    assert plan.wiring["foo"][("env", "malloc")] == Source("library", "malloc", "c")
    assert plan.wiring["foo"][("test:test/test", "bar")] == Source("world", "bar")
    assert plan.wiring["foo"][("GOT.mem", "um")] == Source("main", "foo:um")
    assert plan.wiring["foo"][("env", "__memory_base")] == Source("main", "foo:memory_base")
    assert plan.wiring["c"][("GOT.mem", "__heap_base")] == Source("main", "__heap_base")
    assert plan.init_wiring[("foo", "well")] == Source("library", "well", "foo")


def test_link_case_runs():
    libs, plan = plan_case("link")
    store, inst = instantiate_plan(plan, libs, {("test:test/test", "bar"): lambda ctx, x: 2 * x})
    # bar(7) = foo(7) + *well = world_bar(7 + um[4] + 42) + 4 = 2 * 54 + 4
    assert call(store, inst, "bar", "test:test/test#bar", 7) == 112
    main = inst["main"].exports(store)
    assert main["bar:well"].value(store) == main["foo:memory_base"].value(store)
    assert main["foo:um"].value(store) == main["bar:memory_base"].value(store)


def test_circular_dependency_goes_through_a_trampoline():
    libs, plan = plan_case("link-circular")
    assert plan.order == ["bar", "foo"]
    assert plan.wiring["bar"][("env", "foo")] == Source("main", "foo")
    assert plan.wiring["foo"][("env", "bar")] == Source("library", "bar", "bar")
    assert plan.init_wiring[("foo", "foo")] == Source("library", "foo", "foo")


def test_got_func_slot_holds_the_function():
    libs, plan = plan_case("link-got-func")
    store, inst = instantiate_plan(plan, libs)
    main = inst["main"].exports(store)
    slot = main["foo:foo"].value(store)
    assert slot == 1
    func = main["__indirect_function_table"].get(store, slot)
    assert func is not None


def test_duplicate_symbols_warn_naming_both_libraries():
    _, plan = plan_case("link-duplicate-symbols")
    assert len(plan.warnings) == 1
    assert "foo" in plan.warnings[0] and "defined by bar, foo" in plan.warnings[0]
    assert plan.wiring["foo"][("env", "foo")].library == "bar"


def test_weak_imports_become_stubs_and_missing_ones_error_without_the_option():
    libs, plan = plan_case("link-weak-import")
    assert plan.wiring["foo"][("env", "bar")] == Source("stub", "wit-component:stubs:bar")
    store, inst = instantiate_plan(plan, libs)
    with pytest.raises(wasmtime.Trap):
        inst["main"].exports(store)["wit-component:stubs:bar"](store, 1)
    libs, dl, _ = load_case("link-stubs")
    with pytest.raises(LinkError, match="unresolved symbol"):
        plan_link(libs)
    plan = plan_link(libs, stub_missing_functions=True)
    assert {s.kind for s in plan.wiring["foo"].values()} >= {"stub"}


def test_dl_openable_lookup_table_matches_wit_component():
    _, plan = plan_case("link-dl-openable")
    text = CASES.joinpath("link-dl-openable", "component.wat").read_text()
    fixup = text[text.index("$wit-component-fixup"):]
    expected = re.search(r'\(data \(;0;\) \(i32\.const 1048576\) "(.*)"\)', fixup).group(1)
    want = re.sub(r"\\([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), expected)
    init = Module(plan.init_module)
    seg, = init.data_segments
    assert bytes(init.data[seg.data_offset:seg.data_offset + seg.data_size]) == want.encode("latin-1")
    assert exports_of(plan.main_module)["foo:memory_base"] == 1048688
    assert exports_of(plan.main_module)["foo:table_base"] == 4


def init_data(plan) -> list[tuple[int, bytes]]:
    """(address, bytes) of each active data segment of the init module."""
    init = Module(plan.init_module)
    out = []
    for seg in init.data_segments:
        address = Reader(seg.offset, 1, len(seg.offset), "offset").s32("offset")
        out.append((address, bytes(init.data[seg.data_offset:seg.data_offset + seg.data_size])))
    return out


def test_wasip3_tls_tables_are_laid_out_as_wit_component_does():
    # (the numbers of the case's component.wat) after the dlopen table at 1048576: the main
    # thread's TLS bases of c and foo (none has no TLS), their library_info, then
    # __wasm_program_tls_info = {2, library_info, main_thread_tls_base}
    _, plan = plan_case("link-wasip3-tls")
    g = exports_of(plan.main_module)
    assert {k: g[k] for k in ("__wasm_program_tls_info", "c:memory_base", "foo:memory_base",
                              "none:memory_base")} == {
        "__wasm_program_tls_info": 1048600, "c:memory_base": 1048624,
        "foo:memory_base": 1048640, "none:memory_base": 1048656}
    assert init_data(plan)[1] == (1048600, struct.pack("<3I", 2, 1048592, 1048584))
    # c may spawn threads: main reads context slot 1, which it imports
    assert plan.main_wiring == {("$root", "[context-get-1]"): Source("context", "context.get 1")}
    assert plan.wiring["foo"][("env", "__wasm_get_tls_base")] == \
        Source("main", "foo:__wasm_get_tls_base")
    assert plan.wiring["c"][("env", "__wasm_set_stack_pointer")] == \
        Source("context", "context.set 0")
    assert plan.wiring["c"][("GOT.mem", "__wasm_program_tls_info")] == \
        Source("main", "__wasm_program_tls_info")


def test_wasip3_tls_without_threads_keeps_only_the_main_threads_bases():
    _, plan = plan_case("link-wasip3-tls-no-threads")
    g = exports_of(plan.main_module)
    assert "__wasm_program_tls_info" not in g and plan.main_wiring == {}
    assert (g["c:memory_base"], g["foo:memory_base"], g["foo:table_base"]) == (1048592, 1048608, 3)
    assert len(init_data(plan)) == 1                     # the dlopen table only


def test_a_tls_intrinsic_of_the_wrong_type_is_an_error():
    wat = """(module (@dylink.0 (mem-info))
               (import "env" "__wasm_get_tls_base" (func (param i32))))"""
    with pytest.raises(LinkError, match=r"library odd: import env.__wasm_get_tls_base must be "
                                        r"a function \[\] -> \[I32\]"):
        plan_link([("odd", wasmtime.wat2wasm(wat), "odd.so")])


def test_errors_name_the_libraries():
    libs, _, _ = load_case("link")
    with pytest.raises(LinkError, match="bar needs foo"):
        plan_link([lib for lib in libs if lib[0] != "foo"])
    with pytest.raises(LinkError, match="duplicate library name c"):
        plan_link(libs + [libs[1]])
    with pytest.raises(ParseError):
        plan_link([("broken", b"\0asm\x01\0\0\0\x01\x05", "broken.so")])


# -- real shared libraries --------------------------------------------------------------------

LIB_A = """
int counter = 5;
int numbers[3] = {10, 20, 30};
int add(int a, int b) { return a + b; }
int get_counter(void) { return counter; }
__attribute__((constructor)) static void init_a(void) { counter += 10; }
"""
LIB_B = """
extern int counter;
extern int numbers[3];
int add(int, int);
__attribute__((weak)) int maybe_missing(int);
int (*add_ptr)(int, int) = add;
int *numbers_ptr = &numbers[1];
static int seen_at_ctor;
__attribute__((constructor)) static void init_b(void) { seen_at_ctor = counter; }
int seen(void) { return seen_at_ctor; }
int same_pointer(void) { int (*p)(int, int) = add; return p == add_ptr; }
int has_weak(void) { return maybe_missing != 0; }
int use(int x) { return add_ptr(x, *numbers_ptr) + counter; }
"""
LIB_USER = """
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
int use(int);
int run(int x) {
  char *buf = malloc(64);
  snprintf(buf, 64, "%d", use(x));
  int n = (int)strlen(buf) * 1000 + atoi(buf);
  free(buf);
  return n;
}
"""


def compile_pic(tmp: Path, name: str, source: str) -> Path:
    src = tmp / f"{name}.c"
    src.write_text(source)
    obj = tmp / f"{name}.o"
    run([CLANG, "--target=wasm32-wasi", "-Wno-deprecated", "--sysroot=/usr", "-fPIC",
         "-fvisibility=default", "-O1", "-c", src, "-o", obj])
    return obj


@pytest.fixture(scope="module")
def c_objects(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dynlink-c")
    return tmp, {n: compile_pic(tmp, n, s) for n, s in
                 (("a", LIB_A), ("b", LIB_B), ("user", LIB_USER))}


def link_shared(linker: str, tmp: Path, out: str, inputs) -> Path:
    path = tmp / linker.replace("/", "_") / out
    path.parent.mkdir(exist_ok=True)
    run([linker, "--experimental-pic", "-shared", "--unresolved-symbols=import-dynamic",
         *inputs, "-o", path])
    return path


def wasi_world():
    def get_environment(ctx, ret):
        ctx.write(ret, bytes(8))                        # an empty list

    def get_random_bytes(ctx, n, ret):
        ctx.write(4096, bytes(n))                        # scratch space below the stack
        ctx.write(ret, struct.pack("<II", 4096, n))
    return {("wasi:cli/environment@0.2.0", "get-environment"): get_environment,
            ("wasi:random/random@0.2.0", "get-random-bytes"): get_random_bytes}


@pytest.mark.parametrize("linker", [WASM_LD, "wasmlink-ld"])
def test_c_libraries_with_libc(linker, c_objects, wheel_libs):
    tmp, objs = c_objects
    libc = wheel_libs["libc.so"]
    liba = link_shared(linker, tmp, "liba.so", [objs["a"]])
    libb = link_shared(linker, tmp, "libb.so", [objs["b"], liba])
    user = link_shared(linker, tmp, "libuser.so", [objs["user"], libb, libc])
    libs = [(p.name, p.read_bytes(), str(p)) for p in (user, libb, liba, Path(libc))]
    plan = plan_link(libs)
    assert plan.order.index("liba.so") < plan.order.index("libb.so") < plan.order.index(
        "libuser.so")
    assert plan.order.index("libc.so") < plan.order.index("libuser.so")
    assert plan.wiring["libb.so"][("env", "add")] == Source("library", "add", "liba.so")
    store, inst = instantiate_plan(plan, libs, wasi_world())
    assert call(store, inst, "liba.so", "get_counter") == 15      # constructor ran
    assert call(store, inst, "libb.so", "seen") == 15     # ... before libb's (dependency order)
    assert call(store, inst, "libb.so", "same_pointer") == 1   # one address for `add`
    assert call(store, inst, "libb.so", "has_weak") == 0       # weak undefined: null
    assert call(store, inst, "libb.so", "use", 1) == 1 + 20 + 15   # data relocs, GOT.func
    assert call(store, inst, "libuser.so", "run", 1) == 2036   # through libc: "36"
