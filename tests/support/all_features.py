"""Validation past what this machine's Wasmtime can switch on. wit-component's own cases use
component model features (its harness validates with every feature on) that wasmtime-py 50's
Config has no property for; `validation_engine` (wasmlink.wrap.command) switches on through
the C API those its library has setters for (async stackful, more async builtins), which
leaves error-context, threading and 64-bit off. The `component new` and `component link`
runners validate with that engine first and, only where Wasmtime refuses a component for want
of a feature it could not switch on, with wasmparser, every feature on, through the wasm-tools
that jco-transpile carries (validate_all_features.mjs); `validate` says which validated it."""
from __future__ import annotations

import functools
import os
import re
import subprocess
import tempfile
from pathlib import Path

NODE_MODULES = Path(__file__).resolve().parents[2] / ".deps" / "node_modules"
SCRIPT = Path(__file__).with_name("validate_all_features.mjs")

# Wasmtime's (wasmparser's) refusals for want of a component model feature, as the whole last
# line of its error, by the feature's name in the C API (`..._component_model_<name>_set`):
# "`error-context.drop` requires the component model error-context feature", "synchronous
# `stream.read` requires the component model more async builtins feature", "requires the
# component model async stackful feature" (an async lift without a callback), "64-bit
# `context.get` requires the component model 64-bit feature", and context slot 1, which only
# the threading feature allows
_AT = r" \(at offset 0x[0-9a-f]+\)"
_BUILT_IN = r"(?:(?:synchronous |async |64-bit )?`[a-z0-9.-]+` )?"
FEATURE_REFUSALS = {
    "error_context": (
        re.compile(_BUILT_IN + r"requires the component model error-context feature" + _AT),),
    "async_stackful": (
        re.compile(_BUILT_IN + r"requires the component model async stackful feature" + _AT),),
    "more_async_builtins": (
        re.compile(_BUILT_IN + r"requires the component model more async builtins feature"
                   + _AT),),
    "threading": (
        re.compile(_BUILT_IN + r"requires the component model threading feature" + _AT),
        re.compile(r"`context\.(?:get|set)` immediate must be zero: 1" + _AT)),
    "cm64": (
        re.compile(_BUILT_IN + r"requires the component model 64-bit feature" + _AT),
        re.compile(r"(?:64-bit memories|resources with `i64`) require the `cm64` feature to "
                   r"be enabled" + _AT)),
}


@functools.cache
def features_wasmtime_has() -> frozenset[str]:
    """The FEATURE_REFUSALS features validation_engine switches on here (through the C API)."""
    import wasmtime
    from wasmlink.wrap.command import enable_c_api_features
    return frozenset(enable_c_api_features(wasmtime.Config()))


def refused_feature(error: str) -> str | None:
    """The feature Wasmtime's error ``error`` (its whole text) says a component wants, if it
    says only that (one of FEATURE_REFUSALS), else None."""
    last = error.strip().splitlines()[-1].strip() if error.strip() else ""
    return next((feature for feature, patterns in FEATURE_REFUSALS.items()
                 if any(p.fullmatch(last) for p in patterns)), None)


def is_feature_refusal(error: str) -> bool:
    """Is Wasmtime's error ``error`` a refusal for want of a feature this Wasmtime cannot
    switch on? (One it has on cannot be the reason: that refusal stands, no fallback.)"""
    feature = refused_feature(error)
    return feature is not None and feature not in features_wasmtime_has()


def validate_all_features(component: bytes) -> str | None:
    """None if wasmparser with every feature on accepts ``component`` (jco's wasm-tools, which
    scripts/install-test-deps puts in .deps/), else why not (its last line)."""
    if not (NODE_MODULES / "@bytecodealliance" / "jco-transpile").is_dir():
        return "jco is missing (run scripts/install-test-deps)"
    with tempfile.NamedTemporaryFile(suffix=".wasm") as f:
        f.write(component)
        f.flush()
        proc = subprocess.run(["node", str(SCRIPT), f.name], capture_output=True, text=True,
                              env={**os.environ, "JCO_MODULES": str(NODE_MODULES)})
    return None if proc.returncode == 0 else (proc.stderr.strip() or "node failed")


def validate(component: bytes) -> tuple[str | None, str]:
    """(why ``component`` is invalid, or None; what validated it): Wasmtime, every feature on
    that it can switch on, or where it refuses ``component`` only for want of a feature it
    cannot, wasmparser with every feature on ("wasmparser, as Wasmtime here says: <refusal>",
    which names the feature: the runners print it, so their output lists the cases that still
    need the fallback)."""
    from wasmtime import component as wasmtime_component
    from wasmlink.wrap.command import validation_engine
    try:
        wasmtime_component.Component(validation_engine(), component)
        return None, "Wasmtime"
    except Exception as e:            # wasmtime raises its own error types
        refusal = str(e).strip().splitlines()[-1].strip()
    if not is_feature_refusal(refusal):
        return refusal, "Wasmtime"
    return validate_all_features(component), f"wasmparser, as Wasmtime here says: {refusal}"
