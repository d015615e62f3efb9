"""lld's own wasm lit tests (../shared/conformance/lld-wasm), run by tests/lld/runner.py.

(a) With the real wasm-ld-22 as `wasm-ld`, every test of reference-pass-wasm-ld-22.txt passes:
    this checks the harness, not a linker.  (b) With wasmlink's linker as `wasm-ld`, every test
    of tests/lld/wasmlink-passing.txt passes: a regression guard, grown as `wasmlink ld` learns.
Each list is run once per session on a 2-worker pool; the parametrized tests read the results,
so `-k NAME` runs only the selected lit tests.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from lld.runner import (DATA_DIR, REFERENCE_LIST, WASMLINK_LIST, LitResult, available_features,
                        describe, evaluate, make_shim_dir, parse_test, read_list, run_test,
                        run_tests, select_tests, substitute)

REFERENCE_NAMES = read_list(REFERENCE_LIST)
WASMLINK_NAMES = read_list(WASMLINK_LIST)


def results_for(request, test_function: str, linker: str) -> dict[str, LitResult]:
    """Run, once, the lit tests that the session selected for `test_function`."""
    names = [item.callspec.params["name"] for item in request.session.items
             if getattr(item, "originalname", None) == test_function]
    return {r.name: r for r in run_tests(select_tests(names), linker=linker, jobs=2)}


@pytest.fixture(scope="module")
def reference_results(request) -> dict[str, LitResult]:
    return results_for(request, "test_reference_linker_passes", "reference")


@pytest.fixture(scope="module")
def wasmlink_results(request) -> dict[str, LitResult]:
    return results_for(request, "test_wasmlink_linker_passes", "wasmlink")


@pytest.mark.parametrize("name", REFERENCE_NAMES)
def test_reference_linker_passes(name, reference_results):
    result = reference_results[name]
    assert result.status == "pass", describe(result, verbose=True)


@pytest.mark.parametrize("name", WASMLINK_NAMES)
def test_wasmlink_linker_passes(name, wasmlink_results):
    result = wasmlink_results[name]
    assert result.status == "pass", describe(result, verbose=True)


def test_the_lists_name_real_tests():
    assert len(REFERENCE_NAMES) == 71
    for name in REFERENCE_NAMES + WASMLINK_NAMES:
        assert (DATA_DIR / name).is_file(), name


def test_a_linker_that_always_fails_passes_nothing():
    """No reference test passes without the linker: each one's verdict depends on wasm-ld."""
    results = run_tests(select_tests(["reference"]), linker="false", jobs=2)
    assert [r.name for r in results if r.passed] == []


# --- the harness's lit emulation, on small files of our own ---------------------------------

def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_run_lines_join_on_a_trailing_backslash(tmp_path):
    test = parse_test(write(tmp_path, "a.s", (
        "# RUN: llvm-mc %s \\\n"
        "# RUN:   -o %t.o\n"
        "; not a directive\n"
        "// RUN: wasm-ld %t.o\n"
        "# REQUIRES: x86, wasm\n"
        "# UNSUPPORTED: system-windows\n"
        "# END.\n"
        "# RUN: never\n")))
    assert [(r.line_number, r.command) for r in test.run_lines] == [
        (1, "llvm-mc %s    -o %t.o"), (4, "wasm-ld %t.o")]
    assert test.requires == ("x86", "wasm") and test.unsupported == ("system-windows",)


def test_substitutions_follow_lit(tmp_path):
    test = tmp_path / "dir" / "t.s"
    base = "/tmp/x/Output/t.s"
    line = substitute("%python %s %S %p/Inputs %t %t1.o %/t %T 100%% %{pathsep}", test, base)
    assert line.split() == [
        line.split()[0], str(test), str(test.parent), f"{test.parent}/Inputs", f"{base}.tmp",
        f"{base}.tmp1.o", f"{base}.tmp", "/tmp/x/Output", "100%", ":"]
    assert "python" in line.split()[0]
    with pytest.raises(ValueError, match="unsupported lit substitution"):
        substitute("echo %{nonesuch}", test, base)


def test_feature_expressions():
    features = frozenset({"x86", "wasm", "system-linux", "target=x86_64-pc-linux-gnu"})
    assert evaluate("x86 && wasm", features)
    assert not evaluate("x86 && !wasm", features)
    assert evaluate("arm || (wasm && !system-windows)", features)
    assert evaluate("target={{.*}}-linux{{.*}}", features)
    assert not evaluate("target={{.*}}-windows{{.*}}", features)
    assert {"x86", "wasm", "llvm-64-bits"} <= available_features()


def test_requires_xfail_and_not(tmp_path):
    """`not` inverts within a line; an unmet REQUIRES skips; XFAIL inverts the verdict."""
    shim = make_shim_dir("false", tmp_path / "shim")
    passing = write(tmp_path, "p.test", "# RUN: not wasm-ld 2>&1 | count 0\n# RUN: true\n")
    assert run_test(passing, shim).status == "pass"
    failing = write(tmp_path, "f.test", "# RUN: true\n# RUN: wasm-ld --version\n# RUN: true\n")
    result = run_test(failing, shim)
    assert (result.status, result.line_number, result.command) == ("fail", 2, "wasm-ld --version")
    assert run_test(write(tmp_path, "r.test", "# REQUIRES: nonesuch\n# RUN: false\n"),
                    shim).status == "unsupported"
    assert run_test(write(tmp_path, "x.test", "# XFAIL: *\n# RUN: false\n"), shim).passed
    assert run_test(write(tmp_path, "w.test", "# RUN: cd %T && touch %t && test -e %t\n"),
                    shim).status == "pass"
