"""WIT lexing and parsing, and the errors of wit-parser's parse-fail corpus.

The parse-fail cases must raise WitError; where the expected output names a location
(``--> file:line:col``) ours must name the same one. Cases whose location differs are listed in
LOCATION_DIFFERS with the reason.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from wasmlink.errors import WasmlinkError
from wasmlink.wit import WitError, parse_wit
from wasmlink.wit.lexer import Source, tokenize
from wasmlink.wit.parser import parse_text
from wasmlink.wit.resolve import Resolve

CONF = Path("/work/shared/conformance/wasm-tools/crates")
UI = CONF / "wit-parser/tests/ui"
FAIL = UI / "parse-fail"
INTERFACES = CONF / "wit-component/tests/interfaces"


def _all_wit_files():
    roots = [UI, INTERFACES]
    files = []
    for root in roots:
        files += [p for p in sorted(root.rglob("*.wit")) if "parse-fail" not in p.parts]
    return files


def _fail_cases():
    cases = []
    for result in sorted(FAIL.glob("*.wit.result")):
        base = result.with_name(result.name[: -len(".result")])
        inp = base if base.exists() else base.with_name(base.name[: -len(".wit")])
        if inp.exists():
            cases.append(inp)
    return cases


LOCATION_DIFFERS = {
    "bad-gate-record-field.wit": "wit-parser points at the record field's type use, we point at "
                                 "the record name",
    "multiple-package-docs": "wit-parser points at the doc comment, we at the package name",
    "package-nesting-too-deep.wit": "no nesting-depth limit for `package` blocks: we reject the "
                                    "first nested block instead",
    "very-nested-packages.wit": "column of the inner `package` keyword vs its name",
}


@pytest.mark.parametrize("path", _all_wit_files(), ids=lambda p: str(p.relative_to(CONF)))
def test_conformance_file_parses(path):
    tree = parse_text(path.read_text(), str(path))
    assert tree.decls is not None


@pytest.mark.parametrize("path", _fail_cases(), ids=lambda p: p.name)
def test_parse_fail_case_raises(path):
    with pytest.raises(WitError):
        Resolve(features={"active"}).push_path(path)


@pytest.mark.parametrize("path", _fail_cases(), ids=lambda p: p.name)
def test_parse_fail_case_location(path):
    if path.name in LOCATION_DIFFERS:
        pytest.xfail(LOCATION_DIFFERS[path.name])
    expected = Path(str(path) + ("" if path.name.endswith(".wit") else ".wit") + ".result")
    want = re.search(r"--> tests/ui/parse-fail/(\S+):(\d+):(\d+)", expected.read_text())
    with pytest.raises(WitError) as info:
        Resolve(features={"active"}).push_path(path)
    if want is None:
        return
    err = info.value
    got = f"{Path(err.path).relative_to(FAIL)}:{err.line}:{err.column}"
    assert got == f"{want.group(1)}:{want.group(2)}:{want.group(3)}"


# -- lexer -----------------------------------------------------------------------------------

def test_tokens_carry_line_and_column():
    src = Source("a.wit", "package a:b;\n  interface foo {}\n")
    toks = tokenize(src)
    iface = next(t for t in toks if t.kind == "interface")
    assert src.line_col(iface.start) == (2, 3)


def test_percent_escapes_keyword_as_identifier():
    toks = tokenize(Source("a.wit", "%interface interface"))
    assert [(t.kind, t.text, t.explicit) for t in toks[:2]] == [
        ("id", "interface", True), ("interface", "interface", False)]


def test_comments_attach_to_next_token():
    toks = tokenize(Source("a.wit", "/// doc\n/** block */ type"))
    assert toks[0].comments == ["/// doc", "/** block */"]


def test_block_comments_nest():
    toks = tokenize(Source("a.wit", "/* a /* b */ c */ type"))
    assert [t.kind for t in toks] == ["type", "eof"]


def test_unterminated_block_comment_names_its_start():
    with pytest.raises(WitError) as info:
        tokenize(Source("a.wit", "type\n  /* never closed"))
    assert info.value.location == "a.wit:2:3"


@pytest.mark.parametrize("name", ["foo", "foo-bar", "XML", "parse-XML-document", "a1-b2"])
def test_kebab_identifiers_accepted(name):
    parse_text(f"package a:b;\ninterface {name} {{}}\n")


@pytest.mark.parametrize("name", ["Foo", "foo--bar", "foo-1x", "fooBar"])
def test_non_kebab_identifiers_rejected_with_location(name):
    with pytest.raises(WitError) as info:
        parse_text(f"package a:b;\ninterface {name} {{}}\n", "k.wit")
    assert info.value.location == "k.wit:2:11"


# -- grammar ---------------------------------------------------------------------------------

def test_nested_package_blocks():
    tree = parse_text("package a:b;\npackage c:d { interface i {} }\npackage e:f@1.0.0 {}\n")
    assert [str(n.decl.name) for n in tree.nested] == ["c:d", "e:f@1.0.0"]


def test_version_with_prerelease_and_build():
    tree = parse_text("package a:b@1.2.3-rc.1+build.5;\n")
    assert tree.package.name.version == "1.2.3-rc.1+build.5"


def test_use_path_with_version_before_names():
    tree = parse_text("package a:b;\ninterface i { use x:y/z@0.2.0.{t as u}; }\n")
    use = tree.decls.items[0].items[0]
    assert (str(use.path.package), use.path.name.name, use.names[0].as_.name) == (
        "x:y@0.2.0", "z", "u")


def test_result_forms():
    tree = parse_text("package a:b;\ninterface i {\n type a = result;\n type b = result<u8>;\n"
                      " type c = result<_, u8>;\n type d = result<u8, u16>;\n}\n")
    shapes = [[None if t is None else t.kind for t in d.ty.args] for d in tree.decls.items[0].items]
    assert shapes == [[None, None], ["u8", None], [None, "u8"], ["u8", "u16"]]


def test_fixed_size_list():
    tree = parse_text("package a:b;\ninterface i { type a = list<u8, 4>; }\n")
    ty = tree.decls.items[0].items[0].ty
    assert (ty.kind, ty.size) == ("fixed-length-list", 4)


def test_feature_gates_parsed():
    tree = parse_text("package a:b@1.0.0;\n@since(version = 1.0.0)\n@deprecated(version = 1.0.0)\n"
                      "interface i { @unstable(feature = fancy) f: func(); }\n")
    iface = tree.decls.items[0]
    assert [(a.kind, a.value) for a in iface.attrs] == [("since", "1.0.0"),
                                                        ("deprecated", "1.0.0")]
    assert [(a.kind, a.value) for a in iface.items[0].attrs] == [("unstable", "fancy")]


def test_world_items():
    tree = parse_text("package a:b;\nworld w {\n import x: func();\n export y: interface {}\n"
                      " import i;\n import p: i;\n include v with { a as b }\n}\n")
    kinds = [getattr(it, "extern", None) and it.extern.kind for it in tree.decls.items[0].items]
    assert kinds == ["func", "interface", "path", "implements", None]


def test_async_func():
    tree = parse_text("package a:b;\ninterface i { f: async func(); }\n")
    assert tree.decls.items[0].items[0].func.is_async


# -- error messages --------------------------------------------------------------------------

def test_error_names_file_line_column_and_expectation():
    with pytest.raises(WitError) as info:
        parse_wit("package a:b;\ninterface i {\n  f: func() -> list<u32;\n}\n", path="x.wit")
    assert str(info.value) == "x.wit:3:24: expected '>', found ';'"


def test_error_at_eof():
    with pytest.raises(WitError) as info:
        parse_wit("package a:b;\ninterface i {\n", path="x.wit")
    assert str(info.value) == ("x.wit:3:1: expected `type`, `resource`, `record`, `variant`, "
                               "`enum`, `flags`, `use` or a function, found eof")


def test_wit_error_is_a_wasmlink_error():
    assert issubclass(WitError, WasmlinkError)
