"""The world a core module implements, read from its `component-type*` custom sections
(wit-bindgen, `component embed` and linkers put one there per bindings object; a module linked
from several carries several, which are merged into one world)."""
from __future__ import annotations

from ..binary.component_type import is_component_type_section
from ..errors import LinkError
from ..wit.decode import decode_world_section


def world_of_module(module, data, path: str = "module"):
    """(resolve, world id, string encoding) of the module's merged world."""
    sections = [s for s in module.sections if s.id == 0 and is_component_type_section(s.name)]
    if not sections:
        raise LinkError("module has no `component-type` custom section: embed a WIT world "
                        "first (`wasmlink component embed WIT MODULE`)", path=path)
    resolve = world = encoding = None
    for s in sections:
        try:
            r, w, e = decode_world_section(data[s.contents:s.end], offset=s.contents)
        except Exception as err:
            if hasattr(err, "in_file"):
                raise err.in_file(path)
            raise
        if resolve is None:
            resolve, world, encoding = r, w, e
            continue
        if e != encoding:
            raise LinkError(f"component-type sections disagree on the string encoding "
                            f"({encoding} and {e}, in {s.name})", path=path)
        from ..wit.merge import merge_worlds
        resolve, world = merge_worlds(resolve, world, r, w)
    return resolve, world, encoding
