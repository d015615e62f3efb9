"""Component types back to WIT (wasmlink.wit.decode) and the union of worlds (wasmlink.wit.merge).

Round trips run over the worlds test_wit_encode.py checks against jco (every single-world
conformance case, WASI's cli command and http proxy): parse → encode → decode → encode must give
the same bytes, and the decoded world must print as the original does. What is compared in
print is the world's body and the body of every named interface it reaches, each printed by the
project's printer after dropping docs and feature gates from the original (neither is encoded):
this is the WIT a reader sees, and it checks `use`s (a `use` prints only when the alias points
into the right interface), resource methods and anonymous types, which whole-package printing
could not (a package holds interfaces and worlds the world never mentions).
"""
import copy
from pathlib import Path

import pytest

from conftest import CONFORMANCE, CONFORMANCE_CASES, JCO_CANNOT_EMBED, NODE_MODULES, WASI_HTTP, \
    wasi_cli
from wasmlink.binary.component_type import component_type_sections
from wasmlink.binary.module import Module
from wasmlink.component import decode_component, encode_component
from wasmlink.component import model as cm
from wasmlink.errors import ParseError, WasmlinkError
from wasmlink.wit import model as wm
from wasmlink.wit.decode import decode_component_world, decode_world_section
from wasmlink.wit.encode import WorldEncoder, encode_world
from wasmlink.wit.errors import WitError
from wasmlink.wit.merge import merge_worlds
from wasmlink.wit.printer import WitPrinter, print_package
from wasmlink.wit.resolve import Resolve

CASES = [c for c in CONFORMANCE_CASES if c not in JCO_CANNOT_EMBED]
ADAPTERS = NODE_MODULES / "@bytecodealliance" / "jco" / "lib"
MERGE = CONFORMANCE / "merge"


# -- helpers -------------------------------------------------------------------------------

def strip_docs(resolve: Resolve) -> None:
    """Drop what component types do not carry: docs and feature gates."""
    for td in resolve.types:
        td.docs = td.stability = None
        for part in getattr(td.kind, "fields", None) or getattr(td.kind, "cases", None) or \
                getattr(td.kind, "flags", None) or ():
            part.docs = None
    for iface in resolve.interfaces:
        iface.docs = iface.stability = None
        for f in iface.functions.values():
            f.docs = f.stability = None
    for world in resolve.worlds:
        world.docs = world.stability = None
        for item in [*world.imports.values(), *world.exports.values()]:
            if isinstance(item, wm.WorldFunction):
                item.func.docs = item.func.stability = None
            elif isinstance(item, wm.WorldInterface):
                item.docs = item.stability = None


def world_text(resolve: Resolve, wid: int) -> str:
    """The world's WIT and that of every named interface it reaches, dependencies first."""
    resolve = copy.deepcopy(resolve)
    strip_docs(resolve)
    world = resolve.worlds[wid]
    p = WitPrinter(resolve)
    p.out.line(f"world {resolve.packages[world.package].name}/{world.name} {{")
    p.out.indent += 1
    p.print_world_body(wid)
    p.out.indent -= 1
    p.out.line("}")
    order: list[int] = []

    def visit(iid):
        if iid not in order:
            for dep in resolve.interface_direct_deps(iid):
                visit(dep)
            order.append(iid)

    for item in [*world.imports.values(), *world.exports.values()]:
        if isinstance(item, wm.WorldInterface):
            visit(item.id)
    for iid in order:
        if resolve.interfaces[iid].name is not None:
            p.out.line(f"interface {resolve.id_of(iid)} {{")
            p.out.indent += 1
            p.print_interface_body(iid)
            p.out.indent -= 1
            p.out.line("}")
    return p.out.text()


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    """name -> (resolve, world id) for every world of the round trips."""
    table = {}
    for case in CASES:
        resolve = Resolve()
        pid = resolve.push_path(CONFORMANCE / "components" / case / "module.wit")
        table[case] = resolve, resolve.select_world(pid)
    for name, wit, world in (("wasi:cli/command", wasi_cli(tmp_path_factory.mktemp("cli")),
                              "command"), ("wasi:http/proxy", WASI_HTTP, "proxy")):
        resolve = Resolve()
        table[name] = resolve, resolve.select_world(resolve.push_path(wit), world)
    return table


