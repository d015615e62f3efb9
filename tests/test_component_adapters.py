"""Adapters in `wasmlink component new`: what makes the WASI preview1 programs that Debian's
clang-22 and wasi-libc build into WASI 0.2 components, with jco's command and reactor adapters.
Each is compared with `jco new` on the same module, run in Wasmtime with its WASI 0.2 host:
same stdout, same exit status, same results. Also the whole path with wasmlink alone: WIT ->
`component embed --object` -> `wasmlink ld` -> `component new` -> Wasmtime."""
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import CLANG, NODE_MODULES, TESTS, run

wasmtime = pytest.importorskip("wasmtime")
from wasmtime import component as wc  # noqa: E402

WASMLINK = str(Path(sys.executable).with_name("wasmlink"))
WASMLINK_LD = str(Path(sys.executable).with_name("wasmlink-ld"))
JCO = NODE_MODULES / ".bin" / "jco"
ADAPTERS = NODE_MODULES / "@bytecodealliance" / "jco" / "lib"
COMMAND = ADAPTERS / "wasi_snapshot_preview1.command.wasm"
REACTOR = ADAPTERS / "wasi_snapshot_preview1.reactor.wasm"
CLANG_ARGS = ["--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated"]
ENGINE = wasmtime.Engine()

HELLO = r"""#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  printf("hello from a component: %d args\n", argc);
  for (int i = 0; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
  const char *who = getenv("WHO");
  printf("WHO=%s\n", who ? who : "(unset)");
  return argc == 3 ? 7 : 0;
}
"""


def wasi_store(args=(), env=()):
    store = wasmtime.Store(ENGINE)
    config = wasmtime.WasiConfig()
    config.argv = list(args)
    config.env = list(env)
    out = tempfile.NamedTemporaryFile(delete=False)
    config.stdout_file = out.name
    store.set_wasi(config)
    return store, Path(out.name)


def instantiate(path: Path, store):
    linker = wc.Linker(ENGINE)
    linker.add_wasip2()
    return linker.instantiate(store, wc.Component.from_file(ENGINE, str(path)))


def run_command(path: Path, args, env) -> tuple:
    """(exit status, stdout) of wasi:cli/run's `run`, as a WASI 0.2 host runs a command."""
    store, out = wasi_store(args, env)
    instance = instantiate(path, store)
    iface = instance.get_export_index(store, "wasi:cli/run@0.2.12")
    run_func = instance.get_func(store, instance.get_export_index(store, "run", iface))
    try:
        result = run_func(store)
        run_func.post_return(store)
        status = 1 if getattr(result, "tag", None) == "err" else 0
    except wasmtime.ExitTrap as e:
        status = e.code
    except wasmtime.WasmtimeError as e:       # run's result<_, _> err ends as a trap here
        status = 1 if "exit" in str(e) else str(e).splitlines()[0]
    return status, out.read_text()


def test_a_wasi_preview1_command_becomes_a_wasi_0_2_command_as_jco_makes_it(tmp_path):
    (tmp_path / "hello.c").write_text(HELLO)
    module = tmp_path / "hello.wasm"
    run([CLANG, *CLANG_ARGS, "-O2", tmp_path / "hello.c", "-o", module])
    ours, reference = tmp_path / "ours.wasm", tmp_path / "jco.wasm"
    run([WASMLINK, "component", "new", module, "--adapt",
         f"wasi_snapshot_preview1={COMMAND}", "-o", ours])
    run([JCO, "new", module, "--wasi-command", "-o", reference])
    for args, env in ((["prog", "a", "b"], [("WHO", "me")]), (["prog"], [])):
        assert run_command(ours, args, env) == run_command(reference, args, env)
    # the adapter's unreachable imports are left out, as wit-component's adapter GC leaves them
    from wasmlink import component_wit
    assert component_wit(ours) == component_wit(reference)
    assert "wasi:sockets" not in component_wit(ours)
    status, stdout = run_command(ours, ["prog", "a", "b"], [("WHO", "me")])
    assert stdout == "hello from a component: 3 args\narg 0: prog\narg 1: a\narg 2: b\nWHO=me\n"
    assert status == 1      # main's 7 reaches wasi:cli/exit as an error: 0.2 has no codes


def test_the_adapter_name_defaults_to_its_file_name_up_to_the_first_dot(tmp_path):
    (tmp_path / "hello.c").write_text(HELLO)
    module = tmp_path / "hello.wasm"
    run([CLANG, *CLANG_ARGS, "-O2", tmp_path / "hello.c", "-o", module])
    out = tmp_path / "ours.wasm"
    run([WASMLINK, "component", "new", module, "--adapt", COMMAND, "-o", out])
    assert run_command(out, ["prog"], [])[1].startswith("hello from a component: 1 args")


