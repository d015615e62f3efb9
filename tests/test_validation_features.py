"""Validation of what `component new` and `component link` write (validate_component in
wasmlink.wrap.command) switches on, through Wasmtime's C API, the component model features
wasmtime-py 50's Config has no property for: a component with an async lift without a callback
(async stackful) or a synchronous `future.read` (more async builtins) validates in Wasmtime
itself, where a plain Config refuses it; one broken past those is still refused; and where the
setters or the Config's pointer are missing (another wasmtime-py), nothing is switched on."""
import re

import pytest

from component_new.runner import build_case
from wasmlink.errors import LinkError
from wasmlink.wrap import command

# wit-component cases each using one such feature, and a plain Config's refusal of them
CASES = [
    ("async-export", "requires the component model async stackful feature (at offset 0x17a)"),
    ("async-unit-builtins", "synchronous `future.read` requires the component model more "
                            "async builtins feature (at offset 0x576)"),
]


def plain_config_refusal(component: bytes) -> str:
    import wasmtime
    from wasmtime import component as wasmtime_component
    with pytest.raises(wasmtime.WasmtimeError) as refused:
        wasmtime_component.Component(wasmtime.Engine(wasmtime.Config()), component)
    return str(refused.value).strip().splitlines()[-1].strip()


def with_alias_of_a_missing_instance(component: bytes) -> bytes:
    """``component`` with an alias section appended: a function of core instance 9999, which
    does not exist."""
    from wasmlink.component import model as m
    from wasmlink.component.decode import decode_component
    from wasmlink.component.encode import encode_component
    sections = decode_component(component).sections
    alias = m.AliasSection(items=(m.AliasCoreExport(sort="core func", instance=9999, name="f"),))
    return encode_component(m.Component((*sections, alias)))


@pytest.mark.parametrize("case, refusal", CASES)
def test_a_component_using_a_feature_only_the_c_api_switches_on_validates(case, refusal):
    component = build_case(case)
    assert plain_config_refusal(component) == refusal
    command.validate_component(component, "out.wasm")      # LinkError if Wasmtime refuses


@pytest.mark.parametrize("case, refusal", CASES)
def test_a_component_broken_past_those_features_is_still_refused(case, refusal):
    broken = with_alias_of_a_missing_instance(build_case(case))
    assert plain_config_refusal(broken) == refusal          # the break lies past the feature
    with pytest.raises(LinkError) as refused:
        command.validate_component(broken, "out.wasm")
    assert re.fullmatch(
        r"out\.wasm: the component does not validate \(a wasmlink bug, please report it\): "
        r"unknown core instance 9999: instance index out of bounds \(at offset 0x[0-9a-f]+\)",
        str(refused.value))


def test_the_setters_wasmtime_py_50s_library_has_are_switched_on():
    import wasmtime
    assert command.enable_c_api_features(wasmtime.Config()) == (
        "async", "async_stackful", "more_async_builtins", "accessors", "canonical_names")


def test_a_setter_missing_from_the_library_is_left_out(monkeypatch):
    monkeypatch.setattr(command, "C_API_COMPONENT_MODEL_FEATURES",
                        ("async_stackful", "no_such_feature"))
    assert list(command.component_model_setters()) == ["async_stackful"]


def test_a_config_without_a_pointer_switches_nothing_on():
    class OtherConfig:              # a wasmtime-py whose Config keeps its pointer otherwise
        pass
    assert command.enable_c_api_features(OtherConfig()) == ()
