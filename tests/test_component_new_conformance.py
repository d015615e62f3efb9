"""wit-component's own `component new` cases (../shared/conformance/wasm-tools, run by
tests/component_new/runner.py): every case listed in tests/component_new/wasmlink-passing.txt
must keep passing — a component that validates in Wasmtime (in wasmparser with all features
on, where only a feature wasmtime-py cannot enable stops Wasmtime) and whose world prints as
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


def test_what_wasmtime_cannot_validate_for_want_of_a_feature_wasmparser_still_checks():
    # async-builtins drops an error context: Wasmtime refuses it for want of a feature
    # wasmtime-py cannot enable (not even through the C API), so the runner has wasmparser
    # (all features) validate it; the same component broken past that built-in (the last lift
    # naming a type that does not exist) must still be refused
    from component_new.runner import build_case
    from support.all_features import validate
    from wasmlink.component import model as m
    from wasmlink.component.decode import decode_component
    from wasmlink.component.encode import encode_component
    good = build_case("async-builtins")
    assert validate(good) == (None, "wasmparser, as Wasmtime here says: `error-context.drop` "
                                    "requires the component model error-context feature (at "
                                    "offset 0x68e)")
    decoded = decode_component(good)
    last = max(n for n, s in enumerate(decoded.sections) if isinstance(s, m.CanonSection)
               and any(isinstance(i, m.Lift) for i in s.items))
    sections = list(decoded.sections)
    sections[last] = sections[last]._replace(items=tuple(
        i._replace(type=9999) if isinstance(i, m.Lift) else i for i in sections[last].items))
    invalid, validator = validate(encode_component(m.Component(tuple(sections))))
    assert invalid.startswith("unknown type 9999: type index out of bounds")
    assert validator.startswith("wasmparser")


@pytest.mark.parametrize("error, refusal", [
    ("failed to parse WebAssembly module\n\nCaused by:\n    `error-context.drop` requires the "
     "component model error-context feature (at offset 0x68e)\n", True),
    # a feature validation_engine switches on through the C API: its refusal stands
    ("Caused by:\n    synchronous `stream.read` requires the component model more async "
     "builtins feature (at offset 0x1ef9)", False),
    ("Caused by:\n    64-bit `context.get` requires the component model 64-bit feature "
     "(at offset 0xc0)", True),
    ("Caused by:\n    `context.get` immediate must be zero: 1 (at offset 0x3e8)", True),
    # slot 2 is invalid whatever the features; the async feature is one Wasmtime has on
    ("Caused by:\n    `context.get` immediate must be zero: 2 (at offset 0x3e8)", False),
    ("Caused by:\n    `stream.new` requires the component model async feature (at offset 0x9)",
     False),
    ("Caused by:\n    type mismatch: expected i32, found i64 (at offset 0x2d6)", False),
    ("Caused by:\n    `thread.new-indirect` requires the component model threading feature", False),
])
def test_only_wasmtimes_refusals_for_features_it_cannot_enable_fall_back(error, refusal):
    from support.all_features import is_feature_refusal
    assert is_feature_refusal(error) is refusal


def test_a_future_built_in_imports_its_type_not_the_function_it_is_named_after():
    # async-import-only-intrinsic imports only `[future-cancel-read-0][static]request.new` of
    # a:b/types: as wit-component's component.wat has it, the interface's instance type holds
    # the future's payload types (fields, trailers), not `request` or `[static]request.new`
    from component_new.runner import build_case
    from wasmlink.component import model as m
    from wasmlink.component.decode import decode_component
    decoded = decode_component(build_case("async-import-only-intrinsic"))
    instance_types = [t for s in decoded.sections if isinstance(s, m.TypeSection)
                      for t in s.items if isinstance(t, m.InstanceType)]
    assert [[d.name for d in t.decls if isinstance(d, m.ExportDecl)]
            for t in instance_types] == [["fields", "trailers"]]
