"""wit-component's own `component link` cases (../shared/conformance/wasm-tools, the `link*`
folders, run by tests/component_link/runner.py): every case listed in
tests/component_link/wasmlink-passing.txt must keep passing — a component that validates in
Wasmtime (in wasmparser with all features on, where only a feature wasmtime-py cannot enable,
such as threading, stops Wasmtime) and whose world prints as wit-component's does, or
wit-component's error."""
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


def test_what_wasmtime_cannot_validate_for_want_of_threading_wasmparser_still_checks():
    # link-wasip3-tls spawns threads: Wasmtime refuses its built-ins for want of a feature
    # wasmtime-py cannot enable, so the runner has wasmparser (all features) validate it; a
    # component broken past those built-ins (thread.new-indirect naming a table that does not
    # exist) must still be refused
    import wasmtime
    from wasmtime import component as wc
    from component_link.runner import CASES, library
    from support.all_features import is_feature_refusal, validate_all_features
    from wasmlink.component import model as m
    from wasmlink.component.decode import decode_component
    from wasmlink.component.encode import encode_component
    from wasmlink.wrap.command import validation_engine
    from wasmlink.wrap.link import link_component
    case = CASES / "link-wasip3-tls"
    good = link_component([(wat.stem[len("lib-"):], library(case, wat), str(wat))
                           for wat in sorted(case.glob("lib-*.wat"))])
    assert validate_all_features(good) is None

    def broken_table(item):
        if isinstance(item, m.CanonBuiltin) and item.opcode == 0x27:    # thread.new-indirect
            return item._replace(immediates=(item.immediates[0], 99))
        return item
    decoded = decode_component(good)
    bad = encode_component(m.Component(tuple(
        s._replace(items=tuple(broken_table(i) for i in s.items))
        if isinstance(s, m.CanonSection) else s for s in decoded.sections)))
    with pytest.raises(wasmtime.WasmtimeError) as refused:
        wc.Component(validation_engine(), bad)
    assert is_feature_refusal(str(refused.value))
    assert "table" in validate_all_features(bad)
