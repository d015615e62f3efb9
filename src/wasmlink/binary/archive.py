"""Reading `ar` archives: where each member lies, and the symbol index that says which to pull.

An archive is the 8-byte magic ``!<arch>\\n`` and then members, each a 60-byte text header (name,
date, uid, gid, mode, decimal size, the terminator "`\\n") followed by its data, padded to an even
offset (the pad byte must be there, as LLVM requires). Opening an archive hops from header to
header once, recording each member's header offset, data offset, size and name in
``array.array`` columns; nothing inside a member is read.
Two dialects name members differently, and both are accepted member by member:

- GNU: ``name/`` for short names; ``/123`` for a name at byte 123 of the long-name table, a
  member called ``//`` whose entries end with ``/\\n``; the symbol index is a member called ``/``
  (big-endian u32 count, u32 header offsets, NUL-terminated names) or ``/SYM64/`` (the same in
  u64).
- BSD: ``#1/len`` means the name is the first ``len`` bytes of the member data (NUL padded); the
  symbol index is ``__.SYMDEF`` or ``__.SYMDEF SORTED`` (little-endian u32 byte size of an array
  of (name offset, header offset) pairs, the pairs, u32 string table size, the strings) or
  ``__.SYMDEF_64`` with u64 fields.

The symbol index is decoded only when first asked for (lld's "do not read what you do not need"),
in bulk: offsets through ``array.frombytes`` and ``byteswap``, names through one ``bytes.split``,
and the name -> member dict built from two zipped columns. Every count is checked against the
bytes present before anything is sized by it. An archive without an index is valid: wasm-ld then
reads each member's own symbol table, and so must the linker. Thin archives (``!<thin>\\n``, the
members are paths to other files) are refused with UnsupportedError.
"""
from __future__ import annotations

import sys
from array import array
from bisect import bisect_right
from typing import NamedTuple

from ..errors import ParseError, UnsupportedError, WasmlinkError
from .files import ARCHIVE_MAGIC, THIN_ARCHIVE_MAGIC, MappedFile, detect_kind

HEADER_SIZE = 60
_HEADER_CONTEXT = "archive member header"
_INDEX_CONTEXT = "archive symbol index"

# typecodes whose items are exactly 4 and 8 bytes on this platform
_U32 = next(t for t in "IL" if array(t).itemsize == 4)
_U64 = next(t for t in "LQ" if array(t).itemsize == 8)

_GNU_INDEX_NAMES = {b"/": 4, b"/SYM64/": 8}
_BSD_INDEX_NAMES = {b"__.SYMDEF": 4, b"__.SYMDEF SORTED": 4,
                    b"__.SYMDEF_64": 8, b"__.SYMDEF_64 SORTED": 8}


def member_display_name(archive_path: str, member_name: str) -> str:
    """How tools name a member in messages: ``libc.a(printf.o)``, with the archive path as given."""
    return f"{archive_path}({member_name})"


class Member(NamedTuple):
    """One row of :class:`Members`, for display and tests only."""
    name: str
    header_offset: int
    data_offset: int
    size: int


class Members:
    """The regular members (not the index or the long-name table), in file order, as columns."""

    __slots__ = ("names", "header_offsets", "data_offsets", "sizes")

    def __init__(self):
        self.names: list[str] = []
        self.header_offsets = array(_U64)
        self.data_offsets = array(_U64)
        self.sizes = array(_U64)

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, i: int) -> Member:
        return Member(self.names[i], self.header_offsets[i], self.data_offsets[i], self.sizes[i])

    def __iter__(self):
        return map(Member, self.names, self.header_offsets, self.data_offsets, self.sizes)


