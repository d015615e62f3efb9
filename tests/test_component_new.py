"""`wasmlink component new` against `jco new` on the same modules: C libraries that implement a
world by hand (tests/components/: strings, lists, records, variants, enums, flags, options,
results, an imported resource; root and interface exports), each export called from Wasmtime's
Python API with the same host, the results compared; and the errors for modules that do not
match their world."""
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CLANG, NODE_MODULES, TESTS, run

wasmtime = pytest.importorskip("wasmtime")
from wasmtime import component as wc  # noqa: E402

WASMLINK = str(Path(sys.executable).with_name("wasmlink"))
SOURCES = TESTS / "components"
ENGINE = wasmtime.Engine()


def build(tmp_path, name: str) -> Path:
    """tests/components/NAME.c compiled by clang-22 as a reactor, NAME.wit embedded by wasmlink."""
    module = tmp_path / f"{name}.wasm"
    run([CLANG, "--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated", "-O1",
         "-mexec-model=reactor", SOURCES / f"{name}.c", "-o", module])
    embedded = tmp_path / f"{name}-embedded.wasm"
    run([WASMLINK, "component", "embed", SOURCES / f"{name}.wit", module, "-o", embedded])
    return embedded


def both(tmp_path, name: str) -> tuple[Path, Path]:
    embedded = build(tmp_path, name)
    ours, reference = tmp_path / "ours.wasm", tmp_path / "jco.wasm"
    run([WASMLINK, "component", "new", embedded, "-o", ours])
    run([NODE_MODULES / ".bin" / "jco", "new", embedded, "-o", reference])
    return ours, reference


def record(**fields):
    r = wc.Record()
    r.__dict__.update(fields)
    return r


def call(store, func, *args):
    result = func(store, *args)
    func.post_return(store)
    return result


def run_greeter(path: Path) -> list:
    store = wasmtime.Store(ENGINE)
    linker = wc.Linker(ENGINE)
    logged = []
    with linker.root() as root:
        with root.add_instance("my:lib/host@0.1.0") as host:
            host.add_func("log", lambda _, msg: logged.append(msg))
            host.add_func("add", lambda _, a, b: a + b)
    instance = linker.instantiate(store, wc.Component.from_file(ENGINE, str(path)))
    f = lambda name: instance.get_func(store, name)                  # noqa: E731
    return [call(store, f("greet"), "world"), call(store, f("sum"), [1, 2, 3, 2**31 - 1]),
            call(store, f("twice"), 21), logged]


def run_shapes(path: Path) -> list:
    store = wasmtime.Store(ENGINE)
    linker = wc.Linker(ENGINE)
    buckets = {}
    with linker.root() as root:
        with root.add_instance("my:shapes/store@1.0.0") as iface:
            iface.add_resource("bucket", wc.ResourceType.host(1),
                               lambda _, rep: buckets.pop(rep, None))

            def constructor(_, name):
                rep = len(buckets) + 1
                buckets[rep] = []
                return wc.ResourceHost.own(rep, 1)
            iface.add_func("[constructor]bucket", constructor)
            iface.add_func("[method]bucket.put",
                           lambda s, self, v: buckets[self.to_host(s).rep].append(v))
            iface.add_func("[method]bucket.total",
                           lambda s, self: sum(buckets[self.to_host(s).rep]))
            iface.add_func("stamp", lambda _: 7)
    instance = linker.instantiate(store, wc.Component.from_file(ENGINE, str(path)))
    geometry = instance.get_export_index(store, "my:shapes/geometry@1.0.0")
    g = lambda name: instance.get_func(store, instance.get_export_index(store, name, geometry))  # noqa: E731
    mirrored = call(store, g("mirror"), record(x=1, y=2))
    return [call(store, instance.get_func(store, "count-bucket"), 10),
            call(store, g("area"), 3), call(store, g("area"), record(x=3, y=-4)),
            call(store, g("area"), None), (mirrored.x, mirrored.y),
            call(store, g("describe"), "green", {"bold", "underline"}),
            call(store, g("find"), ["a", "bb", "ccc"], "bb"), call(store, g("find"), ["a"], "zz"),
            call(store, g("checked-div"), 7, 2), call(store, g("checked-div"), 7, 0),
            len(buckets)]


def test_a_library_with_strings_and_lists_behaves_as_jcos_component(tmp_path):
    ours, reference = both(tmp_path, "greeter")
    assert run_greeter(ours) == run_greeter(reference) == \
        ["hello, world", 2**31 + 5, 42, ["world"]]


def test_records_variants_flags_options_results_and_resources_behave_as_jcos(tmp_path):
    ours, reference = both(tmp_path, "shapes")
    expected = [1055, 27, 12, 0, (2, 1), "green bold underline", 1, None, 3,
                "division by zero", 0]
    assert run_shapes(ours) == run_shapes(reference) == expected


def run_tally(path: Path) -> list:
    store = wasmtime.Store(ENGINE)
    instance = wc.Linker(ENGINE).instantiate(store, wc.Component.from_file(ENGINE, str(path)))
    iface = instance.get_export_index(store, "my:tally/tallies@0.1.0")
    f = lambda name: instance.get_func(store, instance.get_export_index(store, name, iface))  # noqa: E731
    live = instance.get_func(store, "live-count")
    a = call(store, f("[constructor]tally"), 5)
    call(store, f("[method]tally.add"), a, 10)
    b = call(store, f("[constructor]tally"), 1)
    merged = call(store, f("merge"), a, b)
    out = [call(store, f("[method]tally.total"), a), call(store, f("[method]tally.total"), merged)]
    a.drop(store)
    b.drop(store)
    out += [call(store, f("[method]tally.total"), merged), call(store, live)]
    merged.drop(store)
    return out + [call(store, live)]


