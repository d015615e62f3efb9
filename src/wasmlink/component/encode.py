"""Encoding the model back to a component binary: ``model.Component`` → bytes.

The mirror of decode.py, production for production. LEB128s are minimal (what wasm-encoder,
and so wit-component, wasm-tools, componentize-py and jco, write) except where the model
recorded a wider section size or item count from its input; the two-way encodings of the grammar
(the nameattributes prefix, explicit final subtypes) are written as recorded. Together these make
decode → encode byte-identical on the components those producers make.

Output is built as a list of chunks (nested module bytes are appended as the input windows they
are) and joined once at the end; section sizes are the sum of their chunks' lengths.
"""
from __future__ import annotations

from .._native.leb128 import encode_s64, encode_u32
from ..binary.encode import encode_import_desc, encode_name, encode_valtype as encode_core_valtype
from ..binary.types import FuncType as CoreFuncType, Import as CoreImport
from ..errors import UsageError
from . import model as m
from .decode import COMPONENT_PREAMBLE

u32 = encode_u32


def encode_component(component: m.Component) -> bytes:
    return b"".join(component_chunks(component))


def component_chunks(component: m.Component) -> list:
    chunks = [COMPONENT_PREAMBLE]
    for s in component.sections:
        chunks += section_chunks(s)
    return chunks


def section_chunks(s) -> list:
    if isinstance(s, m.CustomSection):
        body = [encode_name(s.name), s.payload]
    elif isinstance(s, m.CoreModuleSection):
        body = [s.data]
    elif isinstance(s, m.ComponentSection):
        body = component_chunks(s.component)
    elif isinstance(s, m.StartSection):
        body = [encode_start(s.start)]
    elif type(s) in _VEC_SECTION_TYPES:
        enc = ITEM_ENCODERS[s.id]
        body = [u32(len(s.items), s.count_width)] + [enc(item) for item in s.items]
    else:
        raise UsageError(f"not a component section: {type(s).__name__}")
    size = sum(len(c) for c in body)
    return [bytes([s.id]) + u32(size, s.size_width)] + body


_VEC_SECTION_TYPES = frozenset(m.VEC_SECTIONS.values())


# --- small pieces -----------------------------------------------------------------------------

def encode_core_sort(sort: str) -> bytes:
    return bytes([m.CORE_SORT_CODES[sort]])


def encode_sort(sort: str) -> bytes:
    if sort in m.SORT_CODES:
        return bytes([m.SORT_CODES[sort]])
    return b"\x00" + encode_core_sort(sort)


def encode_sortidx(item: m.SortIdx) -> bytes:
    return encode_sort(item.sort) + u32(item.index)


def encode_vec(items, enc) -> bytes:
    return u32(len(items)) + b"".join(enc(i) for i in items)


def encode_name_attributes(name: str, form: int, attributes: tuple) -> bytes:
    out = bytes([form]) + encode_name(name)
    if form != 2:
        return out
    return out + encode_vec(attributes, encode_attribute)


def encode_attribute(a) -> bytes:
    if isinstance(a, m.Implements):
        return b"\x00" + encode_name(a.interface)
    if isinstance(a, m.VersionSuffix):
        return b"\x01" + encode_name(a.suffix)
    return b"\x02" + encode_name(a.name)


def encode_valtype(t) -> bytes:
    if isinstance(t, str):
        return bytes([m.PRIMITIVE_CODES[t]])
    return encode_s64(t)


def encode_optional(value, enc) -> bytes:
    return b"\x00" if value is None else b"\x01" + enc(value)


def encode_optional_valtype(t) -> bytes:
    return encode_optional(t, encode_valtype)


def encode_field(f: m.Field) -> bytes:
    return encode_name(f.label) + encode_valtype(f.type)


def encode_result_list(t) -> bytes:
    return b"\x01\x00" if t is None else b"\x00" + encode_valtype(t)


# --- core instances and core types --------------------------------------------------------------

def encode_core_instance(item) -> bytes:
    if isinstance(item, m.CoreInstantiate):
        return b"\x00" + u32(item.module) + encode_vec(
            item.args, lambda a: encode_name(a.name) + b"\x12" + u32(a.instance))
    return b"\x01" + encode_vec(
        item.exports, lambda e: encode_name(e.name) + encode_core_sort(e.sort) + u32(e.index))


def encode_field_type(f: m.CoreFieldType) -> bytes:
    if f.storage == "i8":
        storage = b"\x78"
    elif f.storage == "i16":
        storage = b"\x77"
    else:
        storage = encode_core_valtype(f.storage)
    return storage + bytes([int(f.mutable)])


