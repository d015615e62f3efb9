"""A component as a tree of units: the root, and every nested core module and component.

The native scanner walks the whole tree in one pass (a core module section and a component
section hold complete binaries, so it recurses into them). This view turns its unit columns into
what a user or the dedup store needs: each unit's byte range, kind, depth and parent, a Module
view for nested core modules, and content hashes computed over the mapping without copying.
Decoding the component's own sections (types, canon, aliases) is the component model's job.
"""
from __future__ import annotations

from typing import NamedTuple

from .._native import hashing
from .._native.scan import COMPONENT, COMPONENT_SECTION_NAMES, MODULE, scan
from ..errors import ParseError
from .module import Module, Section, sections_of


class Unit(NamedTuple):
    index: int
    kind: str           # "module" or "component"
    parent: int         # -1 for the root
    depth: int
    start: int          # the \0asm header
    end: int
    section_count: int

    @property
    def size(self) -> int:
        return self.end - self.start


class Component:
    """A component in ``data[start:end]`` (``data`` the whole mapped file)."""

    def __init__(self, data, start: int = 0, end: int | None = None, path: str | None = None):
        self.data = data
        self.path = path
        end = len(data) if end is None else end
        try:
            self.scan = scan(data, start, end)
        except ParseError as e:
            raise e.in_file(path) if path else e
        if self.scan.unit_kind[0] != COMPONENT:
            raise ParseError("expected a component, found a core module", start, path=path)
        r = self.scan
        self.units = [Unit(i, "module" if r.unit_kind[i] == MODULE else "component",
                           r.unit_parent[i], r.unit_depth[i], r.unit_start[i], r.unit_end[i],
                           r.unit_section_count[i])
                      for i in range(r.unit_count)]

    @property
    def root(self) -> Unit:
        return self.units[0]

    def sections(self, unit: int = 0) -> list[Section]:
        """The sections of one unit, its nested units' sections left out."""
        return sections_of(self.data, self.scan, unit)

    def section_name(self, unit: int, section_id: int) -> str:
        if self.units[unit].kind == "component":
            return COMPONENT_SECTION_NAMES[section_id]
        from .._native.scan import CORE_SECTION_NAMES
        return CORE_SECTION_NAMES[section_id]

    def modules(self) -> list[Unit]:
        return [u for u in self.units if u.kind == "module"]

    def children(self, unit: int) -> list[Unit]:
        return [u for u in self.units if u.parent == unit]

    def module(self, unit: int) -> Module:
        u = self.units[unit]
        if u.kind != "module":
            raise ValueError(f"unit {unit} is a component")
        return Module(self.data, u.start, u.end, self.path)

    def unit_bytes(self, unit: int) -> memoryview:
        u = self.units[unit]
        return self.data[u.start:u.end]

    def sha256(self, unit: int) -> str:
        u = self.units[unit]
        return hashing.sha256(self.data, u.start, u.size).hex()

    def xxh3(self, unit: int) -> int:
        u = self.units[unit]
        return hashing.xxh3_64(self.data, u.start, u.size)
