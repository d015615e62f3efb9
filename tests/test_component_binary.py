"""The component binary model: decode → encode is byte-identical on real components, decoded
contents are what the producers wrote, and malformed input raises ParseError and nothing else.

Real inputs: the expected outputs of wit-component's test suite (component.wat, converted by
Wasmtime's wat2wasm), the component modules of the Component Model spec's .wast scripts, a
componentize-py component (18 MB) and a `jco new` component. The encoder is also checked on its
own: a model built by hand must encode to a component Wasmtime accepts."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import wasmtime
from hypothesis import given, settings
from hypothesis import strategies as st

from wasmlink.binary.component import Component as ComponentScan
from wasmlink.component import decode_component, encode_component, model as m, parse_name
from wasmlink.component.encode import section_chunks
from wasmlink.errors import ParseError

CONFORMANCE = Path("/work/shared/conformance/wasm-tools/crates/wit-component/tests/components")
SPEC = Path("/work/shared/spec/component-model")
CASES = sorted(p.parent.name for p in CONFORMANCE.glob("*/component.wat"))
SPEC_SCRIPTS = sorted(p.name for p in SPEC.glob("*.wast"))


@pytest.fixture(scope="session")
def conformance() -> dict[str, bytes]:
    """Case name → binary, each converted once per session."""
    return {name: wasmtime.wat2wasm((CONFORMANCE / name / "component.wat").read_text())
            for name in CASES}


def top_level_forms(text: str) -> list[str]:
    """The top-level s-expressions of a .wast script (comments and strings skipped over)."""
    forms, depth, start, i, n = [], 0, 0, 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith(";;", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
            continue
        if text.startswith("(;", i):
            nest, i = 1, i + 2
            while i < n and nest:
                if text.startswith("(;", i):
                    nest, i = nest + 1, i + 2
                elif text.startswith(";)", i):
                    nest, i = nest - 1, i + 2
                else:
                    i += 1
            continue
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "(":
            if depth == 0:
                start = i
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                forms.append(text[start:i + 1])
        i += 1
    return forms


def section_ends(c: m.Component) -> list[int]:
    """Where each top-level section ends in the encoding of ``c``."""
    ends, pos = [], 8
    for s in c.sections:
        pos += sum(len(chunk) for chunk in section_chunks(s))
        ends.append(pos)
    return ends


# --- round trips ----------------------------------------------------------------------------------

def test_the_conformance_suite_is_all_there():
    assert len(CASES) == 125          # 143 cases, 18 of them error cases without a component


@pytest.mark.parametrize("case", CASES)
def test_conformance_component_round_trips_byte_identically(conformance, case):
    data = conformance[case]
    c = decode_component(data)
    assert encode_component(c) == data
    assert section_ends(c)[-1:] == [len(data)] or not c.sections


@pytest.mark.parametrize("script", SPEC_SCRIPTS)
def test_spec_wast_components_round_trip_byte_identically(script):
    forms = [f for f in top_level_forms((SPEC / script).read_text()) if f.startswith("(component")]
    assert forms
    for form in forms:
        data = wasmtime.wat2wasm(form)
        assert encode_component(decode_component(data)) == data


def test_the_componentize_py_component_round_trips_byte_identically(python_component):
    data = python_component.read_bytes()
    c = decode_component(data, path=str(python_component))
    assert encode_component(c) == data
    assert len(c.modules) >= 10 and max(len(s.data) for s in c.modules) > 5_000_000
    assert [e.name for e in c.exports] == ["exports", "greet"]


def test_nested_modules_are_windows_of_the_input_at_the_scanners_offsets(python_component):
    data = python_component.read_bytes()
    c = decode_component(data)
    for s in c.modules:
        assert isinstance(s.data, memoryview) and s.data.obj is data      # not copied
    scan = ComponentScan(data)
    top_modules = [u for u in scan.units if u.kind == "module" and u.parent == 0]
    assert [(s.offset, s.offset + len(s.data)) for s in c.modules] == \
        [(u.start, u.end) for u in top_modules]
    nested = [u for u in scan.units if u.kind == "component" and u.parent == 0]
    assert [x.offset for x in c.components] == [u.start for u in nested]


@pytest.fixture(scope="module")
def jco_component(jco, hello_module, tmp_path_factory) -> Path:
    """A WASI p1 command made a component by `jco new --wasi-command` (wit-component)."""
    from conftest import run
    out = tmp_path_factory.mktemp("jco-binary") / "hello.component.wasm"
    run([jco, "new", hello_module, "--wasi-command", "-o", out])
    return out


def test_a_jco_new_component_round_trips_byte_identically(jco_component, hello_module):
    data = jco_component.read_bytes()
    c = decode_component(data)
    assert encode_component(c) == data
    main = hello_module.read_bytes()
    assert [bytes(s.data) == main for s in c.modules].count(True) == 1
    (export,) = c.exports                       # wasi:cli/run@0.2.x, x as jco's adapter has it
    name = parse_name(export.name)
    assert (name.namespace, name.package, name.interface) == ("wasi", "cli", "run")
    assert name.version.startswith("0.2.") and export.item.sort == "instance"
    assert "wasi:cli/stdout@" + name.version in {i.name for i in c.imports}


# --- decoded contents -----------------------------------------------------------------------------

def test_lift_options_decode_exactly(conformance):
    c = decode_component(conformance["lift-options"])
    lifts = [x for x in c.canons if isinstance(x, m.Lift)]
    assert len(lifts) == 16
    # (func $b (type 6) (canon lift (core func 1) (memory 0) (realloc 2) string-encoding=utf8))
    assert lifts[1] == m.Lift(1, m.CanonOptions((m.CanonOpt(3, 0), m.CanonOpt(4, 2),
                                                 m.CanonOpt(0))), 6)
    # (func $l (type 20) (canon lift (core func 12) (memory 0) utf8 (post-return 13)))
    l_opts = lifts[11].options
    assert lifts[11] == m.Lift(12, m.CanonOptions((m.CanonOpt(3, 0), m.CanonOpt(0),
                                                   m.CanonOpt(5, 13))), 20)
    assert (l_opts.memory, l_opts.realloc, l_opts.post_return, l_opts.string_encoding,
            l_opts.is_async, l_opts.callback) == (0, None, 13, "utf8", False, None)
    assert lifts[0] == m.Lift(0, m.CanonOptions(()), 4)
    assert c.exports == [m.Export("foo:foo/my-default", m.SortIdx("instance", 0))]
    shim = c.components[0]
    assert [i.name for i in shim.imports][:3] == ["import-func-a", "import-func-b",
                                                  "import-type-r"]
    assert shim.imports[2].type == m.ExternType("type", 3, "eq")
    assert shim.types[:4] == [m.FuncType(()), m.ListType("string"),
                              m.FuncType((m.Field("x", 1),)),
                              m.RecordType((m.Field("s", "string"),))]


def test_async_lift_with_callback_decodes_exactly(conformance):
    c = decode_component(conformance["async-export-with-callback"])
    assert c.types[0] == m.FuncType((m.Field("s", "string"),), "string", is_async=True)
    first = c.canons[0]
    assert first == m.Lift(0, m.CanonOptions((m.CanonOpt(3, 0), m.CanonOpt(4, 1), m.CanonOpt(0),
                                              m.CanonOpt(6), m.CanonOpt(7, 2))), 0)
    assert first.options.is_async and first.options.callback == 2
    assert [e.name for e in c.exports] == ["foo", "foo:foo/bar"]


def test_core_instances_and_aliases_decode_exactly(conformance):
    c = decode_component(conformance["lift-options"])
    assert c.items(m.CoreInstanceSection)[0] == m.CoreInstantiate(0, ())
    aliases = c.items(m.AliasSection)
    assert aliases[0] == m.AliasCoreExport("core memory", 0, "memory")
    assert aliases[1] == m.AliasCoreExport("core func", 0, "foo:foo/my-default#a")


def test_async_builtins_decode_to_their_names(conformance):
    names = {x.name for x in decode_component(conformance["async-builtins"]).items(
        m.CanonSection) if isinstance(x, m.CanonBuiltin)}
    assert {"backpressure.inc", "task.return", "waitable-set.new", "waitable-set.wait",
            "subtask.drop", "context.get"} <= names


def test_resources_decode_with_rep_and_destructor():
    data = wasmtime.wat2wasm("""(component
      (core module $m (func (export "dtor") (param i32)))
      (core instance $i (instantiate $m))
      (alias core export $i "dtor" (core func $dtor))
      (type $r (resource (rep i32) (dtor (core func $dtor))))
      (type $s (resource (rep i32)))
      (core func (canon resource.new $r))
      (core func (canon resource.drop $s))
      (core func (canon resource.rep $r))
      (type (func (param "self" (borrow $r)) (result (own $s))))
    )""")
    c = decode_component(data)
    assert c.types == [m.ResourceType(0x7F, 0), m.ResourceType(0x7F, None), m.BorrowType(0),
                       m.OwnType(1), m.FuncType((m.Field("self", 2),), 3)]
    assert c.canons == [m.ResourceNew(0), m.ResourceDrop(1), m.ResourceRep(0)]
    assert encode_component(c) == data


KITCHEN_SINK = """(component
  (type $e (enum "a" "b" "c"))
  (type (list u8 4))
  (type (map string u32))
  (type (tuple f64 char error-context))
  (type (stream))
  (type (future u32))
  (type (func async (param "x" $e)))
  (type (flags "r" "w"))
  (type (option s64))
  (type (result u16 (error string)))
  (type (variant (case "none") (case "some" u32)))
  (core type $ft (func (param i32) (result i64)))
  (core type (struct (field i8) (field (mut i16)) (field f32)))
  (core type (array (mut i32)))
  (core type (sub (func)))
  (core type (module
    (alias outer 1 $ft (type))
    (import "a" "b" (func (type 0)))
    (export "m" (memory 1))))
  (import "v" (versionsuffix ".1.2") (func))
  (import "x" (external-id "https://esm.example/x") (func))
  (import "val" (value $val u32))
  (import "start" (func $f (param "x" u32) (result u32)))
  (start $f (value $val) (result (value $r)))
  (export "r" (value $r))
  (core func (canon thread.spawn-ref $ft))
  (core func (canon thread.spawn-indirect $ft (core table 0)))
  (core func (canon thread.available_parallelism))
)"""


def test_every_remaining_construct_decodes_exactly_and_round_trips():
    data = wasmtime.wat2wasm(KITCHEN_SINK)
    c = decode_component(data)
    assert encode_component(c) == data
    assert c.types[:11] == [
        m.EnumType(("a", "b", "c")), m.FixedListType("u8", 4), m.MapType("string", "u32"),
        m.TupleType(("f64", "char", "error-context")), m.StreamType(None), m.FutureType("u32"),
        m.FuncType((m.Field("x", 0),), None, True), m.FlagsType(("r", "w")),
        m.OptionType("s64"), m.ResultType("u16", "string"),
        m.VariantType((m.Case("none"), m.Case("some", "u32")))]
    core = c.items(m.CoreTypeSection)
    assert core[0] == m.CoreFuncType((0x7F,), (0x7E,))
    assert core[1] == m.CoreStructType((m.CoreFieldType("i8", False),
                                        m.CoreFieldType("i16", True),
                                        m.CoreFieldType(0x7D, False)))
    assert core[2] == m.CoreArrayType(m.CoreFieldType(0x7F, True))
    assert core[3] == m.CoreSubType(False, (), m.CoreFuncType((), ()))
    assert core[4].decls[0] == m.CoreOuterAlias(1, 0)
    assert core[4].decls[1] == m.CoreImport("a", "b", 0, 0)
    assert core[4].decls[2].name == "m"
    v, x, val, _ = c.imports
    assert (v.name_form, v.attributes) == (2, (m.VersionSuffix(".1.2"),))
    assert x.attributes == (m.ExternalId("https://esm.example/x"),)
    assert val.type == m.ExternType("value", "u32")
    assert [s.start for s in c.sections if isinstance(s, m.StartSection)] == \
        [m.Start(2, (0,), 1)]        # funcs: "v" 0, "x" 1, "start" 2
    assert c.exports[0].item == m.SortIdx("value", 1)
    assert c.canons == [m.CanonBuiltin(0x40, (0,)), m.CanonBuiltin(0x41, (0, 0)),
                        m.CanonBuiltin(0x42, ())]
    assert [x.name for x in c.canons] == ["thread.spawn-ref", "thread.spawn-indirect",
                                          "thread.available-parallelism"]


def test_a_component_built_from_the_model_runs_in_wasmtime():
    core = wasmtime.wat2wasm('(module (func (export "f") (param i32) (result i32) '
                             'local.get 0 i32.const 2 i32.mul))')
    c = m.Component((
        m.CoreModuleSection(core),
        m.CoreInstanceSection((m.CoreInstantiate(0, ()),)),
        m.AliasSection((m.AliasCoreExport("core func", 0, "f"),)),
        m.TypeSection((m.FuncType((m.Field("x", "u32"),), "u32"),)),
        m.CanonSection((m.Lift(0, m.CanonOptions(()), 0),)),
        m.TypeSection((m.RecordType((m.Field("a", "u8"), m.Field("b-c", "string"))),)),
        m.ExportSection((m.Export("twice", m.SortIdx("func", 0)),
                         m.Export("pair", m.SortIdx("type", 1)))),
        m.CustomSection("note", b"hello"),
    ))
    data = encode_component(c)
    from wasmtime.component import Component as WasmtimeComponent, Linker
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    instance = Linker(engine).instantiate(store, WasmtimeComponent(engine, data))
    assert instance.get_func(store, "twice")(store, 21) == 42
    back = decode_component(data)
    assert back.sections[1:7] == c.sections[1:7]
    assert bytes(back.sections[0].data) == core and bytes(back.sections[7].payload) == b"hello"


def test_padded_section_sizes_and_counts_are_kept():
    data = wasmtime.wat2wasm('(component (import "a" (func)) (import "b" (func)))')
    c = decode_component(data)
    # re-encode with a 5-byte type section size and a 3-byte import count, then decode that
    widened = m.Component(tuple(s._replace(size_width=5) if isinstance(s, m.TypeSection) else
                                s._replace(count_width=3) if isinstance(s, m.ImportSection)
                                else s for s in c.sections))
    padded = encode_component(widened)
    assert len(padded) > len(data)
    again = decode_component(padded)
    assert encode_component(again) == padded
    assert again.items(m.ImportSection) == c.items(m.ImportSection)


# --- malformed input ------------------------------------------------------------------------------

SMALL_CASE = "adapt-export-with-post-return"     # 1.3 KB: modules, canon, a nested component


@pytest.mark.parametrize("case", [SMALL_CASE, "tricky-order", "import-export"])
def test_every_truncation_is_an_error_except_at_section_boundaries(conformance, case):
    data = conformance[case]
    boundaries = {8} | set(section_ends(decode_component(data)))
    for size in range(len(data)):
        if size in boundaries:
            assert len(decode_component(data[:size]).sections) > 0 or size == 8
            continue
        with pytest.raises(ParseError) as info:
            decode_component(data[:size])
        assert info.value.offset is not None and info.value.offset <= size


def test_truncations_of_the_python_component_are_errors(python_component):
    data = python_component.read_bytes()
    boundaries = set(section_ends(decode_component(data)))
    for size in (0, 7, 9, 100, 5_000, 1_000_000, 11_000_000, len(data) - 1):
        assert size not in boundaries
        with pytest.raises(ParseError):
            decode_component(memoryview(data)[:size])


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_byte_mutations_decode_cleanly_or_raise_parse_error(conformance, draw):
    case = draw.draw(st.sampled_from(["lift-options", "async-builtins", "import-export",
                                      "export-resource", "adapt-preview1"]))
    data = bytearray(conformance[case])
    for _ in range(draw.draw(st.integers(1, 3))):
        data[draw.draw(st.integers(8, len(data) - 1))] = draw.draw(st.integers(0, 255))
    try:
        c = decode_component(bytes(data))
    except ParseError as e:
        assert e.offset is not None and 0 <= e.offset <= len(data)
        return
    # what decodes re-encodes to bytes that decode and re-encode to themselves
    again = encode_component(c)
    assert encode_component(decode_component(again)) == again


def test_an_unknown_canon_opcode_names_its_offset(conformance):
    data = wasmtime.wat2wasm('(component (core func (canon thread.index)))')
    at = data.index(b"\x08\x02\x01\x26") + 3
    bad = data[:at] + b"\x3e" + data[at + 1:]
    with pytest.raises(ParseError, match=r"invalid canonical definition opcode 0x3e") as info:
        decode_component(bad, path="bad.wasm")
    assert (info.value.offset, info.value.context) == (at, "canon section")
    assert str(info.value) == (f"bad.wasm: invalid canonical definition opcode 0x3e "
                               f"(at offset 0x{at:x} in canon section)")


def test_errors_in_nested_components_have_file_absolute_offsets():
    data = wasmtime.wat2wasm('(component (core module) (component (type (list u8))))')
    at = data.index(b"\x07\x03\x01\x70\x7d") + 3
    bad = data[:at] + b"\x5a" + data[at + 1:]
    with pytest.raises(ParseError, match="invalid type form 0x5a") as info:
        decode_component(bad)
    assert info.value.offset == at
    assert info.value.context.startswith("type section of the component at 0x")


@pytest.mark.parametrize("data, message, offset", [
    (b"\0asm\x0d\x00", "expected the 8-byte component preamble", 0),
    (b"\0asm\x01\x00\x00\x00", "expected a component, found a core module", 0),
    (b"\0wasm\x0d\x00\x01\x00", "bad magic number", 0),
    (b"\0asm\x0e\x00\x01\x00", "unsupported component version/layer 0e000100", 0),
    (b"\0asm\x0d\x00\x01\x00\x0d\x00", "malformed component section id 13", 8),
    (b"\0asm\x0d\x00\x01\x00\x07\x06\x80\x80\x80\x80\x80\x00",
     r"integer representation too long \(reading type count\)", 10),
    (b"\0asm\x0d\x00\x01\x00\x07\x05\x01\x72", "section size 5 runs past the end", 9),
    (b"\0asm\x0d\x00\x01\x00\x07\x02\x09\x72", "type count 9 is larger than", 10),
    (b"\0asm\x0d\x00\x01\x00\x07\x02\x01\x70", "unexpected end of input", 12),
    (b"\0asm\x0d\x00\x01\x00\x07\x04\x01\x70\x7d\x00",
     "type section has 1 unexpected bytes at its end", 13),
    (b"\0asm\x0d\x00\x01\x00\x01\x08\0asm\x0d\x00\x01\x00",
     "expected a core module here, found a component", 10),
    (b"\0asm\x0d\x00\x01\x00\x0a\x04\x01\x00\x03a", "name length 3 runs past the end", 12),
    (b"\0asm\x0d\x00\x01\x00\x0a\x04\x01\x03\x01a", "invalid name form 0x03", 11),
    (b"\0asm\x0d\x00\x01\x00\x0a\x05\x01\x00\x01\xff\x01", "invalid UTF-8", 13),
    (b"\0asm\x0d\x00\x01\x00\x0b\x05\x01\x00\x01a\x07", "invalid sort 0x07", 14),
    (b"\0asm\x0d\x00\x01\x00\x08\x04\x01\x00\x01\x00", "invalid canon lift sort", 12),
    (b"\0asm\x0d\x00\x01\x00\x08\x06\x01\x01\x00\x00\x01\x0a",
     r"invalid canonical option 0x0a", 15),
    (b"\0asm\x0d\x00\x01\x00\x07\x03\x01\x70\x70", "invalid value type: 0x70", 12),
    (b"\0asm\x0d\x00\x01\x00\x07\x04\x01\x40\x00\x02", "invalid result list 0x02", 13),
])
def test_malformed_input_is_a_parse_error_naming_what_was_expected(data, message, offset):
    with pytest.raises(ParseError, match=message) as info:
        decode_component(data)
    assert info.value.offset == offset


def test_nesting_is_bounded():
    from wasmlink._native.leb128 import encode_u32
    inner = b"\0asm\x0d\x00\x01\x00"
    for _ in range(120):
        inner = b"\0asm\x0d\x00\x01\x00" + b"\x04" + encode_u32(len(inner)) + inner
    with pytest.raises(ParseError, match="nested more than 100 deep"):
        decode_component(inner)


def test_decoding_the_same_bytes_twice_gives_equal_models(conformance):
    data = conformance["adapt-preview1"]
    assert decode_component(data) == decode_component(bytearray(data))
    assert hashlib.sha256(encode_component(decode_component(data))).digest() == \
        hashlib.sha256(data).digest()
