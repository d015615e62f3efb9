"""The native fast paths for the segment-info and comdat subsections (ext/reloc.pyx) accept
exactly what the Python readers accept, with the same result; on anything else they decline
(None), and the Python reader raises the precise error."""
from hypothesis import given, strategies as st

from wasmlink._native.leb128 import encode_u32
from wasmlink._native.reloc import comdat_entries, segment_info_columns
from wasmlink.binary.linking import _read_comdats, _read_segment_info
from wasmlink.binary.reader import Reader
from wasmlink.errors import ParseError


def python_result(reader, payload: bytes):
    r = Reader(payload, 0, len(payload), "test")
    try:
        out = reader(r)
        r.expect_end("subsection")
        return out
    except ParseError:
        return None


def name(text: str) -> bytes:
    raw = text.encode()
    return encode_u32(len(raw)) + raw


def test_segment_info_is_read_natively():
    payload = encode_u32(2) + name(".rodata.x") + b"\x02\x01" + name(".data") + b"\x00\x00"
    assert segment_info_columns(payload, 0, len(payload)) == (
        [".rodata.x", ".data"], [2, 0], [1, 0])


def test_a_repeated_comdat_name_is_left_to_the_python_reader():
    payload = encode_u32(2) + name("g") + b"\x00\x00" + name("g") + b"\x00\x00"
    assert comdat_entries(payload, 0, len(payload)) is None
    assert python_result(_read_comdats, payload) is None


@given(st.binary(max_size=40))
def test_segment_info_fast_path_agrees_with_python(payload):
    fast = segment_info_columns(payload, 0, len(payload))
    slow = python_result(_read_segment_info, payload)
    if fast is not None:
        assert slow == [tuple(row) for row in zip(*fast)]
    else:
        assert slow is None


@given(st.binary(max_size=40))
def test_comdat_fast_path_agrees_with_python(payload):
    fast = comdat_entries(payload, 0, len(payload))
    slow = python_result(_read_comdats, payload)
    if fast is not None:
        assert slow == fast
    else:
        assert slow is None


@given(st.lists(st.tuples(st.text(min_size=1, max_size=5),
                          st.lists(st.tuples(st.integers(0, 5), st.integers(0, 300)), max_size=3)),
                max_size=4, unique_by=lambda c: c[0]))
def test_valid_comdats_are_read_natively(comdats):
    payload = encode_u32(len(comdats)) + b"".join(
        name(n) + b"\x00" + encode_u32(len(es)) + b"".join(encode_u32(k) + encode_u32(i) for k, i in es)
        for n, es in comdats)
    fast = comdat_entries(payload, 0, len(payload))
    assert fast == [(n, 0, tuple(es)) for n, es in comdats]
    assert python_result(_read_comdats, payload) == fast
