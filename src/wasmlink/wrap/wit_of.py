"""`component wit`: the WIT text of the world a file implements — a component's, read from its
imports and exports (wit/decode.py), or a core module's, from its component-type sections."""
from __future__ import annotations

from ..binary.files import MappedFile
from ..errors import WasmlinkError
from ..wit.printer import print_package

COMPONENT_LAYER = b"\0asm\x0d\0\x01\0"


def wit_of(path) -> str:
    with MappedFile(path) as mapped:
        data = mapped.data
        head = bytes(data[:8])
        if head == COMPONENT_LAYER:
            from ..wit.decode import decode_component_world
            resolve, world = decode_component_world(data, path=str(path))
        elif head == b"\0asm\x01\0\0\0":
            from .world_of_module import world_of_module
            resolve, world, _ = world_of_module(data, str(path))
        else:
            raise WasmlinkError("not a WebAssembly component or module", path=str(path))
        return print_package(resolve, resolve.worlds[world].package)