class Archive:
    """The members of an archive and, decoded on first use, its symbol index.

    ``source`` is a :class:`MappedFile` (its path is used) or any bytes-like object. All offsets
    are absolute in it. ``format`` is 'gnu' or 'bsd' (from how the first member is named);
    ``index_kind`` is 'gnu', 'gnu64', 'bsd', 'bsd64' or None when there is no index.
    """

    __slots__ = ("path", "data", "format", "members", "index_kind", "index_offset", "index_size",
                 "_file", "_symbol_names", "_symbol_members", "_symbols")

    def __init__(self, source, path: str | None = None):
        self._file = None                           # set by open(): the mapping we own
        if isinstance(source, MappedFile):
            path = source.path if path is None else path
            data = source.data
        else:
            data = memoryview(source)
            if data.format != "B" or data.ndim != 1:
                data = data.cast("B")
        self.path = path
        self.data = data
        self.format = "gnu"
        self.members = Members()
        self.index_kind: str | None = None
        self.index_offset = 0
        self.index_size = 0
        self._symbol_names: list[str] | None = None
        self._symbol_members = None
        self._symbols: dict[str, int] | None = None
        try:
            self._read_members()
        except WasmlinkError as e:
            raise e.in_file(path) if path is not None else e

    @classmethod
    def open(cls, path) -> "Archive":
        """Map ``path`` and read its member headers; ``close()`` (or ``with``) unmaps it."""
        mapped = MappedFile(path)
        try:
            archive = cls(mapped)
        except BaseException:
            mapped.close()
            raise
        archive._file = mapped
        return archive

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- members ---------------------------------------------------------------------------

    def member_data(self, i: int) -> memoryview:
        """The member's bytes: a zero-copy window into the archive."""
        start = self.members.data_offsets[i]
        return self.data[start:start + self.members.sizes[i]]

    def member_kind(self, i: int) -> str:
        """What the member holds, by its first bytes: 'module' (a wasm object file),
        'component', 'bitcode', 'archive' or 'unknown' (see :func:`detect_kind`)."""
        return detect_kind(self.member_data(i))

    def member_path(self, i: int) -> str:
        """The member's name for messages: ``libc.a(printf.o)``."""
        return member_display_name(self.path or "<archive>", self.members.names[i])

    def _read_members(self) -> None:
        data = self.data
        end = len(data)
        head = bytes(data[:8])
        if head == THIN_ARCHIVE_MAGIC:
            raise UnsupportedError("thin archives are not supported")
        if head != ARCHIVE_MAGIC:
            if ARCHIVE_MAGIC.startswith(head):
                raise ParseError("unexpected end of input: expected the archive magic "
                                 "'!<arch>\\n'", 0)
            raise ParseError("bad archive magic: expected '!<arch>\\n'", 0)
        members = self.members
        long_names: bytes | None = None
        long_names_offset = 0
        pos = 8
        while pos < end:
            if end - pos < HEADER_SIZE:
                raise ParseError(f"unexpected end of input: expected a {HEADER_SIZE}-byte member "
                                 f"header, {end - pos} bytes left", pos, context=_HEADER_CONTEXT)
            header = bytes(data[pos:pos + HEADER_SIZE])
            if header[58:60] != b"`\n":
                raise ParseError(f"bad member header terminator {header[58:60]!r}: "
                                 f"expected b'`\\n'", pos + 58, context=_HEADER_CONTEXT)
            size = _decimal(header[48:58], pos + 48, "member size")
            start = pos + HEADER_SIZE
            if size > end - start:
                raise ParseError(f"member size {size} runs past the end of the file: "
                                 f"{end - start} bytes left", pos + 48, context=_HEADER_CONTEXT)
            next_pos = start + size + (size & 1)
            if next_pos > end:                      # as LLVM: the padding byte must be there
                raise ParseError("unexpected end of input: expected the padding byte after an "
                                 "odd-sized member", end, context=_HEADER_CONTEXT)
            raw = header[:16]
            name_offset = pos
            if pos == 8:
                self.format = "bsd" if raw.startswith(b"#1/") or b"/" not in raw else "gnu"
            if raw.startswith(b"#1/"):              # BSD: the name leads the member data
                length = _decimal(raw[3:], pos + 3, "BSD name length")
                if length > size:
                    raise ParseError(f"BSD name length {length} is larger than the member size "
                                     f"{size}", pos + 3, context=_HEADER_CONTEXT)
                name = bytes(data[start:start + length]).rstrip(b"\0")
                name_offset = start
                start += length
                size -= length
            elif raw.startswith(b"/"):
                tag = raw.rstrip(b" ")
                if tag == b"//":                    # GNU long-name table
                    if long_names is not None:
                        raise ParseError("second long-name table '//': expected one at most", pos,
                                         context=_HEADER_CONTEXT)
                    long_names = bytes(data[start:start + size])
                    long_names_offset = start
                    pos = next_pos
                    continue
                if raw[1:2].isdigit():              # GNU long name: /offset into the table
                    offset = _decimal(raw[1:], pos + 1, "long name offset")
                    name, name_offset = _long_name(long_names, long_names_offset, offset, pos + 1)
                else:
                    # '/', '/SYM64/', or another tool's special member ('/<ECSYMBOLS>/')
                    if pos == 8 and tag in _GNU_INDEX_NAMES:
                        self.index_kind = "gnu" if tag == b"/" else "gnu64"
                        self.index_offset, self.index_size = start, size
                    pos = next_pos
                    continue
            else:                                   # 'name/' (GNU) or 'name   ' (BSD)
                slash = raw.find(b"/")
                name = raw[:slash] if slash >= 0 else raw.rstrip(b" ")
            if name in _BSD_INDEX_NAMES:
                if pos == 8:
                    self.index_kind = "bsd" if _BSD_INDEX_NAMES[name] == 4 else "bsd64"
                    self.index_offset, self.index_size = start, size
                pos = next_pos
                continue
            members.names.append(_decode(name, name_offset, "member name", _HEADER_CONTEXT))
            members.header_offsets.append(pos)
            members.data_offsets.append(start)
            members.sizes.append(size)
            pos = next_pos

    # -- symbol index ----------------------------------------------------------------------

    @property
    def has_index(self) -> bool:
        return self.index_kind is not None

    @property
    def symbol_names(self) -> list[str]:
        """Every name in the index, in index order (duplicates kept)."""
        if self._symbol_names is None:
            self._read_index()
        return self._symbol_names

    @property
    def symbol_members(self) -> array:
        """For each entry of :attr:`symbol_names`, the index of the member defining it."""
        if self._symbol_members is None:
            self._read_index()
        return self._symbol_members

    @property
    def symbols(self) -> dict[str, int]:
        """Symbol name -> member index. A name listed twice maps to its first member, as in
        wasm-ld, where the first lazy symbol for a name wins."""
        if self._symbols is None:
            names, owners = self.symbol_names, self.symbol_members
            self._symbols = dict(zip(reversed(names), reversed(owners)))
        return self._symbols

    def _read_index(self) -> None:
        try:
            if self.index_kind is None:
                names, offsets, entry_offsets = [], array(_U32), (0, 0)
            elif self.index_kind.startswith("gnu"):
                names, offsets, entry_offsets = self._read_gnu_index()
            else:
                names, offsets, entry_offsets = self._read_bsd_index()
            owners = self._owners(names, offsets, entry_offsets)
        except WasmlinkError as e:
            raise e.in_file(self.path) if self.path is not None else e
        self._symbol_names, self._symbol_members = names, owners

    def _read_gnu_index(self):
        width = 8 if self.index_kind == "gnu64" else 4
        start, size = self.index_offset, self.index_size
        data = self.data
        if size < width:
            raise ParseError(f"symbol index of {size} bytes has no room for its {width}-byte count",
                             start, context=_INDEX_CONTEXT)
        count = int.from_bytes(data[start:start + width], "big")
        table = start + width
        if count > (size - width) // width:
            raise ParseError(f"symbol count {count} needs {count * width} bytes of offsets: "
                             f"{size - width} bytes left", start, context=_INDEX_CONTEXT)
        offsets = array(_U64 if width == 8 else _U32)
        offsets.frombytes(data[table:table + count * width])
        if sys.byteorder == "little":
            offsets.byteswap()
        strings = table + count * width
        blob = bytes(data[strings:start + size])
        parts = blob.split(b"\0", count)
        if len(parts) <= count:
            raise ParseError(f"symbol index string table holds {len(parts) - 1} names: the count "
                             f"says {count}", strings, context=_INDEX_CONTEXT)
        del parts[count]
        return self._decode_names(parts, strings), offsets, (table, width)

    def _read_bsd_index(self):
        width = 8 if self.index_kind == "bsd64" else 4
        start, size = self.index_offset, self.index_size
        data = self.data
        end = start + size
        if size < 2 * width:
            raise ParseError(f"symbol index of {size} bytes has no room for its two {width}-byte "
                             f"sizes", start, context=_INDEX_CONTEXT)
        ranlib_size = int.from_bytes(data[start:start + width], "little")
        if ranlib_size % (2 * width) or ranlib_size > size - 2 * width:
            raise ParseError(f"symbol table size {ranlib_size} is not a multiple of {2 * width} "
                             f"within the {size - 2 * width} bytes left", start,
                             context=_INDEX_CONTEXT)
        entries = array(_U64 if width == 8 else _U32)
        entries.frombytes(data[start + width:start + width + ranlib_size])
        if sys.byteorder == "big":
            entries.byteswap()
        name_offsets, offsets = entries[0::2], entries[1::2]
        at = start + width + ranlib_size
        strtab_size = int.from_bytes(data[at:at + width], "little")
        strings = at + width
        if strtab_size > end - strings:
            raise ParseError(f"symbol string table size {strtab_size} runs past the index: "
                             f"{end - strings} bytes left", at, context=_INDEX_CONTEXT)
        blob = bytes(data[strings:strings + strtab_size])
        # name offsets may share suffixes or come in any order: find each one's string by
        # bisecting the starts of the NUL-separated parts (never a scan per symbol)
        parts = blob.split(b"\0")
        starts = array(_U64, [0])
        for part in parts:
            starts.append(starts[-1] + len(part) + 1)
        names = []
        for i, s in enumerate(name_offsets):
            k = bisect_right(starts, s) - 1
            if k >= len(parts) - 1:              # in the last part: no NUL after it
                raise ParseError(f"symbol {i} name offset {s} is not a NUL-terminated string of "
                                 f"the {strtab_size}-byte string table",
                                 start + width + 2 * width * i, context=_INDEX_CONTEXT)
            names.append(parts[k][s - starts[k]:])
        names = self._decode_names(names, strings, name_offsets)
        return names, offsets, (start + width + width, 2 * width)

    @staticmethod
    def _decode_names(parts: list[bytes], base: int, starts=None) -> list[str]:
        try:
            return [p.decode("utf-8") for p in parts]
        except UnicodeDecodeError:
            pos = 0
            for i, p in enumerate(parts):
                _decode(p, base + (starts[i] if starts is not None else pos), "symbol name",
                        _INDEX_CONTEXT)
                pos += len(p) + 1
            raise AssertionError("unreachable") from None

    def _owners(self, names, offsets, entry_offsets) -> array:
        """Map each header offset of the index to its member number."""
        by_header = {off: i for i, off in enumerate(self.members.header_offsets)}
        try:
            return array(_U32, map(by_header.__getitem__, offsets))
        except KeyError as e:
            bad = e.args[0]
            i = offsets.index(bad)
            first, stride = entry_offsets
            where = ("outside the file" if bad >= len(self.data) else "not at a member header")
            raise ParseError(f"symbol index entry {i} ({names[i]!r}) points at offset 0x{bad:x}, "
                             f"{where}", first + i * stride, context=_INDEX_CONTEXT) from None


