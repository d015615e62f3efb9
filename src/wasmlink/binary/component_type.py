"""The `component-type*` custom sections: the WIT world a core module was built against.

Toolchains (wit-bindgen, `wasm-tools component embed`, `jco embed`) record the world as a custom
section named ``component-type`` or ``component-type:<suffix>``; `component new` and `component
link` merge them (a module may carry several). Two encodings exist:

- current: the payload is a whole component binary encoding the world as a type, with a custom
  section ``wit-component-encoding`` holding a version byte (0x04) and the string encoding;
- legacy: a version byte 0x03, the string-encoding byte and the world's name, then that
  component binary (the WASI preview1 adapters still carry this form).

This view finds the sections, tells the encodings apart, and gives the embedded component as a
Component view with the name it exports (the world). Decoding the type itself is the component
model's job (wasmlink.component).
"""
from __future__ import annotations

from typing import NamedTuple

from ..errors import ParseError
from .component import Component
from .reader import Reader

SECTION_PREFIX = "component-type"
ENCODING_SECTION = "wit-component-encoding"
CURRENT_VERSION = 0x04
LEGACY_VERSION = 0x03
STRING_ENCODINGS = {0: "utf8", 1: "utf16", 2: "compact-utf16"}
EXPORT_SECTION = 11


class ComponentTypeSection(NamedTuple):
    name: str                  # the custom section's name
    offset: int                # file-absolute start of the payload (after the name)
    size: int
    version: int               # 4 (current) or 3 (legacy)
    string_encoding: str       # utf8, utf16 or compact-utf16
    component_offset: int      # where the embedded component binary starts
    world: str | None          # the name the embedded component exports: the world

    def component(self, data) -> Component:
        return Component(data, self.component_offset, self.offset + self.size)


def is_component_type_section(name: str) -> bool:
    return name == SECTION_PREFIX or name.startswith(SECTION_PREFIX + ":")


def decode_component_type(data, name: str, offset: int, size: int) -> ComponentTypeSection:
    context = f"section {name}"
    end = offset + size
    head = bytes(data[offset:offset + 4])
    try:
        if head == b"\0asm":
            component = Component(data, offset, end)
            version, encoding = _encoding_section(data, component, offset, context)
            start = offset
        else:
            r = Reader(data, offset, end, context)
            version = r.byte("component-type version")
            if version != LEGACY_VERSION:
                raise r.error(f"unknown component-type encoding version 0x{version:02x}: expected "
                              f"a component (current) or 0x03 (legacy)", offset)
            encoding = _string_encoding(r.byte("string encoding"), r.pos - 1, context)
            legacy_world = r.name("world name")
            start = r.pos
            component = Component(data, start, end)
            return ComponentTypeSection(name, offset, size, version, encoding, start,
                                        legacy_world)
    except ParseError as e:
        e.context = e.context or context
        raise
    return ComponentTypeSection(name, offset, size, version, encoding, start,
                                _first_export_name(data, component, context))


def _string_encoding(byte: int, at: int, context: str) -> str:
    if byte not in STRING_ENCODINGS:
        raise ParseError(f"unknown string encoding {byte}: expected 0 (utf8), 1 (utf16) or 2 "
                         f"(compact-utf16)", at, context=context)
    return STRING_ENCODINGS[byte]


def _encoding_section(data, component: Component, offset: int, context: str) -> tuple[int, str]:
    for s in component.sections(0):
        if s.id == 0 and s.name == ENCODING_SECTION:
            r = Reader(data, s.contents, s.end, context)
            version = r.byte("wit-component-encoding version")
            if version != CURRENT_VERSION:
                raise r.error(f"unknown wit-component-encoding version 0x{version:02x}: expected "
                              f"0x04", s.contents)
            return version, _string_encoding(r.byte("string encoding"), r.pos - 1, context)
    raise ParseError(f"component-type payload has no {ENCODING_SECTION} custom section",
                     offset, context=context)


def _first_export_name(data, component: Component, context: str) -> str | None:
    for s in component.sections(0):
        if s.id == EXPORT_SECTION:
            r = Reader(data, s.payload, s.end, context)
            if r.count("export", 3) == 0:
                return None
            at = r.pos
            form = r.byte("export name form")
            if form > 2:
                raise r.error(f"invalid export name form 0x{form:02x}", at)
            return r.name("export name")
    return None


def component_type_sections(module) -> list[ComponentTypeSection]:
    """Every `component-type*` section of a Module, in file order."""
    return [decode_component_type(module.data, s.name, s.contents, s.end - s.contents)
            for s in module.sections if s.id == 0 and is_component_type_section(s.name)]