def encode_comptype(t) -> bytes:
    if isinstance(t, CoreFuncType):
        return (b"\x60" + encode_vec(t.params, encode_core_valtype)
                + encode_vec(t.results, encode_core_valtype))
    if isinstance(t, m.CoreStructType):
        return b"\x5f" + encode_vec(t.fields, encode_field_type)
    return b"\x5e" + encode_field_type(t.field)


def encode_subtype(t, top_level: bool) -> bytes:
    if not isinstance(t, m.CoreSubType):
        return encode_comptype(t)
    if t.final:
        head = b"\x4f"
    else:
        head = b"\x00\x50" if top_level else b"\x50"   # Binary.md: the 0x50 ambiguity
    return head + encode_vec(t.supertypes, u32) + encode_comptype(t.comptype)


def encode_core_type(t) -> bytes:
    if isinstance(t, m.ModuleType):
        return b"\x50" + encode_vec(t.decls, encode_module_decl)
    if isinstance(t, m.CoreRecGroup):
        return b"\x4e" + encode_vec(t.types, lambda s: encode_subtype(s, False))
    return encode_subtype(t, True)


def encode_module_decl(d) -> bytes:
    if isinstance(d, CoreImport):
        return (b"\x00" + encode_name(d.module) + encode_name(d.name) + bytes([d.kind])
                + encode_import_desc(d.kind, d.desc))
    if isinstance(d, m.CoreOuterAlias):
        return b"\x02\x10\x01" + u32(d.count) + u32(d.index)
    if isinstance(d, m.CoreExportDecl):
        return (b"\x03" + encode_name(d.name) + bytes([d.kind])
                + encode_import_desc(d.kind, d.desc))
    return b"\x01" + encode_core_type(d)


# --- instances and aliases ----------------------------------------------------------------------

def encode_instance(item) -> bytes:
    if isinstance(item, m.Instantiate):
        return b"\x00" + u32(item.component) + encode_vec(
            item.args, lambda a: encode_name(a.name) + encode_sortidx(a.item))
    return b"\x01" + encode_vec(
        item.exports, lambda e: encode_name_attributes(e.name, e.name_form, e.attributes)
        + encode_sortidx(e.item))


def encode_alias(a) -> bytes:
    if isinstance(a, m.AliasExport):
        return encode_sort(a.sort) + b"\x00" + u32(a.instance) + encode_name(a.name)
    if isinstance(a, m.AliasCoreExport):
        return encode_sort(a.sort) + b"\x01" + u32(a.instance) + encode_name(a.name)
    return encode_sort(a.sort) + b"\x02" + u32(a.count) + u32(a.index)


# --- types --------------------------------------------------------------------------------------

def _variant_case(c: m.Case) -> bytes:
    return encode_name(c.label) + encode_optional_valtype(c.type) + b"\x00"


_TYPE_ENCODERS = {
    m.PrimitiveType: lambda t: bytes([m.PRIMITIVE_CODES[t.name]]),
    m.RecordType: lambda t: b"\x72" + encode_vec(t.fields, encode_field),
    m.VariantType: lambda t: b"\x71" + encode_vec(t.cases, _variant_case),
    m.ListType: lambda t: b"\x70" + encode_valtype(t.element),
    m.FixedListType: lambda t: b"\x67" + encode_valtype(t.element) + u32(t.length),
    m.TupleType: lambda t: b"\x6f" + encode_vec(t.types, encode_valtype),
    m.FlagsType: lambda t: b"\x6e" + encode_vec(t.labels, encode_name),
    m.EnumType: lambda t: b"\x6d" + encode_vec(t.labels, encode_name),
    m.OptionType: lambda t: b"\x6b" + encode_valtype(t.type),
    m.ResultType: lambda t: (b"\x6a" + encode_optional_valtype(t.ok)
                             + encode_optional_valtype(t.error)),
    m.OwnType: lambda t: b"\x69" + u32(t.resource),
    m.BorrowType: lambda t: b"\x68" + u32(t.resource),
    m.StreamType: lambda t: b"\x66" + encode_optional_valtype(t.element),
    m.FutureType: lambda t: b"\x65" + encode_optional_valtype(t.element),
    m.MapType: lambda t: b"\x63" + encode_valtype(t.key) + encode_valtype(t.value),
    m.FuncType: lambda t: ((b"\x43" if t.is_async else b"\x40")
                           + encode_vec(t.params, encode_field) + encode_result_list(t.result)),
    m.ComponentType: lambda t: b"\x41" + encode_vec(t.decls, encode_decl),
    m.InstanceType: lambda t: b"\x42" + encode_vec(t.decls, encode_decl),
    m.ResourceType: lambda t: (b"\x3f" + encode_core_valtype(t.rep)
                               + encode_optional(t.dtor, u32)),
}


