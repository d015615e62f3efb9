"""The world a component made by `component new` implements: the union of what the main
module's `component-type*` sections say (wit-bindgen, `component embed` and linkers put one
there per bindings object) and what each adapter's say. A main module without any (a plain
WASI preview1 program) is fine when adapters are given: its world is theirs."""
from __future__ import annotations

from ..binary.component_type import is_component_type_section
from ..binary.module import Module
from ..errors import LinkError
from ..wit.decode import decode_world_section


def _sections_world(data, path: str):
    module = Module(data, 0, len(data), path=path)
    found = []
    for s in module.sections:
        if s.id == 0 and is_component_type_section(s.name):
            try:
                found.append(decode_world_section(data[s.contents:s.end], offset=s.contents))
            except Exception as err:
                if hasattr(err, "in_file"):
                    raise err.in_file(path)
                raise
    return found


def world_of_module(data, path: str = "module", adapters=()):
    """(resolve, world id, string encoding) of the merged world."""
    worlds = _sections_world(data, path)
    if not worlds and not adapters:
        raise LinkError("module has no `component-type` custom section: embed a WIT world "
                        "first (`wasmlink component embed WIT MODULE`)", path=path)
    encoding = worlds[0][2] if worlds else "utf8"
    for name, adapter_data, adapter_path in adapters:
        found = _sections_world(adapter_data, adapter_path)
        if not found:
            raise LinkError(f"adapter `{name}` has no `component-type` custom section",
                            path=adapter_path)
        worlds.extend(found)
    resolve, world, _ = worlds[0]
    for r, w, e in worlds[1:]:           # every resolve here was just decoded: ours to grow
        from ..wit.merge import merge_worlds
        resolve, world = merge_worlds(resolve, world, r, w, in_place=True)
    return resolve, world, encoding
