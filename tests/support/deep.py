"""Decode every part of a binary that wasmlink can decode: the oracle of the malformed-input
tests, which require that this either succeeds or raises a WasmlinkError, nothing else."""
from __future__ import annotations

import wasmlink
from wasmlink.binary.archive import Archive
from wasmlink.binary.component import Component
from wasmlink.binary.encode import encode_module
from wasmlink.binary.module import Module

CUSTOM_DECODERS = {}


def _custom_decoders():
    if not CUSTOM_DECODERS:
        from wasmlink.binary.dylink import decode_dylink
        from wasmlink.binary.names import decode_names
        from wasmlink.binary.producers import decode_producers, decode_target_features
        CUSTOM_DECODERS.update({"dylink.0": decode_dylink, "name": decode_names,
                                "producers": decode_producers,
                                "target_features": decode_target_features})
    return CUSTOM_DECODERS


def decode_module(m: Module) -> None:
    for s in m.sections:
        if s.id:
            m.decoded(s.id)
        elif s.name in _custom_decoders():
            decoded = _custom_decoders()[s.name](m.data, s.contents, s.end - s.contents)
            for attr in ("functions", "locals", "globals", "data_segments"):   # lazy name maps
                value = getattr(decoded, attr, None)
                if value is not None and hasattr(value, "names"):
                    value.names
    from wasmlink.binary.component_type import component_type_sections
    for section in component_type_sections(m):
        section.component(m.data)
    code = m.code
    if code is not None:
        for i in range(min(len(code), 50)):
            code.body(i)
    if m.is_relocatable:
        linking = m.linking()
        for i in range(len(linking.symbols)):
            linking.symbols.name(i)
        m.relocations()
    encode_module(m)


def decode_everything(path) -> None:
    wasmlink.inspect(path)
    view = wasmlink.read(path)
    if isinstance(view, Module):
        decode_module(view)
    elif isinstance(view, Component):
        for u in view.modules():
            decode_module(view.module(u.index))
    elif isinstance(view, Archive):
        for i in range(len(view.members)):
            if view.member_kind(i) == "module":
                start = view.members.data_offsets[i]
                decode_module(Module(view.data, start, start + view.members.sizes[i],
                                     path=view.member_path(i)))
        view.symbols
