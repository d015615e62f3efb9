"""Validation past what this machine's Wasmtime can switch on. wasmtime-py 50 has no knob for
the component model's async-stackful, error-context, "more async builtins", threading and
64-bit features, which wit-component's own cases use (its harness validates with every feature
on). The `component new` and `component link` runners validate with Wasmtime first and, only
where Wasmtime refuses a component for want of one of those features, with wasmparser, every
feature on, through the wasm-tools that jco-transpile carries (validate_all_features.mjs)."""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

NODE_MODULES = Path(__file__).resolve().parents[2] / ".deps" / "node_modules"
SCRIPT = Path(__file__).with_name("validate_all_features.mjs")

# Wasmtime's (wasmparser's) refusals for want of a feature wasmtime-py cannot enable, as the
# whole last line of its error: "`error-context.drop` requires the component model
# error-context feature", "synchronous `stream.read` requires the component model more async
# builtins feature", "requires the component model async stackful feature" (an async lift
# without a callback), "64-bit `context.get` requires the component model 64-bit feature",
# and context slot 1, which only the threading feature allows
_AT = r" \(at offset 0x[0-9a-f]+\)"
FEATURE_REFUSALS = (
    re.compile(r"(?:(?:synchronous |async |64-bit )?`[a-z0-9.-]+` )?requires the component "
               r"model (?:error-context|async stackful|more async builtins|threading|64-bit) "
               r"feature" + _AT),
    re.compile(r"`context\.(?:get|set)` immediate must be zero: 1" + _AT),
    re.compile(r"(?:64-bit memories|resources with `i64`) require the `cm64` feature to be "
               r"enabled" + _AT),
)


def is_feature_refusal(error: str) -> bool:
    """Is Wasmtime's error ``error`` (its whole text) one of FEATURE_REFUSALS?"""
    last = error.strip().splitlines()[-1].strip() if error.strip() else ""
    return any(p.fullmatch(last) for p in FEATURE_REFUSALS)


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
    """(why ``component`` is invalid, or None; what validated it): Wasmtime, or where Wasmtime
    refuses it only for want of a feature it cannot enable, wasmparser with every feature on."""
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
