"""LEB128 in the native core: exactly the core spec's rules, checked against a plain-Python
oracle on every encoding hypothesis can think of, and on the spec's own malformed cases."""
import pytest
from hypothesis import given, settings, strategies as st

from wasmlink._native import leb128
from wasmlink.errors import ParseError

from support import leb128_reference as reference

DECODERS = {
    (32, False): leb128.decode_u32, (32, True): leb128.decode_s32,
    (64, False): leb128.decode_u64, (64, True): leb128.decode_s64,
}
KIND_MESSAGES = {"end": "unexpected end", "long": "integer representation too long",
                 "large": "integer too large"}


@settings(max_examples=3000, deadline=None)
@given(st.binary(min_size=0, max_size=12), st.sampled_from(sorted(DECODERS)))
def test_native_decoders_agree_with_the_spec_oracle_on_any_bytes(data, form):
    bits, signed = form
    try:
        expected = reference.decode(data, 0, bits, signed)
    except ValueError as e:
        with pytest.raises(ParseError, match=KIND_MESSAGES[str(e)]):
            DECODERS[form](data, 0)
    else:
        assert DECODERS[form](data, 0) == expected


@given(st.integers(0, 2**32 - 1), st.integers(0, 5))
def test_u32_encodings_round_trip_at_every_width(value, width):
    encoded = leb128.encode_u32(value, width)
    assert len(encoded) == max(width, reference.decode(encoded, 0, 32, False)[1])
    assert leb128.decode_u32(encoded) == (value, len(encoded))


@given(st.integers(-2**31, 2**31 - 1), st.integers(0, 5))
def test_s32_encodings_round_trip_at_every_width(value, width):
    encoded = leb128.encode_s32(value, width)
    assert leb128.decode_s32(encoded) == (value, len(encoded))


@given(st.integers(0, 2**64 - 1), st.integers(0, 10))
def test_u64_encodings_round_trip_at_every_width(value, width):
    encoded = leb128.encode_u64(value, width)
    assert leb128.decode_u64(encoded) == (value, len(encoded))


@given(st.integers(-2**63, 2**63 - 1), st.integers(0, 10))
def test_s64_encodings_round_trip_at_every_width(value, width):
    encoded = leb128.encode_s64(value, width)
    assert leb128.decode_s64(encoded) == (value, len(encoded))


@given(st.integers(0, 2**32 - 1))
def test_padded_u32_is_five_bytes_and_equals_the_width_5_encoding(value):
    assert leb128.padded_u32(value) == leb128.encode_u32(value, 5)


@given(st.integers(-2**31, 2**31 - 1))
def test_padded_s32_is_five_bytes_and_equals_the_width_5_encoding(value):
    assert leb128.padded_s32(value) == leb128.encode_s32(value, 5)


@given(st.integers(0, 2**64 - 1))
def test_padded_u64_is_ten_bytes(value):
    assert leb128.padded_u64(value) == leb128.encode_u64(value, 10)


@given(st.integers(-2**63, 2**63 - 1))
def test_padded_s64_is_ten_bytes(value):
    assert leb128.padded_s64(value) == leb128.encode_s64(value, 10)


def test_minimal_encodings_are_the_textbook_ones():
    assert leb128.encode_u32(624485) == b"\xe5\x8e\x26"
    assert leb128.encode_s32(-123456) == b"\xc0\xbb\x78"
    assert leb128.encode_s32(63) == b"\x3f"
    assert leb128.encode_s32(64) == b"\xc0\x00"
    assert leb128.encode_s32(-64) == b"\x40"
    assert leb128.encode_s32(-65) == b"\xbf\x7f"


# the malformed cases of the core spec's binary-leb128.wast, as raw bytes
@pytest.mark.parametrize("data, decoder, message", [
    (b"\x80\x80\x80\x80\x80\x00", leb128.decode_u32, "integer representation too long"),
    (b"\x80\x80\x80\x80\x10", leb128.decode_u32, "integer too large"),
    (b"\x80\x80\x80\x80\x40", leb128.decode_u32, "integer too large"),
    (b"\xff\xff\xff\xff\x7f", leb128.decode_u32, "integer too large"),
    (b"\x80\x80\x80\x80\x70", leb128.decode_s32, "integer too large"),
    (b"\xff\xff\xff\xff\x0f", leb128.decode_s32, "integer too large"),
    (b"\x80\x80\x80\x80\x1f", leb128.decode_s32, "integer too large"),
    (b"\xff\xff\xff\xff\x4f", leb128.decode_s32, "integer too large"),
    (b"\x80" * 10 + b"\x00", leb128.decode_u64, "integer representation too long"),
    (b"\x80" * 9 + b"\x02", leb128.decode_u64, "integer too large"),
    (b"\x80" * 9 + b"\x7e", leb128.decode_s64, "integer too large"),
    (b"\xff" * 9 + b"\x01", leb128.decode_s64, "integer too large"),
    (b"\x80\x80", leb128.decode_u32, "unexpected end"),
    (b"", leb128.decode_s64, "unexpected end"),
])
def test_spec_malformed_encodings_are_rejected(data, decoder, message):
    with pytest.raises(ParseError, match=message) as info:
        decoder(data, 0)
    assert info.value.offset == 0


def test_errors_name_the_offset_of_the_integer():
    with pytest.raises(ParseError) as info:
        leb128.decode_u32(b"\x00\x00\x00\x80\x80\x80\x80\x80\x01", 3)
    assert info.value.offset == 3
    assert "at offset 0x3" in str(info.value)


@pytest.mark.parametrize("encode, value", [
    (leb128.encode_u32, 2**32), (leb128.encode_u32, -1), (leb128.encode_s32, 2**31),
    (leb128.encode_u64, 2**64), (leb128.encode_s64, -2**63 - 1),
])
def test_encoding_an_out_of_range_value_is_refused(encode, value):
    with pytest.raises(ValueError):
        encode(value)
