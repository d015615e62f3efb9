"""A plain-Python LEB128 written straight from the core spec's grammar: the oracle the native
core is checked against. Returns (value, next position) or raises ValueError(kind)."""


def decode(data: bytes, pos: int, bits: int, signed: bool):
    result = 0
    shift = 0
    max_bytes = -(-bits // 7)
    for n in range(max_bytes):
        if pos + n >= len(data):
            raise ValueError("end")
        b = data[pos + n]
        result |= (b & 0x7F) << shift
        shift += 7
        if n == max_bytes - 1:
            if b & 0x80:
                raise ValueError("long")
            # the bits of the last byte beyond `bits` must be zero (unsigned) or repeat the sign
            used = bits - 7 * (max_bytes - 1)
            extra = (b & 0x7F) >> used
            if signed:
                sign = (b >> (used - 1)) & 1
                if extra != (0 if sign == 0 else (1 << (7 - used)) - 1):
                    raise ValueError("large")
            elif extra:
                raise ValueError("large")
        if not b & 0x80:
            break
    if signed:
        result &= (1 << max(shift, bits)) - 1
        top = min(shift, bits)
        if result >> (top - 1) & 1 and shift <= bits:
            result -= 1 << shift
        elif shift > bits:
            result &= (1 << bits) - 1
            if result >> (bits - 1):
                result -= 1 << bits
    return result, pos + n + 1
