"""The "producers" and "target_features" custom sections.

producers (tool-conventions ProducersSection.md) records the tools that made a module: a vector
of fields, each a name ("language", "processed-by", "sdk") and a vector of (name, version)
pairs. target_features (Linking.md) is a vector of (prefix, feature name): "+" the module uses
the feature, "-" it must not be linked with it, "=" (legacy, dropped from the spec, still in old
objects) every module of the link must use it. Both are small, so they are decoded whole into
plain lists.

The decoders keep what they find: field names outside the known three, repeated fields and
repeated features are the linker's business when it merges these sections (wasm-ld refuses some
of them), not a reason to reject the bytes. A prefix other than the three is an error: the entry
means nothing without it.
"""
from __future__ import annotations

from typing import NamedTuple

from .._native.leb128 import encode_u32
from .names import append_name
from .reader import Reader

PRODUCERS_SECTION_NAME = "producers"
TARGET_FEATURES_SECTION_NAME = "target_features"

LANGUAGE = "language"
PROCESSED_BY = "processed-by"
SDK = "sdk"

USED = "+"
DISALLOWED = "-"
REQUIRED = "="
FEATURE_PREFIXES = (USED, DISALLOWED, REQUIRED)


class ProducersField(NamedTuple):
    """One field: its name and its (name, version) pairs in file order."""
    name: str
    values: list[tuple[str, str]] = []


class ProducersSection(NamedTuple):
    fields: list[ProducersField] = []

    def get(self, name: str) -> list[tuple[str, str]]:
        """The (name, version) pairs of every field called ``name``, joined."""
        return [v for f in self.fields if f.name == name for v in f.values]

    @property
    def language(self) -> list[tuple[str, str]]:
        return self.get(LANGUAGE)

    @property
    def processed_by(self) -> list[tuple[str, str]]:
        return self.get(PROCESSED_BY)

    @property
    def sdk(self) -> list[tuple[str, str]]:
        return self.get(SDK)


class TargetFeatures(NamedTuple):
    """(prefix, feature) entries in file order; prefix is "+", "-" or "="."""
    entries: list[tuple[str, str]] = []

    def with_prefix(self, prefix: str) -> list[str]:
        return [name for p, name in self.entries if p == prefix]

    @property
    def used(self) -> list[str]:
        return self.with_prefix(USED)

    @property
    def disallowed(self) -> list[str]:
        return self.with_prefix(DISALLOWED)

    @property
    def required(self) -> list[str]:
        return self.with_prefix(REQUIRED)


def decode_producers(data, payload_offset: int, payload_size: int) -> ProducersSection:
    """Decode a "producers" payload (the bytes after the section's own name)."""
    r = Reader(data, payload_offset, payload_offset + payload_size,
               f"section {PRODUCERS_SECTION_NAME}")
    fields = []
    # a field is at least a name length and a value count; a value two name lengths
    for _ in range(r.count("producers field", 2)):
        name = r.name("producers field name")
        values = [(r.name("producer name"), r.name("producer version"))
                  for _ in range(r.count(f"{name} value", 2))]
        fields.append(ProducersField(name, values))
    r.expect_end("producers section")
    return ProducersSection(fields)


def decode_target_features(data, payload_offset: int, payload_size: int) -> TargetFeatures:
    """Decode a "target_features" payload (the bytes after the section's own name)."""
    r = Reader(data, payload_offset, payload_offset + payload_size,
               f"section {TARGET_FEATURES_SECTION_NAME}")
    entries = []
    # an entry is at least a prefix byte and a name length
    for _ in range(r.count("target feature", 2)):
        at = r.pos
        prefix = chr(r.byte("target feature prefix"))
        if prefix not in FEATURE_PREFIXES:
            raise r.error(f"unknown target feature prefix 0x{ord(prefix):02x}: expected "
                          f"'+', '-' or '='", at)
        entries.append((prefix, r.name("target feature name")))
    r.expect_end("target_features section")
    return TargetFeatures(entries)


def encode_producers(section: ProducersSection) -> bytes:
    """The payload of a "producers" section (without the section's own name)."""
    out = bytearray(encode_u32(len(section.fields)))
    for f in section.fields:
        append_name(out, f.name)
        out += encode_u32(len(f.values))
        for name, version in f.values:
            append_name(out, name)
            append_name(out, version)
    return bytes(out)


def encode_target_features(features: TargetFeatures) -> bytes:
    """The payload of a "target_features" section (without the section's own name)."""
    out = bytearray(encode_u32(len(features.entries)))
    for prefix, name in features.entries:
        if prefix not in FEATURE_PREFIXES:
            raise ValueError(f"unknown target feature prefix {prefix!r}")
        out += prefix.encode("ascii")
        append_name(out, name)
    return bytes(out)