def run_counter(path: Path) -> tuple:
    store, out = wasi_store()
    instance = instantiate(path, store)

    def call(name, *args):
        f = instance.get_func(store, name)
        result = f(store, *args)
        f.post_return(store)
        return result
    results = [call("bump", 2), call("bump", 40), call("report", "total")]
    return results, out.read_text()


def reactor_module(tmp_path, *extra) -> Path:
    module = tmp_path / "counter.wasm"
    run([CLANG, *CLANG_ARGS, "-O2", "-mexec-model=reactor", *extra, TESTS / "components" /
         "counter.c", "-o", module])
    return module


def test_a_reactor_with_its_world_and_the_reactor_adapter_behaves_as_jcos(tmp_path):
    module = reactor_module(tmp_path)
    embedded = tmp_path / "embedded.wasm"
    run([WASMLINK, "component", "embed", TESTS / "components" / "counter.wit", module,
         "-o", embedded])
    ours, reference = tmp_path / "ours.wasm", tmp_path / "jco.wasm"
    run([WASMLINK, "component", "new", embedded, "--adapt",
         f"wasi_snapshot_preview1={REACTOR}", "-o", ours])
    run([JCO, "new", embedded, "--wasi-reactor", "-o", reference])
    expected = ([2, 42, "total: 42"], "bumped by 2 to 2\nbumped by 40 to 42\n")
    assert run_counter(ours) == run_counter(reference) == expected


def test_wit_to_running_component_with_wasmlink_alone(tmp_path):
    """embed --object, link with wasmlink ld (through clang), component new, run."""
    obj = tmp_path / "counter_component_type.o"
    run([WASMLINK, "component", "embed", TESTS / "components" / "counter.wit", "--object", obj])
    module = tmp_path / "counter.wasm"
    run([CLANG, *CLANG_ARGS, "-O2", "-mexec-model=reactor", "-DFORCE_LINK",
         f"-fuse-ld={WASMLINK_LD}", TESTS / "components" / "counter.c", obj, "-o", module])
    component = tmp_path / "counter.component.wasm"
    run([WASMLINK, "component", "new", module, "--adapt",
         f"wasi_snapshot_preview1={REACTOR}", "-o", component])
    assert run_counter(component) == ([2, 42, "total: 42"],
                                      "bumped by 2 to 2\nbumped by 40 to 42\n")


def test_an_import_the_adapter_does_not_export_is_named(tmp_path):
    (tmp_path / "m.c").write_text('__attribute__((import_module("wasi_snapshot_preview1"), '
                                  'import_name("no_such_call"))) int no_such_call(void);\n'
                                  'int main(void) { return no_such_call(); }\n')
    module = tmp_path / "m.wasm"
    run([CLANG, *CLANG_ARGS, tmp_path / "m.c", "-o", module])
    proc = subprocess.run([WASMLINK, "component", "new", module, "--adapt", COMMAND, "-o",
                           tmp_path / "out.wasm"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "module imports `wasi_snapshot_preview1` `no_such_call`, which adapter " \
           "`wasi_snapshot_preview1` does not export" in proc.stderr


def test_a_module_carrying_two_worlds_gets_their_union(tmp_path):
    """Two bindings objects in one link leave two component-type sections; `component new`
    merges them: the counter world's exports and a second world's import and export."""
    (tmp_path / "extra.wit").write_text(
        "package my:extra@0.1.0;\n\nworld extra {\n  import tick: func() -> u32;\n"
        "  export ticks: func() -> u32;\n}\n")
    (tmp_path / "extra.c").write_text(
        '__attribute__((import_module("$root"), import_name("tick"))) unsigned tick(void);\n'
        '__attribute__((export_name("ticks"))) unsigned ticks(void) { return tick() + tick(); }\n')
    objects = []
    for wit, name in ((TESTS / "components" / "counter.wit", "counter"),
                      (tmp_path / "extra.wit", "extra")):
        obj = tmp_path / f"{name}_component_type.o"
        run([WASMLINK, "component", "embed", wit, "--object", obj])
        objects.append(obj)
    module = tmp_path / "both.wasm"
    run([CLANG, *CLANG_ARGS, "-O2", "-mexec-model=reactor", f"-fuse-ld={WASMLINK_LD}",
         TESTS / "components" / "counter.c", tmp_path / "extra.c", *objects, "-o", module])
    component = tmp_path / "both.component.wasm"
    run([WASMLINK, "component", "new", module, "--adapt", f"wasi_snapshot_preview1={REACTOR}",
         "-o", component])
    store, out = wasi_store()
    linker = wc.Linker(ENGINE)
    linker.add_wasip2()
    with linker.root() as root:
        root.add_func("tick", lambda _: 20)
    instance = linker.instantiate(store, wc.Component.from_file(ENGINE, str(component)))
    ticks = instance.get_func(store, "ticks")
    assert ticks(store) == 40
    bump = instance.get_func(store, "bump")
    assert bump(store, 5) == 5
