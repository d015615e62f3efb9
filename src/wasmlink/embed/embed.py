"""`component embed`: resolve a WIT world and record its type where the rest of the toolchain
looks for it.

    WIT → Resolve → world → component-type payload (wit/encode.py) → one of:
      a module with the section appended       (MODULE given, or --dummy)
      a module holding only the section        (--only-custom)
      a relocatable object carrying it         (--object: linked in by wasmlink ld / wasm-ld)

The module's own bytes are copied unchanged; the section goes at the end, as wasm-tools puts it.
"""
from __future__ import annotations

from pathlib import Path

from .. import __version__
from .._native.leb128 import encode_u32
from ..binary.encode import encode_name
from ..binary.files import MappedFile
from ..binary.producers import PROCESSED_BY, ProducersField, ProducersSection, encode_producers
from ..errors import UsageError, WasmlinkError
from ..output import write_atomically
from ..wit.encode import STRING_ENCODINGS, encode_world
from ..wit.resolve import Resolve

SECTION_NAME = "component-type"
MAGIC = b"\0asm\x01\0\0\0"


def producers() -> bytes:
    return encode_producers(ProducersSection([ProducersField(PROCESSED_BY,
                                                             [("wasmlink", __version__)])]))


def resolve_world(wit, world: str | None = None, *, features=(), all_features=False):
    """(resolve, world id) of a WIT file or directory; ``world`` picks one when the package
    has several (a plain name, or `ns:pkg/world`)."""
    resolve = Resolve(features=features, all_features=all_features)
    package = resolve.push_path(wit)
    if world and "/" in world:
        qualified, _, name = world.rpartition("/")
        matches = [i for i, p in enumerate(resolve.packages)
                   if str(p.name) == qualified or f"{p.name.namespace}:{p.name.name}" == qualified]
        if not matches:
            raise UsageError(f"no package {qualified} in {wit}")
        package, world = matches[0], name
    return resolve, resolve.select_world(package, world)


def custom_section(name: str, payload: bytes) -> bytes:
    body = encode_name(name) + payload
    return b"\x00" + encode_u32(len(body)) + body


def object_section_name(resolve, world_id: int) -> str:
    """Objects of several worlds may go into one link, and a linker concatenates custom
    sections of the same name: so each object's section is named after its world."""
    world = resolve.worlds[world_id]
    package = resolve.packages[world.package].name
    return f"{SECTION_NAME}:wasmlink:{package}:{world.name}:encoded world"


def embed(wit, module=None, *, output, world=None, encoding="utf8", only_custom=False,
          dummy=False, dummy_names="legacy", object_file=False, features=(),
          all_features=False) -> Path:
    """Write ``output``: see the module docstring. Returns the output path."""
    if encoding not in STRING_ENCODINGS:
        raise UsageError(f"unknown string encoding {encoding} (utf8, utf16 or compact-utf16)")
    chosen = sum(bool(x) for x in (module is not None, dummy, only_custom, object_file))
    if chosen != 1:
        raise UsageError("give exactly one of: a MODULE, --dummy, --only-custom, --object")
    resolve, world_id = resolve_world(wit, world, features=features, all_features=all_features)
    payload = encode_world(resolve, world_id, encoding, producers())
    if object_file:
        from .object_file import component_type_object
        data = component_type_object(object_section_name(resolve, world_id), payload,
                                     resolve.worlds[world_id].name)
        write_atomically(output, [data])
        return Path(output)
    section = custom_section(SECTION_NAME, payload)
    if only_custom:
        write_atomically(output, [MAGIC, section])
        return Path(output)
    if dummy:
        from .dummy import dummy_module
        write_atomically(output, [dummy_module(resolve, world_id, dummy_names), section])
        return Path(output)
    with MappedFile(module) as mapped:
        data = mapped.data
        if bytes(data[:8]) != MAGIC:
            raise WasmlinkError("not a core wasm module (component embed takes a core module; "
                                "a component already carries its types)", path=str(module))
        write_atomically(output, [data, section])
    return Path(output)
