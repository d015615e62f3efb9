"""`wasmlink resolve` of children imported by package name: `locked-dep=<ns:name@version>`
takes exactly that version, `unlocked-dep=<ns:name@{range}>` the newest release in the range,
from a local store or a real registry, where `push` put them under wkg's mapping
(repository ns/name, tag = version)."""
import pytest

from support.oci_registry import oci_registry  # noqa: F401  (a fixture)

from wasmlink.component import decode_component
from wasmlink.component import model as cm
from wasmlink.component.names import parse_name
from wasmlink.errors import WasmlinkError
from wasmlink.registry.resolve import newest_in_range, resolve_component
from wasmlink.registry.transfer import push

wasmtime = pytest.importorskip("wasmtime")
import wasmtime.component  # noqa: E402
VERSIONS = ["0.9.0", "1.0.0", "1.2.0", "1.10.0", "1.11.0-rc.1", "2.0.0"]


def child(version: str) -> bytes:
    """A component whose one core module says which version it is."""
    major, minor, patch = (int(p) for p in version.split("-")[0].split("."))
    value = major * 10000 + minor * 100 + patch
    return wasmtime.wat2wasm(f"(component (core module (global i32 (i32.const {value}))))")


def _global_value(module: bytes) -> int:
    from wasmlink.binary.module import Module
    (g,) = Module(module, 0, len(module)).decoded(6)[0]
    from wasmlink._native.leb128 import decode_s32
    return decode_s32(bytes(g.init), 1)[0]


@pytest.fixture
def published(tmp_path):
    store = tmp_path / "store"
    for version in VERSIONS:
        path = tmp_path / f"dep-{version}.wasm"
        path.write_bytes(child(version))
        push(path, f"oci:{store}:ns:dep@{version}")
    return store


def root_importing(tmp_path, name: str):
    path = tmp_path / "root.wasm"
    path.write_bytes(wasmtime.wat2wasm(f'(component (import "{name}" (component)))'))
    return path


def resolved_version(tmp_path, name: str, source) -> int:
    out = tmp_path / "out.wasm"
    result = resolve_component(root_importing(tmp_path, name), [source], out)
    assert len(result.inlined) == 1 and result.left == []
    data = out.read_bytes()
    wasmtime.component.Component(wasmtime.Engine(), data)
    return _global_value_of(data)


def _global_value_of(component: bytes) -> int:
    nested = [s.component for s in decode_component(component).sections
              if isinstance(s, cm.ComponentSection)]
    module = next(s for s in nested[0].sections if isinstance(s, cm.CoreModuleSection))
    return _global_value(bytes(module.data))


def test_a_locked_dep_takes_exactly_its_version(tmp_path, published):
    assert resolved_version(tmp_path, "locked-dep=<ns:dep@1.2.0>", f"oci:{published}") == 10200


def test_an_unlocked_dep_takes_the_newest_release_in_its_range(tmp_path, published):
    assert resolved_version(tmp_path, "unlocked-dep=<ns:dep@{>=1.0.0 <2.0.0}>",
                            f"oci:{published}") == 11000       # 1.10.0: not 1.2.0, not the rc


def test_an_unlocked_dep_without_a_range_takes_the_newest_release(tmp_path, published):
    assert resolved_version(tmp_path, "unlocked-dep=<ns:dep>", f"oci:{published}") == 20000


def test_no_version_in_range_is_an_error_and_nothing_is_written(tmp_path, published):
    out = tmp_path / "out.wasm"
    with pytest.raises(WasmlinkError, match="no source has 1 imported child"):
        resolve_component(root_importing(tmp_path, "unlocked-dep=<ns:dep@{>=3.0.0}>"),
                          [f"oci:{published}"], out)
    assert not out.exists()


def test_a_locked_dep_with_the_wrong_integrity_is_refused(tmp_path, published):
    name = ("locked-dep=<ns:dep@1.2.0>,integrity=<sha256-"
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=>")
    with pytest.raises(WasmlinkError, match="tampered or wrong"):
        resolve_component(root_importing(tmp_path, name), [f"oci:{published}"],
                          tmp_path / "out.wasm")


@pytest.mark.parametrize("name, expected", [
    ("unlocked-dep=<ns:dep@{>=1.0.0 <2.0.0}>", "1.10.0"),
    ("unlocked-dep=<ns:dep@{<1.0.0}>", "0.9.0"),
    ("unlocked-dep=<ns:dep@*>", "2.0.0"),
    ("unlocked-dep=<ns:dep@{>=1.11.0-rc.0 <2.0.0}>", "1.11.0-rc.1"),   # a pre-release bound
    ("unlocked-dep=<ns:dep@{>=2.0.1}>", None),
])
def test_version_ranges_choose_as_semver_orders(name, expected):
    assert newest_in_range([*VERSIONS, "latest"], parse_name(name)) == expected


def test_an_unlocked_dep_resolves_from_a_registry_repository(tmp_path, oci_registry):
    for version in ("1.0.0", "1.4.0", "2.1.0"):
        path = tmp_path / f"dep-{version}.wasm"
        path.write_bytes(child(version))
        push(path, f"{oci_registry.host}/ns/dep:{version}")
    assert resolved_version(tmp_path, "unlocked-dep=<ns:dep@{>=1.0.0 <2.0.0}>",
                            f"{oci_registry.host}/ns/dep") == 10400