def adapter_sections(kind: str):
    data = (ADAPTERS / f"wasi_snapshot_preview1.{kind}.wasm").read_bytes()
    return data, component_type_sections(Module(data, 0, len(data)))


def without_producers(payload: bytes) -> bytes:
    component = decode_component(payload)
    return encode_component(cm.Component(tuple(
        s for s in component.sections
        if not (isinstance(s, cm.CustomSection) and s.name == "producers"))))


def legacy_package_payload(resolve: Resolve, pid: int, world: str, encoding: int = 0) -> bytes:
    """The legacy 0x03 form, built as wit-bindgen used to: version, string encoding, world
    name, then the WIT package encoding (one wrapper type per interface, then per world)."""
    resolve = copy.deepcopy(resolve)
    package = resolve.packages[pid]
    wrappers, names = [], []
    for name, iid in package.interfaces.items():
        # an interface's wrapper imports its dependencies and exports the interface: the
        # component type of a world exporting just that interface
        wid = len(resolve.worlds)
        resolve.worlds.append(wm.World("wrapper", exports={iid: wm.WorldInterface(iid)},
                                       package=pid))
        resolve.elaborate_world(wid)
        wrappers.append(WorldEncoder(resolve, wid).world_type())
        names.append(name)
    for name, wid in package.worlds.items():
        enc = WorldEncoder(resolve, wid)
        wrappers.append(cm.ComponentType((enc.world_type(), cm.ExportDecl(
            enc.qualified_name(), cm.ExternType("component", 0)))))
        names.append(name)
    component = cm.Component((
        cm.TypeSection(tuple(wrappers)),
        cm.ExportSection(tuple(cm.Export(n, cm.SortIdx("type", i))
                               for i, n in enumerate(names)))))
    name = world.encode()
    return bytes([3, encoding, len(name)]) + name + encode_component(component)


# -- round trips ---------------------------------------------------------------------------

def test_the_round_trip_covers_every_world_encode_checks(worlds):
    assert len(CASES) == 108 and len(worlds) == 110


@pytest.mark.parametrize("name", CASES + ["wasi:cli/command", "wasi:http/proxy"])
def test_decoding_a_world_and_encoding_it_again_gives_the_same_bytes(worlds, name):
    resolve, wid = worlds[name]
    payload = encode_world(resolve, wid)
    decoded, decoded_wid, encoding = decode_world_section(payload)
    assert encoding == "utf8"
    assert encode_world(decoded, decoded_wid) == payload


@pytest.mark.parametrize("name", CASES + ["wasi:cli/command", "wasi:http/proxy"])
def test_a_decoded_world_prints_as_the_original_without_docs(worlds, name):
    resolve, wid = worlds[name]
    decoded, decoded_wid, _ = decode_world_section(encode_world(resolve, wid))
    assert world_text(decoded, decoded_wid) == world_text(resolve, wid)


@pytest.mark.parametrize("encoding", ["utf16", "compact-utf16"])
def test_the_string_encoding_is_read_back(worlds, encoding):
    resolve, wid = worlds["wasi:cli/command"]
    payload = encode_world(resolve, wid, encoding)
    decoded, decoded_wid, found = decode_world_section(payload)
    assert found == encoding
    assert encode_world(decoded, decoded_wid, found) == payload


def test_a_type_used_across_interfaces_is_one_type(worlds):
    resolve, wid = worlds["wasi:http/proxy"]
    decoded, _, _ = decode_world_section(encode_world(resolve, wid))
    iface = {decoded.id_of(i): decoded.interfaces[i] for i in range(len(decoded.interfaces))}
    pollable = iface["wasi:io/poll@0.2.0-rc-2023-11-10"].types["pollable"]
    use = decoded.types[iface["wasi:http/types@0.2.0-rc-2023-12-05"].types["pollable"]]
    assert use.kind == wm.Alias(pollable)
    assert use.owner[0] == "interface"
    assert isinstance(decoded.types[pollable].kind, wm.Resource)


def test_a_world_use_is_a_world_type_aliasing_the_interface_type():
    resolve = Resolve()
    pid = resolve.push_str("package a:b;\ninterface i { record r { x: u32 } }\n"
                           "world w { use i.{r}; import f: func() -> r; }\n", "w.wit")
    decoded, wid, _ = decode_world_section(encode_world(resolve, resolve.select_world(pid)))
    world = decoded.worlds[wid]
    assert list(world.imports)[1:] == ["r", "f"]
    alias = decoded.types[world.imports["r"].id]
    iface = decoded.interfaces[decoded.packages[world.package].interfaces["i"]]
    assert (alias.name, alias.owner, alias.kind) == ("r", ("world", wid), wm.Alias(
        iface.types["r"]))
    assert world.imports["f"].func.result == world.imports["r"].id