def test_an_exported_resource_and_its_destructor_behave_as_jcos(tmp_path):
    ours, reference = both(tmp_path, "tally")
    # dropping handles runs the module's destructor: the live count goes 1, then 0
    assert run_tally(ours) == run_tally(reference) == [15, 16, 16, 1, 0]


def test_the_same_module_gives_the_same_component_every_time(tmp_path):
    embedded = build(tmp_path, "greeter")
    outs = []
    for name in ("a.wasm", "b.wasm"):
        run([WASMLINK, "component", "new", embedded, "-o", tmp_path / name])
        outs.append((tmp_path / name).read_bytes())
    assert outs[0] == outs[1]


def new_error(tmp_path, wit: str, c_source: str) -> str:
    (tmp_path / "w.wit").write_text(wit)
    (tmp_path / "m.c").write_text(c_source)
    module, embedded = tmp_path / "m.wasm", tmp_path / "e.wasm"
    run([CLANG, "--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated", "-O1",
         "-mexec-model=reactor", tmp_path / "m.c", "-o", module])
    run([WASMLINK, "component", "embed", tmp_path / "w.wit", module, "-o", embedded])
    proc = subprocess.run([WASMLINK, "component", "new", embedded, "-o", tmp_path / "out.wasm"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and not (tmp_path / "out.wasm").exists()
    assert proc.stderr.count("\n") == 1
    return proc.stderr


WORLD = "package a:b;\nworld w {\n  import log: func(n: u32);\n  export run: func(x: u32) -> u32;\n}\n"
LOG = '__attribute__((import_module("$root"), import_name("log"))) void log_(int);\n'


def test_a_missing_export_names_it_and_its_core_type(tmp_path):
    err = new_error(tmp_path, WORLD, "int other(int x) { return x; }\n")
    assert "module does not export `run`, which world `w` exports (core type " \
           "(func (param i32) (result i32)))" in err


def test_an_export_of_the_wrong_core_type_names_both_types(tmp_path):
    err = new_error(tmp_path, WORLD, '__attribute__((export_name("run"))) long long run(long long x)'
                                     ' { return x; }\n')
    assert "export `run` has type (func (param i64) (result i64)), but world `w` needs " \
           "(func (param i32) (result i32))" in err


def test_an_import_the_world_does_not_define_names_it(tmp_path):
    err = new_error(tmp_path, WORLD, '__attribute__((import_module("env"), import_name("mystery")))'
                                     ' int mystery(void);\n__attribute__((export_name("run"))) int '
                                     'run(int x) { return mystery() + x; }\n')
    assert "module imports `env` `mystery`, which world `w` does not define" in err


def test_an_import_of_the_wrong_core_type_names_both_types(tmp_path):
    err = new_error(tmp_path, WORLD, '__attribute__((import_module("$root"), import_name("log"))) '
                                     'void log_(long long);\n__attribute__((export_name("run"))) '
                                     'int run(int x) { log_(x); return x; }\n')
    assert "import `$root` `log` has type (func (param i64)), but world `w` gives it " \
           "(func (param i32))" in err


def test_a_module_without_a_world_says_how_to_add_one(tmp_path):
    (tmp_path / "m.c").write_text("int run(int x) { return x; }\n")
    module = tmp_path / "m.wasm"
    run([CLANG, "--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated",
         "-mexec-model=reactor", tmp_path / "m.c", "-o", module])
    proc = subprocess.run([WASMLINK, "component", "new", module, "-o", tmp_path / "out.wasm"],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "module has no `component-type` custom section" in proc.stderr


def test_the_python_api_embeds_wraps_and_prints(tmp_path):
    import wasmlink
    module = tmp_path / "greeter.wasm"
    run([CLANG, "--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated", "-O1",
         "-mexec-model=reactor", SOURCES / "greeter.c", "-o", module])
    embedded = wasmlink.component_embed(SOURCES / "greeter.wit", module,
                                        output=tmp_path / "embedded.wasm")
    component = wasmlink.component_new(embedded, tmp_path / "greeter.component.wasm")
    assert run_greeter(component) == ["hello, world", 2**31 + 5, 42, ["world"]]
    assert "export greet: func(name: string) -> string;" in wasmlink.component_wit(component)


def test_a_malformed_component_type_section_is_an_error_naming_the_file(tmp_path):
    embedded = build(tmp_path, "greeter")
    data = bytearray(embedded.read_bytes())
    at = data.rfind(b"component-type") + len(b"component-type") + 12
    data[at:at + 4] = b"\xff\xff\xff\xff"                  # inside the embedded component
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(bytes(data))
    proc = subprocess.run([WASMLINK, "component", "new", bad, "-o", tmp_path / "out.wasm"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(f"wasmlink: error: {bad}: ")
    assert "(at offset 0x" in proc.stderr
    assert not (tmp_path / "out.wasm").exists()


def test_mutated_modules_give_wasmlink_errors_never_crashes(tmp_path):
    """Bytes of a real embedded module changed at random: `component new` either builds a
    component or raises a WasmlinkError (a one-line CLI error), never anything else."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from wasmlink.errors import WasmlinkError
    from wasmlink.wrap.new import new_component
    original = build(tmp_path, "shapes").read_bytes()

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.tuples(st.integers(0, len(original) - 1), st.integers(0, 255)),
                    min_size=1, max_size=4))
    def mutate(changes):
        data = bytearray(original)
        for at, value in changes:
            data[at] = value
        try:
            new_component(bytes(data))
        except WasmlinkError:
            pass
    mutate()