def _decimal(field: bytes, offset: int, what: str) -> int:
    digits = field.rstrip(b" ")
    if not digits.isdigit():                    # ASCII digits only; empty is not a number
        raise ParseError(f"invalid {what} {field.decode('latin-1')!r}: expected a decimal number",
                         offset, context=_HEADER_CONTEXT)
    return int(digits)


def _long_name(table: bytes | None, table_offset: int, offset: int, where: int):
    """The GNU long name at ``offset`` of the ``//`` table: ends with '/\\n' (or NUL, as COFF)."""
    if table is None:
        raise ParseError(f"long member name /{offset} but the archive has no long-name table",
                         where, context=_HEADER_CONTEXT)
    if offset >= len(table):
        raise ParseError(f"long member name offset {offset} is outside the {len(table)}-byte "
                         f"long-name table", where, context=_HEADER_CONTEXT)
    ends = [e for e in (table.find(b"/\n", offset), table.find(b"\0", offset)) if e >= 0]
    if not ends:
        raise ParseError(f"long member name at offset {offset} of the long-name table is not "
                         f"terminated: expected '/\\n'", table_offset + offset,
                         context=_HEADER_CONTEXT)
    return table[offset:min(ends)], table_offset + offset


def _decode(name: bytes, offset: int, what: str, context: str) -> str:
    try:
        return name.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ParseError(f"invalid UTF-8 encoding in {what}", offset + e.start,
                         context=context) from None