def test_import_name_colon_interface_keeps_its_name_and_interface():
    resolve = Resolve()
    pid = resolve.push_str("package a:b@1.0.0;\ninterface i { f: func(); }\n"
                           "world w { import b: i; export i; }\n", "w.wit")
    payload = encode_world(resolve, resolve.select_world(pid))
    decoded, wid, _ = decode_world_section(payload)
    world = decoded.worlds[wid]
    (key,) = world.imports
    assert key == "b" and decoded.id_of(world.imports["b"].id) == "a:b/i@1.0.0"
    assert list(world.exports) == [world.imports["b"].id]
    assert encode_world(decoded, wid) == payload


# -- the jco adapters and the legacy encoding ----------------------------------------------

@pytest.mark.parametrize("kind,world", [("command", "command"), ("reactor", "imports")])
def test_the_jco_adapters_carry_the_wasi_cli_worlds(kind, world):
    data, (section,) = adapter_sections(kind)
    payload = data[section.offset:section.offset + section.size]
    resolve, wid, encoding = decode_world_section(payload, offset=section.offset)
    w = resolve.worlds[wid]
    assert (str(resolve.packages[w.package].name), w.name, encoding) == \
        ("wasi:cli@0.2.12", world, "utf8")
    assert "wasi:filesystem/preopens@0.2.12" in [resolve.name_world_key(k) for k in w.imports]
    assert [resolve.name_world_key(k) for k in w.exports] == \
        (["wasi:cli/run@0.2.12"] if kind == "command" else [])
    # wit-bindgen 0.58 writes them in the current form: byte-identical but for producers
    assert section.version == 4
    assert encode_world(resolve, wid, encoding) == without_producers(payload)


def test_a_legacy_section_decodes_to_the_world_it_names(worlds):
    resolve, wid = worlds["wasi:cli/command"]
    payload = legacy_package_payload(resolve, resolve.worlds[wid].package, "command", 1)
    decoded, decoded_wid, encoding = decode_world_section(payload)
    assert encoding == "utf16"
    assert decoded.worlds[decoded_wid].name == "command"
    assert world_text(decoded, decoded_wid) == world_text(resolve, wid)
    assert encode_world(decoded, decoded_wid) == encode_world(resolve, wid)
    cli = decoded.packages[decoded.package_names[wm.PackageName("wasi", "cli", "0.2.0-rc-2023-12-05")]]
    assert set(cli.worlds) == {"command", "imports"}
    assert "terminal-stdin" in cli.interfaces


def test_a_legacy_section_naming_a_missing_world_is_an_error(worlds):
    resolve, wid = worlds["wasi:cli/command"]
    payload = legacy_package_payload(resolve, resolve.worlds[wid].package, "nope")
    with pytest.raises(WasmlinkError, match="world `nope`"):
        decode_world_section(payload)


# -- malformed payloads --------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_payload():
    resolve = Resolve()
    pid = resolve.push_str("package a:b@1.0.0;\ninterface i { resource r { m: func() -> "
                           "list<u8>; } }\nworld w { import i; export f: func(x: u32); }\n",
                           "w.wit")
    return encode_world(resolve, resolve.select_world(pid))


def test_every_truncation_is_a_clean_error(small_payload):
    for end in range(len(small_payload)):
        with pytest.raises(WasmlinkError):
            decode_world_section(small_payload[:end])


def test_corrupted_bytes_never_escape_as_python_errors(small_payload):
    for at in range(len(small_payload)):
        for value in (0x00, 0x01, 0x05, 0x7f, 0xff):
            data = bytearray(small_payload)
            data[at] = value
            try:
                decode_world_section(bytes(data))
            except WasmlinkError:
                pass


def test_a_bad_version_byte_is_a_parse_error_at_its_offset():
    with pytest.raises(ParseError, match="version 0x05") as e:
        decode_world_section(b"\x05\x00\x01w", offset=0x40)
    assert e.value.offset == 0x40


