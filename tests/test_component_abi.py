"""The Canonical ABI's static part (wasmlink.component.abi), checked against CanonicalABI.md's
definitions and against wit-component's outputs in the conformance data: the `lower-options`
and `lift-options` cases give, for one interface of 16 functions, the core signature each
import has in the module and the canonical options each `canon lower`/`canon lift` carries."""
import re
from pathlib import Path

import pytest

from wasmlink.component.abi import (
    CanonOptions, alignment, canon_options, elem_size, flatten, flatten_function,
)

CASES = Path("/work/shared/conformance/wasm-tools/crates/wit-component/tests/components")

R = ("record", ("string",))                   # record r { s: string }
R_NO_STRING = ("record", ("u32",))
V = ("variant", ("string",))                  # variant v { s(string) }
V_NO_STRING = ("variant", ("u32",))
# the interface of lower-options/module.wit: name -> (params, results)
FOO = {
    "a": ((), ()), "b": ((("list", "string", None),), ()), "c": ((R,), ()), "d": ((V,), ()),
    "e": ((R_NO_STRING,), ()), "f": ((V_NO_STRING,), ()), "g": ((("list", R, None),), ()),
    "h": ((("list", V, None),), ()), "i": ((("list", "u32", None),), ()), "j": (("u32",), ()),
    "k": ((), (("record", ("u32", "u32")),)), "l": ((), ("string",)),
    "m": ((), (("list", "u32", None),)), "n": ((), ("u32",)), "o": ((), (V,)),
    "p": ((), (("list", V_NO_STRING, None),)),
}


def core_types(wat: str) -> dict[int, tuple[tuple[str, ...], tuple[str, ...]]]:
    types = {}
    for index, params, results in re.findall(
            r"\(type \(;(\d+);\) \(func((?: \(param [^)]*\))*)((?: \(result [^)]*\))*)\)\)", wat):
        types[int(index)] = (tuple(" ".join(re.findall(r"\(param ([^)]*)\)", params)).split()),
                             tuple(" ".join(re.findall(r"\(result ([^)]*)\)", results)).split()))
    return types


def test_lowered_signatures_are_those_of_the_modules_imports():
    wat = (CASES / "lower-options" / "component.wat").read_text()
    main = wat[wat.index("(core module $main"):wat.index("(core module $wit-component-shim")]
    types = core_types(main)
    imports = dict(re.findall(r'\(import "foo:foo/foo" "(\w)" \(func \(;\d+;\) \(type (\d+)\)\)\)',
                              main))
    assert sorted(imports) == sorted(FOO)
    for name, (params, results) in FOO.items():
        sig = flatten_function(params, results, "lower")
        assert (sig.params, sig.results) == types[int(imports[name])], name


def test_lower_options_are_wit_components():
    wat = (CASES / "lower-options" / "component.wat").read_text()
    for name, (params, results) in FOO.items():
        line = re.search(rf"\(canon lower \(func \${name}\)([^\n]*)\)\)\n", wat).group(1)
        opts = canon_options(params, results, "lower")
        assert ("(memory" in line, "(realloc" in line, "string-encoding" in line) == \
            (opts.memory, opts.realloc, opts.string_encoding), name


def test_lift_options_are_wit_components():
    wat = (CASES / "lift-options" / "component.wat").read_text()
    for name, (params, results) in FOO.items():
        line = re.search(rf"\(canon lift \(core func \$foo:foo/my-default#{name}\)([^\n]*)\)\)\n",
                         wat).group(1)
        opts = canon_options(params, results, "lift")
        assert ("(memory" in line, "(realloc" in line, "string-encoding" in line,
                "(post-return" in line) == tuple(opts), name


def test_seventeen_flat_parameters_go_through_memory():
    sig = flatten_function(["u32"] * 17, [], "lift")
    assert sig.params == ("i32",) and sig.params_indirect
    assert flatten_function(["u32"] * 16, [], "lift").params == ("i32",) * 16


def test_two_flat_results_are_returned_by_pointer_when_lifted_and_passed_one_when_lowered():
    pair = [("record", ("u64", "f32"))]
    assert flatten_function([], pair, "lift")[:2] == ((), ("i32",))
    assert flatten_function([], pair, "lower")[:2] == (("i32",), ())


def test_variant_payloads_join_to_the_widest_core_type():
    # result<f32, u64> joins f32 with i64 to i64; option<f32> stays f32
    assert flatten(("variant", ("f32", "u64"))) == ["i32", "i64"]
    assert flatten(("variant", (None, "f32"))) == ["i32", "f32"]
    assert flatten(("variant", ("f32", "u32"))) == ["i32", "i32"]


@pytest.mark.parametrize("shape, size, align", [
    ("bool", 1, 1), ("u16", 2, 2), ("char", 4, 4), ("u64", 8, 8), ("string", 8, 4),
    (("list", "u8", None), 8, 4), (("list", "u16", 3), 6, 2), (("flags", 9), 2, 2),
    (("flags", 32), 4, 4), (("record", ("u8", "u32", "u8")), 12, 4),
    (("variant", (None, "u64")), 16, 8), (("variant", tuple([None] * 256)), 1, 1),
    (("variant", tuple([None] * 257)), 2, 2), (("own",), 4, 4),
    (("map", "string", "u8"), 8, 4),
])
def test_sizes_and_alignments_follow_the_spec(shape, size, align):
    assert (elem_size(shape), alignment(shape)) == (size, align)


def test_memory64_pointers_are_i64_and_eight_bytes():
    assert flatten("string", "i64") == ["i64", "i64"]
    assert elem_size(("list", "u8", None), "i64") == 16
    assert flatten_function([], ["string"], "lift", ptr="i64").results == ("i64",)


def test_async_lowering_passes_at_most_four_flat_parameters():
    sig = flatten_function(["u32"] * 5, ["u32"], "lower", async_=True)
    assert (sig.params, sig.results) == (("i32", "i32"), ("i32",))
