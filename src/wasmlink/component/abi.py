"""The Canonical ABI's static part (CanonicalABI.md): how component-level value types are laid
out in linear memory and flattened into core wasm values, which core signature a lifted or
lowered function has, and which canonical options (memory, realloc, string encoding,
post-return) a function needs.

`component new` and `component embed --dummy` use it to check a module's imports and exports
against a world and to write the `canon lift`/`canon lower` options; `component link` to type
the functions it forwards. The dynamic part (lifting and lowering values) is the runtime's.

Types come in as *shapes*, a small structural vocabulary independent of where the type came
from (a WIT document or a component binary; each has a converter to shapes):

- a primitive name: ``"bool"``, ``"s8"`` ... ``"u64"``, ``"f32"``, ``"f64"``, ``"char"``,
  ``"string"``, ``"error-context"``;
- ``("list", elem, length)`` (``length`` None for a variable-length list), ``("map", k, v)``;
- ``("record", (t, ...))`` (also tuples), ``("variant", (t or None, ...))`` (also enums, options
  and results: despecialised as CanonicalABI.md does), ``("flags", count)``;
- ``("own",)``, ``("borrow",)``, ``("stream",)``, ``("future",)`` (handles: one i32).

Names follow the spec's Python definitions; the comments say where wit-component adds rules.
"""
from __future__ import annotations

from typing import NamedTuple

MAX_FLAT_PARAMS = 16
MAX_FLAT_ASYNC_PARAMS = 4
MAX_FLAT_RESULTS = 1

PRIMITIVE_SIZES = {"bool": 1, "s8": 1, "u8": 1, "s16": 2, "u16": 2, "s32": 4, "u32": 4,
                   "s64": 8, "u64": 8, "f32": 4, "f64": 8, "char": 4, "error-context": 4}
PRIMITIVE_FLAT = {"bool": "i32", "s8": "i32", "u8": "i32", "s16": "i32", "u16": "i32",
                  "s32": "i32", "u32": "i32", "s64": "i64", "u64": "i64", "f32": "f32",
                  "f64": "f64", "char": "i32", "error-context": "i32"}
HANDLES = ("own", "borrow", "stream", "future")


class CoreSignature(NamedTuple):
    params: tuple[str, ...]        # core value types: "i32", "i64", "f32", "f64"
    results: tuple[str, ...]
    params_indirect: bool          # the parameters went to memory (one pointer)
    results_indirect: bool         # the results went to memory (a returned or passed pointer)


class CanonOptions(NamedTuple):
    """Which canonical options a lifted or lowered function needs."""
    memory: bool
    realloc: bool
    string_encoding: bool          # wit-component writes it whenever strings are involved
    post_return: bool              # (lift only) results that point into memory


def ptr_size(ptr: str) -> int:
    return 8 if ptr == "i64" else 4


def _kind(t):
    return t if isinstance(t, str) else t[0]


def despecialize(t):
    """Maps become lists of (key, value) records; other shapes already are despecialised."""
    if not isinstance(t, str) and t[0] == "map":
        return ("list", ("record", (t[1], t[2])), None)
    return t


def discriminant_size(cases: int) -> int:
    if cases <= 1 << 8:
        return 1
    if cases <= 1 << 16:
        return 2
    return 4


def _flags_size(count: int) -> int:
    if count <= 8:
        return 1
    if count <= 16:
        return 2
    return 4


def alignment(t, ptr: str = "i32") -> int:
    t = despecialize(t)
    kind = _kind(t)
    if kind in PRIMITIVE_SIZES:
        return PRIMITIVE_SIZES[kind]
    if kind == "string":
        return ptr_size(ptr)
    if kind == "list":
        return alignment(t[1], ptr) if t[2] is not None else ptr_size(ptr)
    if kind == "record":
        return max((alignment(f, ptr) for f in t[1]), default=1)
    if kind == "variant":
        return max(discriminant_size(len(t[1])), _max_case_alignment(t[1], ptr))
    if kind == "flags":
        return _flags_size(t[1])
    if kind in HANDLES:
        return 4
    raise ValueError(f"not a value type shape: {t!r}")


def _max_case_alignment(cases, ptr: str) -> int:
    return max((alignment(c, ptr) for c in cases if c is not None), default=1)