def test_a_bad_legacy_string_encoding_is_a_parse_error():
    with pytest.raises(ParseError, match="string encoding 7"):
        decode_world_section(b"\x03\x07\x01w\0asm\x0d\x00\x01\x00")


def test_a_bad_wit_component_encoding_version_is_a_parse_error(small_payload):
    data = bytearray(small_payload)
    at = bytes(data).index(b"wit-component-encoding") + len("wit-component-encoding")
    data[at] = 0x05
    with pytest.raises(ParseError, match="wit-component-encoding version 0x05"):
        decode_world_section(bytes(data))


def test_errors_in_a_module_carry_file_absolute_offsets():
    data, (section,) = adapter_sections("reactor")
    payload = data[section.offset:section.offset + section.size]
    with pytest.raises(ParseError) as e:
        decode_world_section(payload[:-3], offset=section.offset)
    assert section.offset < e.value.offset <= section.offset + section.size


def wrapped(world_decls) -> bytes:
    return encode_component(cm.Component((
        cm.CustomSection("wit-component-encoding", b"\x04\x00"),
        cm.TypeSection((cm.ComponentType((cm.ComponentType(tuple(world_decls)), cm.ExportDecl(
            "a:b/w", cm.ExternType("component", 0)))),)),
        cm.ExportSection((cm.Export("w", cm.SortIdx("type", 0)),)))))


def test_a_function_typed_by_a_non_function_type_is_a_semantic_error():
    payload = wrapped([cm.ListType("u8"), cm.ImportDecl("f", cm.ExternType("func", 0))])
    with pytest.raises(WasmlinkError, match="not a function type"):
        decode_world_section(payload)


def test_a_type_index_out_of_bounds_is_a_semantic_error():
    payload = wrapped([cm.ImportDecl("f", cm.ExternType("func", 3))])
    with pytest.raises(WasmlinkError, match="type index 3 out of bounds"):
        decode_world_section(payload)


def test_a_method_of_an_unknown_resource_is_a_semantic_error():
    payload = wrapped([cm.FuncType(()), cm.ImportDecl("[method]r.m", cm.ExternType("func", 0))])
    with pytest.raises(WasmlinkError, match="resource `r`"):
        decode_world_section(payload)


# -- merging -------------------------------------------------------------------------------

def importing_world(path: Path, package: str):
    """A world importing every interface of `package` as pushed from `path` (the merge cases
    have packages, not worlds)."""
    resolve = Resolve()
    resolve.push_path(path)
    pid = next(i for n, i in resolve.package_names.items() if str(n) == package)
    wid = len(resolve.worlds)
    resolve.worlds.append(wm.World("merged", {i: wm.WorldInterface(i) for i in
                                              resolve.packages[pid].interfaces.values()},
                                   package=pid))
    resolve.elaborate_world(wid)
    return resolve, wid


@pytest.mark.parametrize("case,package,expected", [
    ("commutative", "wasi:io@0.2.0", "io.wit"),
    ("disjoint-funcs", "foo:foo", "foo.wit"),
    ("disjoint-types", "foo:foo", "foo.wit"),
])
def test_merging_worlds_unions_their_interfaces_as_wit_component_does(case, package, expected):
    into = importing_world(MERGE / case / "into", package)
    from_ = importing_world(MERGE / case / "from", package)
    resolve, wid = merge_worlds(*into, *from_)
    pid = resolve.worlds[wid].package
    assert print_package(resolve, pid) == (MERGE / case / "merge" / expected).read_text()
    decoded = decode_world_section(encode_world(resolve, wid))
    assert world_text(decoded[0], decoded[1]) == world_text(resolve, wid)


def test_merging_keeps_the_inputs_unchanged_and_a_world_with_itself_is_itself(worlds):
    resolve, wid = worlds["wasi:http/proxy"]
    before = encode_world(resolve, wid)
    decoded, dwid, _ = decode_world_section(before)
    merged, mwid = merge_worlds(resolve, wid, decoded, dwid)
    assert encode_world(merged, mwid) == before == encode_world(resolve, wid)
    assert len(merged.interfaces) == len(resolve.interfaces)


def test_merging_the_adapters_two_sections_gives_the_command_world():
    sections = []
    for kind in ("reactor", "command"):
        data, (section,) = adapter_sections(kind)
        sections.append(decode_world_section(data[section.offset:section.offset + section.size]))
    (ra, wa, _), (rb, wb, _) = sections
    merged, wid = merge_worlds(ra, wa, rb, wb)
    assert world_text(merged, wid).replace("/imports {", "/command {") == world_text(rb, wb)


