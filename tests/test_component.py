"""Components as trees of units: every nested core module and component, with exact byte
ranges, found in one scan. Checked on components whose structure is known (built from text by
Wasmtime's wat2wasm) and on a real componentize-py component, which Wasmtime validates."""
import pytest
import wasmtime

import wasmlink
from wasmlink.binary.component import Component
from wasmlink.errors import ParseError

NESTED = """(component
  (core module (func (export "f")))
  (component
    (core module)
    (component (core module (memory 1)))
  )
  (core module (func (export "g") (result i32) i32.const 7))
)"""


@pytest.fixture(scope="module")
def nested():
    return wasmtime.wat2wasm(NESTED)


def test_units_are_listed_in_preorder_with_parent_and_depth(nested):
    c = Component(nested)
    assert [(u.kind, u.parent, u.depth) for u in c.units] == [
        ("component", -1, 0), ("module", 0, 1), ("component", 0, 1), ("module", 2, 2),
        ("component", 2, 2), ("module", 4, 3), ("module", 0, 1)]


def test_a_nested_module_is_exactly_the_bytes_of_the_same_module_alone(nested):
    c = Component(nested)
    alone = wasmtime.wat2wasm('(module (func (export "g") (result i32) i32.const 7))')
    assert bytes(c.unit_bytes(6)) == alone
    assert c.module(6).exports[0].name == "g"


def test_nested_ranges_lie_inside_their_parents(nested):
    c = Component(nested)
    for u in c.units[1:]:
        parent = c.units[u.parent]
        assert parent.start < u.start < u.end <= parent.end


def test_sha256_of_a_unit_is_the_hash_of_its_bytes(nested):
    import hashlib
    c = Component(nested)
    for u in c.units:
        assert c.sha256(u.index) == hashlib.sha256(c.unit_bytes(u.index)).hexdigest()


def test_every_nested_module_of_a_real_python_component_validates(python_component):
    engine = wasmtime.Engine()
    c = wasmlink.read(python_component)
    modules = c.modules()
    assert len(modules) >= 10
    assert max(u.size for u in modules) > 5_000_000        # libpython, pre-initialised
    for u in modules:
        wasmtime.Module.validate(engine, bytes(c.unit_bytes(u.index)))


def test_nested_components_of_a_real_python_component_are_components(python_component):
    c = wasmlink.read(python_component)
    inner = [u for u in c.units[1:] if u.kind == "component"]
    assert inner
    for u in inner:
        assert bytes(c.unit_bytes(u.index))[4:8] == b"\x0d\x00\x01\x00"


def test_the_real_python_component_is_a_valid_component(python_component):
    from wasmtime.component import Component as WasmtimeComponent
    engine = wasmtime.Engine()
    WasmtimeComponent(engine, python_component.read_bytes())


def test_a_module_section_holding_a_component_is_an_error(nested):
    # turn the first nested core module's header into a component header
    data = bytearray(nested)
    data[10 + 4:10 + 8] = b"\x0d\x00\x01\x00"
    with pytest.raises(ParseError, match="expected a core module here, found a component") as info:
        Component(bytes(data))
    assert info.value.offset == 10


def test_an_unknown_component_section_id_is_an_error(nested):
    data = bytes(nested[:8]) + b"\x0d\x00"
    with pytest.raises(ParseError, match="malformed component section id 13") as info:
        Component(data)
    assert info.value.offset == 8


def test_nesting_is_bounded_so_a_hostile_file_cannot_exhaust_the_stack():
    inner = b"\0asm\x0d\x00\x01\x00"
    for _ in range(150):
        from wasmlink._native.leb128 import encode_u32
        inner = b"\0asm\x0d\x00\x01\x00" + b"\x04" + encode_u32(len(inner)) + inner
    with pytest.raises(ParseError, match="nested more than 100 deep"):
        Component(inner)


@pytest.fixture(scope="module")
def jco_component(jco, hello_module, tmp_path_factory):
    """A WASI p1 command turned into a component by `jco new --wasi-command` (wit-component)."""
    from conftest import run
    out = tmp_path_factory.mktemp("jco") / "hello.component.wasm"
    run([jco, "new", hello_module, "--wasi-command", "-o", out])
    return out


def test_jco_new_keeps_the_main_module_byte_for_byte(jco_component, hello_module):
    c = wasmlink.read(jco_component)
    main = hello_module.read_bytes()
    assert [bytes(c.unit_bytes(u.index)) == main for u in c.modules()].count(True) == 1


def test_the_adapter_of_a_jco_component_is_a_nested_module_importing_wasi_p2(jco_component):
    c = wasmlink.read(jco_component)
    adapters = [u for u in c.modules()
                if any(i.module.startswith("wasi:") for i in c.module(u.index).imports)]
    assert len(adapters) == 1
    exported = {e.name for e in c.module(adapters[0].index).exports}
    assert "fd_write" in exported


def test_every_unit_of_a_jco_component_is_valid_to_wasmtime(jco_component):
    from wasmtime.component import Component as WasmtimeComponent
    engine = wasmtime.Engine()
    c = wasmlink.read(jco_component)
    WasmtimeComponent(engine, jco_component.read_bytes())
    for u in c.modules():
        wasmtime.Module.validate(engine, bytes(c.unit_bytes(u.index)))