def align_to(offset: int, align: int) -> int:
    return -(-offset // align) * align


def elem_size(t, ptr: str = "i32") -> int:
    t = despecialize(t)
    kind = _kind(t)
    if kind in PRIMITIVE_SIZES:
        return PRIMITIVE_SIZES[kind]
    if kind == "string":
        return 2 * ptr_size(ptr)
    if kind == "list":
        return t[2] * elem_size(t[1], ptr) if t[2] is not None else 2 * ptr_size(ptr)
    if kind == "record":
        size = 0
        for f in t[1]:
            size = align_to(size, alignment(f, ptr)) + elem_size(f, ptr)
        return align_to(size, alignment(t, ptr))
    if kind == "variant":
        size = align_to(discriminant_size(len(t[1])), _max_case_alignment(t[1], ptr))
        size += max((elem_size(c, ptr) for c in t[1] if c is not None), default=0)
        return align_to(size, alignment(t, ptr))
    if kind == "flags":
        return _flags_size(t[1])
    if kind in HANDLES:
        return 4
    raise ValueError(f"not a value type shape: {t!r}")


def join(a: str, b: str) -> str:
    if a == b:
        return a
    if {a, b} == {"i32", "f32"}:
        return "i32"
    return "i64"


def flatten(t, ptr: str = "i32") -> list[str]:
    """The core values one value of shape ``t`` is passed as."""
    t = despecialize(t)
    kind = _kind(t)
    if kind in PRIMITIVE_FLAT:
        return [PRIMITIVE_FLAT[kind]]
    if kind == "string":
        return [ptr, ptr]
    if kind == "list":
        return flatten(t[1], ptr) * t[2] if t[2] is not None else [ptr, ptr]
    if kind == "record":
        return [v for f in t[1] for v in flatten(f, ptr)]
    if kind == "variant":
        joined: list[str] = []
        for case in t[1]:
            if case is None:
                continue
            for i, v in enumerate(flatten(case, ptr)):
                if i < len(joined):
                    joined[i] = join(joined[i], v)
                else:
                    joined.append(v)
        return ["i32"] + joined
    if kind == "flags" or kind in HANDLES:
        return ["i32"]
    raise ValueError(f"not a value type shape: {t!r}")


def flatten_function(params, results, context: str, *, async_: bool = False,
                     callback: bool = False, ptr: str = "i32") -> CoreSignature:
    """The core signature of a function with these parameter and result shapes, lifted
    (``context="lift"``: the core function implements it) or lowered (``"lower"``: the core
    code calls it), per CanonicalABI.md's flatten_functype."""
    if context not in ("lift", "lower"):
        raise ValueError(f"context must be 'lift' or 'lower', not {context!r}")
    flat_params = [v for t in params for v in flatten(t, ptr)]
    flat_results = [v for t in results for v in flatten(t, ptr)]
    params_indirect = results_indirect = False
    if not async_:
        if len(flat_params) > MAX_FLAT_PARAMS:
            flat_params, params_indirect = [ptr], True
        if len(flat_results) > MAX_FLAT_RESULTS:
            results_indirect = True
            if context == "lift":
                flat_results = [ptr]
            else:
                flat_params, flat_results = flat_params + [ptr], []
    elif context == "lift":
        if len(flat_params) > MAX_FLAT_PARAMS:
            flat_params, params_indirect = [ptr], True
        flat_results = ["i32"] if callback else []
    else:
        if len(flat_params) > MAX_FLAT_ASYNC_PARAMS:
            flat_params, params_indirect = [ptr], True
        if flat_results:
            flat_params, results_indirect = flat_params + [ptr], True
        flat_results = ["i32"]
    return CoreSignature(tuple(flat_params), tuple(flat_results), params_indirect,
                         results_indirect)


def contains(t, predicate) -> bool:
    t = despecialize(t)
    if t is None:
        return False
    if predicate(t):
        return True
    kind = _kind(t)
    if kind == "list":
        return contains(t[1], predicate)
    if kind in ("record", "variant"):
        return any(contains(f, predicate) for f in t[1] if f is not None)
    return False


def has_pointers(t) -> bool:
    """Does a value of this shape point into linear memory (a string or a variable list)?"""
    return contains(t, lambda u: u == "string" or (_kind(u) == "list" and u[2] is None))


def has_strings(t) -> bool:
    return contains(t, lambda u: u == "string")


def canon_options(params, results, context: str, *, async_: bool = False,
                  ptr: str = "i32") -> CanonOptions:
    """The options wit-component gives a lifted/lowered function of these shapes: memory when
    any value is passed through memory; realloc when the other side must allocate (lowered
    functions' results, lifted functions' parameters); string-encoding when strings occur;
    post-return (lift) when the results point into memory."""
    sig = flatten_function(params, results, context, async_=async_, ptr=ptr)
    param_pointers = any(has_pointers(t) for t in params)
    result_pointers = any(has_pointers(t) for t in results)
    memory = sig.params_indirect or sig.results_indirect or param_pointers or result_pointers
    if context == "lower":
        realloc = result_pointers
    else:
        realloc = param_pointers or sig.params_indirect
    strings = any(has_strings(t) for t in (*params, *results))
    post_return = context == "lift" and result_pointers
    return CanonOptions(memory, realloc, strings, post_return)