def merge_texts(a: str, b: str):
    ra, rb = Resolve(), Resolve()
    wa = ra.select_world(ra.push_str(a, "a.wit"))
    wb = rb.select_world(rb.push_str(b, "b.wit"))
    return merge_worlds(ra, wa, rb, wb)


def test_merging_worlds_with_different_functions_unions_them():
    resolve, wid = merge_texts(
        "package a:b;\ninterface i { type t = u32; f: func(x: t); }\n"
        "world w { import i; export g: func(); }\n",
        "package a:b;\ninterface i { type t = u32; h: func() -> t; }\n"
        "world v { import i; import k: func(); export g: func(); }\n")
    world = resolve.worlds[wid]
    (iid,) = [k for k in world.imports if isinstance(k, int)]
    assert list(resolve.interfaces[iid].functions) == ["f", "h"]
    assert list(world.imports)[1:] == ["k"] and list(world.exports) == ["g"]
    f, h = resolve.interfaces[iid].functions.values()
    assert f.params[0][1] == h.result == resolve.interfaces[iid].types["t"]


@pytest.mark.parametrize("a,b,message", [
    ("interface i { type t = u32; }", "interface i { type t = s32; }",
     "type `t` of interface `a:b/i` is defined differently"),
    ("interface i { f: func(); }", "interface i { f: func(x: u8); }",
     "function `f` of interface `a:b/i` has different signatures"),
])
def test_merging_conflicting_interface_items_names_them(a, b, message):
    with pytest.raises(WitError, match=message):
        merge_texts(f"package a:b;\n{a}\nworld w {{ import i; }}\n",
                    f"package a:b;\n{b}\nworld w {{ import i; }}\n")


def test_merging_conflicting_world_items_names_them():
    with pytest.raises(WitError, match="import `f` of world `w` is defined differently"):
        merge_texts("package a:b;\nworld w { import f: func(); }\n",
                    "package a:b;\nworld w { import f: func() -> u32; }\n")
    with pytest.raises(WitError, match="import `f` of world `w` is an interface"):
        merge_texts("package a:b;\nworld w { import f: func(); }\n",
                    "package a:b;\nworld w { import f: interface { g: func(); } }\n")


# -- the world of a component --------------------------------------------------------------

COMPONENT_CASES = sorted(p.parent.name for p in
                         (CONFORMANCE / "components").glob("*/component.wat"))


@pytest.mark.parametrize("case", COMPONENT_CASES)
def test_a_components_world_prints_as_wit_component_prints_it(case):
    import wasmtime
    directory = CONFORMANCE / "components" / case
    binary = wasmtime.wat2wasm((directory / "component.wat").read_text())
    resolve, wid = decode_component_world(binary)
    assert resolve.worlds[wid].name == "root"
    assert print_package(resolve, resolve.worlds[wid].package) == \
        (directory / "component.wit.print").read_text()


def test_the_python_components_world_is_what_jco_wit_prints(python_component, jco):
    import subprocess
    expected = subprocess.run([jco, "wit", python_component], check=True, capture_output=True,
                              text=True).stdout
    resolve, wid = decode_component_world(python_component.read_bytes(),
                                          path=str(python_component))
    assert print_package(resolve, resolve.worlds[wid].package).rstrip("\n") == \
        expected.rstrip("\n")
    assert list(resolve.worlds[wid].exports)[-1] == "greet"


def test_a_core_module_is_not_a_component():
    with pytest.raises(ParseError, match="found a core module"):
        decode_component_world(b"\0asm\x01\x00\x00\x00")


def test_a_corrupted_component_never_escapes_as_a_python_error():
    import random

    import wasmtime
    binary = wasmtime.wat2wasm(
        (CONFORMANCE / "components" / "tricky-resources" / "component.wat").read_text())
    rng = random.Random(7)
    # a cut at a section boundary is a smaller valid component: only clean errors are asked
    inputs = [binary[:end] for end in range(0, len(binary), 5)]
    for _ in range(1500):
        data = bytearray(binary)
        data[rng.randrange(len(data))] = rng.randrange(256)
        inputs.append(bytes(data))
    for data in inputs:
        try:
            decode_component_world(data)
        except WasmlinkError:
            pass
