"""wit-component's own `component link` cases (../shared/conformance/wasm-tools, the `link*`
folders, run by tests/component_link/runner.py): every case listed in
tests/component_link/wasmlink-passing.txt must keep passing — a component that validates in
Wasmtime and whose world prints as wit-component's does, or wit-component's error."""
from pathlib import Path

import pytest

from component_link.runner import run_case

PASSING = [line.strip() for line in
           (Path(__file__).parent / "component_link" / "wasmlink-passing.txt").read_text().splitlines()
           if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("case", PASSING)
def test_a_wit_component_link_case_passes(case):
    ok, why = run_case(case)
    assert ok, why
