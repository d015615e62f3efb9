"""wit-component's own `component new` cases (../shared/conformance/wasm-tools, run by
tests/component_new/runner.py): every case listed in tests/component_new/wasmlink-passing.txt
must keep passing — a component that validates in Wasmtime and whose world prints as
wit-component's does (component.wit.print), or the error wit-component gives (error.txt)."""
from pathlib import Path

import pytest

from component_new.runner import run_case

PASSING = [line.strip() for line in
           (Path(__file__).parent / "component_new" / "wasmlink-passing.txt").read_text().splitlines()
           if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("case", PASSING)
def test_a_wit_component_case_passes(case):
    ok, why = run_case(case)
    assert ok, why
