"""Printing resolved WIT in wasm-tools' canonical layout.

Every `wit-component/tests/interfaces` case is resolved and printed; the text must equal its
`*.wit.print`. The WASI packages jco ships must print to a fixpoint: print, re-parse, print
again gives the same text (ids can differ after a round trip because the printer moves resource
methods next to their resource, as wasm-tools' printer does).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from wasmlink.wit import Resolve, parse_wit, print_package, resolve_to_json

INTERFACES = Path("/work/shared/conformance/wasm-tools/crates/wit-component/tests/interfaces")
JCO_WIT = Path("/work/main/.deps/node_modules/@bytecodealliance/jco/lib/wit/builtin")


def _cases():
    cases = []
    for entry in sorted(INTERFACES.iterdir()):
        if entry.suffix == ".wit" and entry.is_file():
            cases.append((entry, Path(str(entry) + ".print")))
        elif entry.is_dir():
            prints = sorted(entry.glob("*.wit.print"))
            if prints:
                cases.append((entry, prints[0]))
    return cases


@pytest.mark.parametrize("inp,expected", _cases(), ids=lambda p: p.name)
def test_interfaces_case_prints_like_wasm_tools(inp, expected):
    r = Resolve()
    pid = r.push_path(inp)
    assert print_package(r, pid) == expected.read_text()


@pytest.mark.parametrize("inp,expected", _cases(), ids=lambda p: p.name)
def test_printed_form_reparses_to_the_same_resolution(inp, expected):
    r = Resolve()
    pid = r.push_path(inp)
    if len(r.packages) != 1:
        pytest.skip("has dependencies; covered by the WASI round trip")
    text = print_package(r, pid)
    again, again_pid = parse_wit(text)
    assert print_package(again, again_pid) == text
    assert resolve_to_json(parse_wit(print_package(again, again_pid))[0]) == \
        resolve_to_json(again)


def test_keywords_are_escaped():
    r, pid = parse_wit("package a:b;\ninterface %type { type %record = u8; }\n")
    assert print_package(r, pid) == ("package a:b;\n\ninterface %type {\n"
                                     "  type %record = u8;\n}\n\n")


def test_gates_and_docs_printed():
    r, pid = parse_wit("package a:b@1.0.0;\n/// hi\n@since(version = 1.0.0)\n"
                       "interface i {\n  @unstable(feature = x)\n  @deprecated(version = 1.0.0)\n"
                       "  f: func();\n}\n", features={"x"})
    assert print_package(r, pid) == (
        "package a:b@1.0.0;\n\n/// hi\n@since(version = 1.0.0)\ninterface i {\n"
        "  @unstable(feature = x)\n  @deprecated(version = 1.0.0)\n  f: func();\n}\n\n")


def _wasi_sets():
    return sorted(p for p in JCO_WIT.glob("0.*") if p.is_dir()) if JCO_WIT.exists() else []


def _print_all(r):
    return [(f"{p.name}.wit", print_package(r, i)) for i, p in enumerate(r.packages)]


@pytest.mark.parametrize("version_dir", _wasi_sets(), ids=lambda p: p.name)
def test_wasi_print_parse_print_is_a_fixpoint(version_dir):
    dirs = sorted(version_dir.glob("wasi-*"))
    first = Resolve(all_features=True)
    first.push_with_deps(dirs[0], dirs[1:])
    texts = _print_all(first)
    second = Resolve(all_features=True)
    second.push_texts(texts[0], texts[1:])
    third = Resolve(all_features=True)
    third.push_texts(*[_print_all(second)[0]], _print_all(second)[1:])
    assert sorted(_print_all(second)) == sorted(texts)
    assert resolve_to_json(third) == resolve_to_json(second)