# -- `wasmlink inspect` ---------------------------------------------------------------------

def archive_summary(archive: Archive) -> dict:
    """The archive part of an ``inspect --json`` report (README.md, format 1): ``members`` as
    ``[{name, offset, header_offset, size, kind, symbols}]`` in file order, where ``offset`` is
    the first byte of the member's data (as ``llvm-ar tvO`` shows it) and ``symbols`` the names
    the index lists for it, in index order; ``symbol_count`` (index entries) and ``index``
    (its kind, or None: wasm-ld then reads each member's own symbol table)."""
    m = archive.members
    defined: list[list[str]] = [[] for _ in range(len(m))]
    for name, owner in zip(archive.symbol_names, archive.symbol_members):
        defined[owner].append(name)
    return {
        "index": archive.index_kind,
        "symbol_count": len(archive.symbol_names),
        "members": [{"name": m.names[i], "offset": m.data_offsets[i],
                     "header_offset": m.header_offsets[i], "size": m.sizes[i],
                     "kind": archive.member_kind(i), "symbols": defined[i]}
                    for i in range(len(m))],
    }


def render_archive(report: dict, out: list[str], limit: int = 10) -> None:
    """The text form of :func:`archive_summary`, appended to ``out``; lists cut at ``limit``
    rows (0: all)."""
    members = report["members"]
    index = report["index"] or "none (a linker reads each member's own symbols)"
    out.append(f"  symbol index: {index}, {report['symbol_count']} entries")
    out.append(f"  members: {len(members)}")
    shown = members if limit <= 0 else members[:limit]
    for row in shown:
        symbols = row["symbols"]
        listed = ", ".join(symbols if limit <= 0 else symbols[:limit])
        if limit > 0 and len(symbols) > limit:
            listed += f", ... {len(symbols) - limit} more"
        out.append(f"    {row['name']}  offset 0x{row['offset']:x}  size {row['size']}  "
                   f"{row['kind']}  {len(symbols)} symbols" + (f": {listed}" if symbols else ""))
    if len(shown) < len(members):
        out.append(f"    ... {len(members) - len(shown)} more (-v shows all, --json for data)")
