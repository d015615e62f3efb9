"""Opening any input: map it, look at its header, and hand back the right lazy view."""
from __future__ import annotations

from ..errors import ParseError, UnsupportedError
from .files import MappedFile, detect_kind


def open_binary(path):
    mapped = MappedFile(path)
    kind = detect_kind(mapped.data)
    if kind == "module":
        from .module import Module
        view = Module(mapped.data, path=mapped.path)
    elif kind == "component":
        from .component import Component
        view = Component(mapped.data, path=mapped.path)
    elif kind == "archive":
        from .archive import Archive
        return Archive(mapped, path=mapped.path)        # holds the mapping itself
    elif kind == "thin-archive":
        raise UnsupportedError("thin archives are not supported: their members live in other "
                               "files; make a regular archive with `llvm-ar rc`", path=mapped.path)
    elif kind == "bitcode":
        raise UnsupportedError("LLVM bitcode (an LTO object) is not supported", path=mapped.path)
    else:
        raise ParseError("not a wasm module, component or archive: bad magic number "
                         "(expected \\0asm or !<arch>)", 0, path=mapped.path)
    view.mapped = mapped        # the view's windows need the mapping alive
    return view