def encode_type(t) -> bytes:
    try:
        enc = _TYPE_ENCODERS[type(t)]
    except KeyError:
        raise UsageError(f"not a component type definition: {t!r}") from None
    return enc(t)


def encode_decl(d) -> bytes:
    if isinstance(d, m.CoreTypeDecl):
        return b"\x00" + encode_core_type(d.type)
    if isinstance(d, (m.AliasExport, m.AliasCoreExport, m.AliasOuter)):
        return b"\x02" + encode_alias(d)
    if isinstance(d, m.ImportDecl):
        return (b"\x03" + encode_name_attributes(d.name, d.name_form, d.attributes)
                + encode_externtype(d.type))
    if isinstance(d, m.ExportDecl):
        return (b"\x04" + encode_name_attributes(d.name, d.name_form, d.attributes)
                + encode_externtype(d.type))
    return b"\x01" + encode_type(d)


def encode_externtype(t: m.ExternType) -> bytes:
    k = t.kind
    if k == "module":
        return b"\x00\x11" + u32(t.index)
    if k == "func":
        return b"\x01" + u32(t.index)
    if k == "value":
        return b"\x02" + encode_valtype(t.index)     # as wasm-tools: see decode.read_externtype
    if k == "type":
        if t.bound == "eq":
            return b"\x03\x00" + u32(t.index)
        return b"\x03\x01"
    if k == "component":
        return b"\x04" + u32(t.index)
    if k == "instance":
        return b"\x05" + u32(t.index)
    raise UsageError(f"invalid extern type kind {k!r}")


# --- canonical definitions ------------------------------------------------------------------------

def encode_options(opts: m.CanonOptions) -> bytes:
    return encode_vec(opts.items, lambda o: bytes([o.code]) + (b"" if o.index is None
                                                                else u32(o.index)))


def _flag(value: bool) -> bytes:
    return b"\x01" if value else b"\x00"


_IMMEDIATE_ENCODERS = {
    "typeidx": u32, "core:typeidx": u32, "core:tableidx": u32, "core:memoryidx": u32, "u32": u32,
    "opts": encode_options, "resultlist": encode_result_list, "core:valtype": encode_core_valtype,
    "async?": _flag, "cancel?": _flag, "sh?": _flag,
}


def encode_canon(c) -> bytes:
    if isinstance(c, m.Lift):
        return b"\x00\x00" + u32(c.core_func) + encode_options(c.options) + u32(c.type)
    if isinstance(c, m.Lower):
        return b"\x01\x00" + u32(c.func) + encode_options(c.options)
    if isinstance(c, m.ResourceNew):
        return b"\x02" + u32(c.resource)
    if isinstance(c, m.ResourceDrop):
        return b"\x03" + u32(c.resource)
    if isinstance(c, m.ResourceRep):
        return b"\x04" + u32(c.resource)
    shape = m.BUILTINS[c.opcode][1]
    if len(shape) != len(c.immediates):
        raise UsageError(f"canon {c.name} takes {len(shape)} immediates, got "
                         f"{len(c.immediates)}")
    return bytes([c.opcode]) + b"".join(_IMMEDIATE_ENCODERS[kind](v)
                                        for kind, v in zip(shape, c.immediates))


# --- start, imports, exports, values --------------------------------------------------------------

def encode_start(s: m.Start) -> bytes:
    return u32(s.func) + encode_vec(s.args, u32) + u32(s.results)


def encode_import(i: m.Import) -> bytes:
    return encode_name_attributes(i.name, i.name_form, i.attributes) + encode_externtype(i.type)


def encode_export(e: m.Export) -> bytes:
    return (encode_name_attributes(e.name, e.name_form, e.attributes) + encode_sortidx(e.item)
            + encode_optional(e.type, encode_externtype))


def encode_value(v: m.Value) -> bytes:
    return encode_valtype(v.type) + u32(len(v.payload)) + bytes(v.payload)


ITEM_ENCODERS = {
    2: encode_core_instance, 3: encode_core_type, 5: encode_instance, 6: encode_alias,
    7: encode_type, 8: encode_canon, 10: encode_import, 11: encode_export, 12: encode_value,
}
