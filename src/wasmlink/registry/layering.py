"""Dedup layering (`push --dedup`): a component split into a root and its large children, and the
exact reassembly of the original bytes from them.

Linking.md's registry sketch: common modules are placed "in separate OCI layers which are
imported via hashname by the root component stored in the first layer". So the root is the
original component with each large nested core module replaced, in place, by an import named by
its content hash, ``integrity=<sha256-BASE64>``, typed with the module's own type (its imports and
exports). A runtime that supplies modules by hash can instantiate the root as it is
(`wasmlink.instantiate_component`); `pull` puts the children back.

Why in place: a core module section and a core-module import both take the next index of the
core module space, so an import standing where the section stood leaves every later index as it
was, and nothing else in the root needs rewriting. The types of the imports go in one new core
type section, placed before the first child; it takes the next core type indexes, which keeps
every existing one only if no core type is defined after it, so children before the root's last
core type definition stay inline (wit-component's output defines none at the root, so in practice
every child qualifies). Only the first copy of a module becomes an import: an import name may
appear once.

Byte exactness: the original's section headers may pad their sizes (LLVM writes 5-byte LEBs),
which re-encoding would not reproduce, so the split records a recipe instead of trusting an
encoder: where the type section and each import stand in the root, and each child's original
section header. Reassembly splices the children back by it and checks the whole's sha256.
"""
from __future__ import annotations

import hashlib
from typing import NamedTuple

from ..binary.component import Component as ComponentView
from ..binary.reader import Reader
from ..component import model as cm
from ..component.decode import read_section
from ..component.encode import section_chunks
from ..component.names import integrity_name
from ..errors import ParseError, WasmlinkError

DEFAULT_MIN_SIZE = 64 * 1024         # smaller children cost more in layer overhead than they save
CORE_MODULE_SECTION = 1
CORE_TYPE_SECTION = 3
ALIAS_SECTION = 6


class Child(NamedTuple):
    """One child moved out of the root: its content and where it stood in both forms."""
    digest: str                      # "sha256:<hex>" of the child's bytes (its OCI blob digest)
    data: memoryview                 # the child's bytes, a view of the original
    header: bytes                    # the original section header (id byte and size LEB)
    root_start: int                  # the import section standing for it in the root
    root_end: int


class Split(NamedTuple):
    root: bytes
    children: list                   # of Child, in the order they occur
    types_start: int                 # the core type section added to the root
    types_end: int
    original_digest: str
    original_size: int
    kept_inline: int                 # large modules that had to stay (see the module docstring)


def split_component(data, *, min_size: int = DEFAULT_MIN_SIZE, path: str | None = None) -> Split:
    """Split the component in ``data`` (bytes or a read-only mmap): children of at least
    ``min_size`` bytes out, hash imports in. A component with none gives a root equal to it."""
    from ..wrap.module_type import module_type_of
    view = ComponentView(data, path=path)
    sections = view.sections(0)
    mem = memoryview(data)
    last_type_definition = _last_core_type_definition(mem, sections, path)
    type_count = _core_type_count(mem, sections, path)
    seen: set = set()
    chosen = []                      # (section index, digest bytes)
    kept_inline = 0
    for i, s in enumerate(sections):
        if s.id != CORE_MODULE_SECTION or s.size < min_size:
            continue
        digest = hashlib.sha256(mem[s.payload:s.end]).digest()
        if digest in seen:
            continue                 # a second copy stays inline: one import per name
        if i < last_type_definition:
            kept_inline += 1
            continue
        seen.add(digest)
        chosen.append((i, digest))
    original_digest = "sha256:" + hashlib.sha256(mem).hexdigest()
    if not chosen:
        return Split(bytes(mem), [], 0, 0, original_digest, len(mem), kept_inline)

    types = tuple(module_type_of(mem, sections[i].payload, sections[i].end, path)
                  for i, _ in chosen)
    type_section = b"".join(section_chunks(cm.CoreTypeSection(types)))
    by_section = {i: (n, digest) for n, (i, digest) in enumerate(chosen)}
    out = [bytes(mem[:sections[0].start])] if sections else [bytes(mem)]
    size = len(out[0])
    types_start = types_end = 0
    children = []
    for i, s in enumerate(sections):
        if i == chosen[0][0]:
            types_start = size
            out.append(type_section)
            size += len(type_section)
            types_end = size
        if i not in by_section:
            out.append(mem[s.start:s.end])
            size += s.end - s.start
            continue
        n, digest = by_section[i]
        imp = cm.Import(integrity_name(digest), cm.ExternType("module", type_count + n))
        encoded = b"".join(section_chunks(cm.ImportSection((imp,))))
        children.append(Child("sha256:" + digest.hex(), mem[s.payload:s.end],
                              bytes(mem[s.start:s.payload]), size, size + len(encoded)))
        out.append(encoded)
        size += len(encoded)
    return Split(b"".join(out), children, types_start, types_end, original_digest, len(mem),
                 kept_inline)


def reassemble(root, children, types_start: int, types_end: int, expected_digest: str,
               path: str = "component") -> bytes:
    """The original component from its root and ``children``: (root_start, root_end, header,
    child bytes) in root order. Raises when the result's sha256 is not ``expected_digest``."""
    root = memoryview(root)
    pieces = [root[:types_start]]
    at = types_end
    for start, end, header, data in sorted(children, key=lambda c: c[0]):
        if start < at or end > len(root):
            raise WasmlinkError(f"dedup recipe out of order or out of range at {start}", path=path)
        pieces += [root[at:start], header, data]
        at = end
    pieces.append(root[at:])
    whole = b"".join(pieces)
    digest = "sha256:" + hashlib.sha256(whole).hexdigest()
    if digest != expected_digest:
        raise WasmlinkError(f"reassembled component has digest {digest}, expected "
                            f"{expected_digest}", path=path)
    return whole


def _core_type_count(mem, sections, path) -> int:
    """How many core types the root defines (core type sections and core type aliases)."""
    count = 0
    for s in sections:
        if s.id == CORE_TYPE_SECTION:
            count += Reader(mem, s.payload, s.end).u32("core type count")
        elif s.id == ALIAS_SECTION:
            count += sum(1 for a in _aliases(mem, s, path) if a.sort == "core type")
    return count


def _last_core_type_definition(mem, sections, path) -> int:
    """The index of the root's last section defining a core type; -1 for none."""
    last = -1
    for i, s in enumerate(sections):
        if s.id == CORE_TYPE_SECTION or (
                s.id == ALIAS_SECTION and any(a.sort == "core type"
                                              for a in _aliases(mem, s, path))):
            last = i
    return last


def _aliases(mem, s, path):
    try:
        return read_section(Reader(mem, s.payload, s.end, context="alias section"),
                            ALIAS_SECTION, 0, 1).items
    except ParseError as e:
        raise e.in_file(path) if path else e

