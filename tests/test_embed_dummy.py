"""`component embed --dummy` (wasmlink.embed.dummy over wasmlink.wit.core_names): a module with
exactly the core imports and exports a world asks for. jco writes the same module with the
standard (cm32p2) names: the import and export lists (names, kinds, core signatures, order)
must be the same; legacy names are checked against wit-component's conformance inputs."""
import re
from pathlib import Path

import pytest

from conftest import CONFORMANCE, CONFORMANCE_CASES, JCO_CANNOT_EMBED
from wasmlink.binary.module import Module
from wasmlink.embed.dummy import dummy_module
from wasmlink.wit.core_names import core_items, short_version
from wasmlink.wit.resolve import Resolve

wasmtime = pytest.importorskip("wasmtime")
ENGINE = wasmtime.Engine()


def interface(data: bytes):
    """(imports, exports) of a module as (module, name, type text) / (name, type text)."""
    m = wasmtime.Module(ENGINE, data)
    return ([(i.module, i.name, str(i.type)) for i in m.imports],
            [(e.name, str(e.type)) for e in m.exports])


def signature_text(extern) -> str:
    t = extern
    if isinstance(t, wasmtime.FuncType):
        return f"{[str(p) for p in t.params]}->{[str(r) for r in t.results]}"
    return type(t).__name__


def ours(wit, world, scheme="standard"):
    resolve = Resolve()
    package = resolve.push_path(wit)
    return dummy_module(resolve, resolve.select_world(package, world), scheme)


def described(data: bytes):
    m = wasmtime.Module(ENGINE, data)
    return ([(i.module, i.name, signature_text(i.type)) for i in m.imports],
            [(e.name, signature_text(e.type)) for e in m.exports])


@pytest.mark.parametrize("case", [c for c in CONFORMANCE_CASES if c not in JCO_CANNOT_EMBED])
def test_the_dummy_module_has_jcos_imports_and_exports(jco_worlds, case):
    wit, world, out = jco_worlds[case, "utf8"]
    assert described(ours(wit, world)) == described(out.read_bytes())


def test_the_dummy_of_the_wasi_command_world_has_jcos_imports_and_exports(jco_worlds):
    wit, world, out = jco_worlds["wasi:cli/command", "utf8"]
    assert described(ours(wit, world)) == described(out.read_bytes())


@pytest.mark.parametrize("version, short", [
    ("a:b/c@1.2.3", "a:b/c@1"), ("a:b/c@0.2.1", "a:b/c@0.2"), ("a:b/c@0.0.3", "a:b/c@0.0.3"),
    ("a:b/c@1.0.0-rc.1", "a:b/c@1.0.0-rc.1"), ("a:b/c", "a:b/c")])
def test_standard_names_keep_the_semver_compatible_part_of_versions(version, short):
    assert short_version(version) == short


LEGACY_CASES = ["export-resource", "import-resource-in-interface", "post-return", "exports",
                "imports", "lower-options", "lift-options"]


@pytest.mark.parametrize("case", LEGACY_CASES)
def test_legacy_names_are_those_of_wit_components_test_modules(case):
    """Each name a conformance module.wat imports or exports is one the world defines."""
    text = (CONFORMANCE / "components" / case / "module.wat").read_text()
    data = wasmtime.wat2wasm(text)
    module = Module(data, 0, len(data))
    resolve = Resolve()
    package = resolve.push_path(CONFORMANCE / "components" / case / "module.wit")
    items = core_items(resolve, resolve.select_world(package), "legacy")
    expected_imports = {(i.module, i.name) for i in items if i.direction == "import"}
    expected_exports = {i.name for i in items if i.direction == "export"}
    for imp in module.imports:
        assert (imp.module, imp.name) in expected_imports, (imp.module, imp.name)
    for exp in module.exports:
        assert exp.name in expected_exports, exp.name


def test_the_legacy_dummy_is_a_valid_module_naming_root_functions_under_root(tmp_path):
    resolve = Resolve()
    package = resolve.push_str("package a:b;\nworld w {\n  import log: func(m: string);\n"
                               "  export run: func() -> string;\n}\n", "w.wit")
    imports, exports = described(dummy_module(resolve, resolve.select_world(package), "legacy"))
    assert imports == [("$root", "log", "['i32', 'i32']->[]")]
    assert exports == [("run", "[]->['i32']"), ("cabi_post_run", "['i32']->[]"),
                       ("memory", "MemoryType"), ("cabi_realloc", "['i32', 'i32', 'i32', 'i32']->['i32']"),
                       ("_initialize", "[]->[]")]
