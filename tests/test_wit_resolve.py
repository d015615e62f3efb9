"""WIT resolution against wit-parser's ui corpus (its resolved JSON), plus hand-written cases.

Each ui case is resolved with the feature `active` enabled (as wit-parser's test runner does)
and rendered with wasmlink.wit.json; the text must equal the expected `*.wit.json` exactly,
which checks every id, the order of arenas and the order of world imports/exports.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from wasmlink.wit import Resolve, WitError, parse_wit, resolve_to_json
from wasmlink.wit import model as m

UI = Path("/work/shared/conformance/wasm-tools/crates/wit-parser/tests/ui")
JCO_WIT = Path("/work/main/.deps/node_modules/@bytecodealliance/jco/lib/wit/builtin")

KNOWN_FAILURES = {
    "kinds-of-deps": "its deps/ holds wasm-encoded packages (d.wat, e.wasm): no binary WIT "
                     "decoding yet",
    "multi-package-gated-include.wit": "stability merging of interfaces reached through two "
                                       "`include`s (wit-parser's merge_include_stability) not "
                                       "implemented",
}


def _ui_cases():
    cases = []
    for expected in sorted(UI.glob("*.wit.json")):
        base = expected.with_name(expected.name[: -len(".json")])
        inp = base if base.exists() else base.with_name(base.name[: -len(".wit")])
        if inp.exists() and inp.suffix != ".wat":
            cases.append((inp, expected))
    return cases


@pytest.mark.parametrize("inp,expected", _ui_cases(), ids=lambda x: x.name)
def test_ui_case_matches_wit_parser_json(inp, expected):
    if inp.name in KNOWN_FAILURES:
        pytest.xfail(KNOWN_FAILURES[inp.name])
    resolve = Resolve(features={"active"})
    resolve.push_path(inp)
    got = json.dumps(resolve_to_json(resolve), indent=2)
    assert got == json.dumps(json.loads(expected.read_text()), indent=2)


# -- the model -------------------------------------------------------------------------------

SRC = """package a:b@1.0.0;
interface types {
  resource file { read: func(n: u32) -> list<u8>; }
  record stat { size: u64, name: string }
}
interface fs {
  use types.{file, stat as info};
  open: func(path: string) -> result<file, string>;
}
world w {
  export fs;
}
"""


def test_type_model_uses_ids_and_primitive_names():
    r, pid = parse_wit(SRC)
    types = r.interfaces[r.packages[pid].interfaces["types"]]
    stat = r.types[types.types["stat"]]
    assert stat.kind == m.Record([m.Field("size", "u64"), m.Field("name", "string")])
    assert stat.owner == ("interface", r.packages[pid].interfaces["types"])


def test_use_is_an_alias_owned_by_the_using_interface():
    r, pid = parse_wit(SRC)
    fs_id = r.packages[pid].interfaces["fs"]
    info = r.types[r.interfaces[fs_id].types["info"]]
    assert (info.name, info.owner, r.types[info.kind.type].name) == ("info", ("interface", fs_id),
                                                                     "stat")


def test_resource_reference_becomes_own_handle():
    r, pid = parse_wit(SRC)
    fs = r.interfaces[r.packages[pid].interfaces["fs"]]
    result = r.types[fs.functions["open"].result].kind
    handle = r.types[result.ok].kind
    assert handle == m.Handle("own", fs.types["file"])


def test_method_gets_borrowed_self():
    r, pid = parse_wit(SRC)
    types = r.interfaces[r.packages[pid].interfaces["types"]]
    read = types.functions["[method]file.read"]
    assert (read.kind, read.resource, r.types[read.params[0][1]].kind) == (
        "method", types.types["file"], m.Handle("borrow", types.types["file"]))


def test_export_elaborates_import_of_used_interface():
    r, pid = parse_wit(SRC)
    world = r.worlds[r.packages[pid].worlds["w"]]
    ids = r.packages[pid].interfaces
    assert (list(world.imports), list(world.exports)) == ([ids["types"]], [ids["fs"]])


def test_include_with_renames_plain_names():
    r, pid = parse_wit("package a:b;\nworld one { import a: func(); }\n"
                       "world two { import a: func(); include one with { a as b } }\n")
    world = r.worlds[r.packages[pid].worlds["two"]]
    assert [(k, v.func.name) for k, v in world.imports.items()] == [("a", "a"), ("b", "b")]


def test_unstable_item_excluded_unless_feature_enabled():
    src = "package a:b;\ninterface i { @unstable(feature = x) f: func(); g: func(); }\n"
    off, pid = parse_wit(src)
    on, _ = parse_wit(src, features={"x"})
    assert list(off.interfaces[0].functions) == ["g"]
    assert list(on.interfaces[0].functions) == ["f", "g"]


def test_all_features_enables_every_gate():
    r, _ = parse_wit("package a:b;\ninterface i { @unstable(feature = x) f: func(); }\n",
                     all_features=True)
    assert list(r.interfaces[0].functions) == ["f"]


# -- errors ----------------------------------------------------------------------------------

def _error(src: str) -> str:
    with pytest.raises(WitError) as info:
        parse_wit(src, path="t.wit")
    return str(info.value)


def test_unknown_type_error():
    assert _error("package a:b;\ninterface i {\n  f: func(x: nope);\n}\n") == \
        "t.wit:3:14: name `nope` is not defined"


def test_duplicate_name_error():
    assert _error("package a:b;\ninterface i {\n  type t = u8;\n  type t = u8;\n}\n") == \
        "t.wit:4:8: name `t` is defined more than once"


def test_interface_cycle_error():
    assert _error("package a:b;\ninterface x { use y.{t}; }\ninterface y { use x.{t}; }\n") == \
        "t.wit:3:11: interface or world `y` depends on itself"


def test_type_cycle_error():
    assert _error("package a:b;\ninterface i {\n  type a = b;\n  type b = a;\n}\n") == \
        "t.wit:3:12: type `b` depends on itself"


def test_unknown_package_error():
    assert _error("package a:b;\ninterface i { use x:y/z.{t}; }\n") == \
        "t.wit:2:19: package 'x:y' not found. known packages: a:b"


def test_use_of_missing_name_error():
    assert _error("package a:b;\ninterface i {}\ninterface j { use i.{t}; }\n") == \
        "t.wit:3:22: name `t` is not defined"


def test_reference_to_gated_type_error():
    assert _error("package a:b;\ninterface i {\n  @unstable(feature = x)\n  type t = u8;\n"
                  "  type u = t;\n}\n") == \
        ("t.wit:5:8: found a reference to a type which is excluded due to its feature not "
         "being activated")


def test_errors_in_directories_name_the_file(tmp_path):
    (tmp_path / "a.wit").write_text("package a:b;\n")
    (tmp_path / "b.wit").write_text("interface i {\n  f: func() -> nope;\n}\n")
    with pytest.raises(WitError) as info:
        Resolve().push_path(tmp_path)
    assert info.value.location == f"{tmp_path / 'b.wit'}:2:16"


def test_directory_with_deps(tmp_path):
    (tmp_path / "main.wit").write_text("package a:b;\nworld w { import x:y/i; }\n")
    (tmp_path / "deps").mkdir()
    (tmp_path / "deps" / "y.wit").write_text("package x:y;\ninterface i { type t = u8; }\n")
    r = Resolve()
    pid = r.push_path(tmp_path)
    assert ([str(p.name) for p in r.packages], str(r.packages[pid].name)) == (["x:y", "a:b"],
                                                                              "a:b")


# -- the WASI packages jco ships --------------------------------------------------------------

def _wasi_sets():
    return sorted(p for p in JCO_WIT.glob("0.*") if p.is_dir()) if JCO_WIT.exists() else []


@pytest.mark.parametrize("version_dir", _wasi_sets(), ids=lambda p: p.name)
def test_wasi_packages_resolve(version_dir):
    dirs = sorted(version_dir.glob("wasi-*"))
    r = Resolve(all_features=True)
    r.push_with_deps(dirs[0], dirs[1:])
    names = {str(p.name).split("@")[0] for p in r.packages}
    assert {f"wasi:{d.name[len('wasi-'):]}" for d in dirs} <= names
