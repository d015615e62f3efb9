"""The Component Model binary format: decode a component into a typed model, encode it back.

    >>> from wasmlink.component import decode_component, encode_component
    >>> c = decode_component(data)                 # model.Component: its sections, in order
    >>> [i.name for i in c.imports]
    >>> assert encode_component(c) == data         # byte-identical on real components
    >>> parse_name("wasi:io/poll@0.2.9")            # InterfaceName('wasi', 'io', 'poll', '0.2.9')
    >>> integrity_name_of(data)                     # 'integrity=<sha256-...>'

Modules: ``model`` (the data model), ``decode`` (bytes → model), ``encode`` (model → bytes),
``names`` (the import/export name grammar). Nested core modules stay undecoded windows of the
input; read them with ``wasmlink.binary.module.Module`` when needed.
"""
from __future__ import annotations

from . import model
from .decode import decode_component
from .encode import component_chunks, encode_component
from .model import Component
from .names import (
    HashName, InterfaceName, LockedDepName, NameSyntaxError, PlainName, UnlockedDepName, UrlName,
    integrity_name, integrity_name_of, parse_export_name, parse_name, split_version,
    uniqueness_key,
)

__all__ = [
    "decode_component", "encode_component", "component_chunks", "Component", "model",
    "parse_name", "parse_export_name", "integrity_name", "integrity_name_of", "split_version",
    "uniqueness_key", "NameSyntaxError", "PlainName", "InterfaceName", "UnlockedDepName",
    "LockedDepName", "UrlName", "HashName",
]
