"""The `ar` reader against llvm-ar and llvm-nm, on Debian's wasi-libc and libc++ and on archives
built here by llvm-ar.

Members (name, size, data offset) are compared with ``llvm-ar tvO``; the symbol index with
``llvm-nm --print-armap``. Malformed inputs are real archives with one field broken, and each
must raise ParseError at the exact offset of that field.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from wasmlink._native.scan import scan
from wasmlink.binary.archive import Archive, archive_summary, member_display_name, render_archive
from wasmlink.binary.files import MappedFile
from wasmlink.errors import ParseError, UnsupportedError

LLVM = Path("/usr/lib/llvm-22/bin")
LLVM_AR = str(LLVM / "llvm-ar")
LLVM_NM = str(LLVM / "llvm-nm")
CLANG = "clang-22"
WASM_LD = "wasm-ld-22"
LIBC = "/usr/lib/wasm32-wasi/libc.a"
LIBCXX = "/usr/lib/wasm32-wasi/libc++.a"
LONG_NAME = "averyveryverylongname_beyond16.o"

SOURCES = {
    "a.o": "int alpha(void) { return 1; }\nint shared_name = 3;\n",
    LONG_NAME: "int beta(int x) { return x * 2; }\nstatic int hidden(void) { return 0; }\n"
               "int gamma_(void) { return hidden(); }\n",
    "b.o": "int z;\n",      # 323 bytes: odd, so the next member needs a padding byte
}
# the index each tool writes for these objects, in order (hidden is local: not listed)
INDEX = [("alpha", "a.o"), ("shared_name", "a.o"), ("beta", LONG_NAME), ("gamma_", LONG_NAME),
         ("z", "b.o")]


# -- helpers: the reference tools ---------------------------------------------------------

def run(*args, env=None, check=True) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=check,
                          env=None if env is None else {**os.environ, **env})


LISTING = re.compile(r"^\S+ \d+/\d+ +(\d+) \w{3} [ \d]\d \d\d:\d\d \d{4} (.*) 0x([0-9a-f]+)$")


def llvm_ar_members(path) -> list[tuple[str, int, int]]:
    """(name, size, data offset) per member, from ``llvm-ar tvO``."""
    rows = []
    for line in run(LLVM_AR, "tvO", str(path)).stdout.splitlines():
        m = LISTING.match(line)
        assert m, line
        rows.append((m[2], int(m[1]), int(m[3], 16)))
    return rows


def llvm_nm_armap(path) -> list[tuple[str, str]]:
    """(symbol, member name) per index entry, from ``llvm-nm --print-armap``. llvm-nm goes on
    to read the members and may fail on them (darwin padding); the map is printed first."""
    out = run(LLVM_NM, "--print-armap", str(path), check=False).stdout.splitlines()
    if "Archive map" not in out:
        return []
    rows = []
    for line in out[out.index("Archive map") + 1:]:
        if not line:
            break
        symbol, member = line.rsplit(" in ", 1)
        rows.append((symbol, member))
    return rows


def our_members(archive: Archive) -> list[tuple[str, int, int]]:
    m = archive.members
    return list(zip(m.names, m.sizes, m.data_offsets))


def our_index(archive: Archive) -> list[tuple[str, str]]:
    names = archive.members.names
    return [(s, names[i]) for s, i in zip(archive.symbol_names, archive.symbol_members)]


@pytest.fixture(scope="session")
def objects(tmp_path_factory) -> Path:
    """The three wasm objects of SOURCES, compiled by clang."""
    d = tmp_path_factory.mktemp("objects")
    for name, source in SOURCES.items():
        c = d / (name[:-2] + ".c")
        c.write_text(source)
        run(CLANG, "--target=wasm32-wasi", "-c", str(c), "-o", str(d / name))
    return d


def build(objects: Path, out: Path, *flags: str, members=tuple(SOURCES), env=None) -> Path:
    """``llvm-ar rc FLAGS out members``, run in the objects directory (names stay bare)."""
    if out.exists():
        out.unlink()
    subprocess.run([LLVM_AR, *flags, str(out), *members], cwd=objects, check=True,
                   capture_output=True, env=None if env is None else {**os.environ, **env})
    return out


@pytest.fixture(scope="session")
def gnu_archive(objects, tmp_path_factory) -> bytes:
    return build(objects, tmp_path_factory.mktemp("gnu") / "lib.a", "rc",
                 "--format=gnu").read_bytes()


@pytest.fixture(scope="session")
def bsd_archive(objects, tmp_path_factory) -> bytes:
    return build(objects, tmp_path_factory.mktemp("bsd") / "lib.a", "rc",
                 "--format=bsd").read_bytes()


def parse_error(data: bytes, *, symbols: bool = False) -> ParseError:
    with pytest.raises(ParseError) as info:
        archive = Archive(data, "lib.a")
        if symbols:
            archive.symbols
    return info.value


def patch(data: bytes, offset: int, new: bytes) -> bytes:
    return data[:offset] + new + data[offset + len(new):]


# -- Debian's wasi-libc and libc++ --------------------------------------------------------

@pytest.mark.parametrize("path", [LIBC, LIBCXX])
def test_system_archive_members_match_llvm_ar(path):
    with Archive.open(path) as archive:
        assert our_members(archive) == llvm_ar_members(path)


@pytest.mark.parametrize("path", [LIBC, LIBCXX])
def test_system_archive_index_matches_llvm_nm(path):
    with Archive.open(path) as archive:
        assert archive.index_kind == "gnu"
        assert our_index(archive) == llvm_nm_armap(path)


def test_libc_index_size():
    with Archive.open(LIBC) as archive:
        assert (len(archive.members), len(archive.symbol_names)) == (746, 1193)


def test_libc_duplicate_symbol_maps_to_its_first_member():
    # wasi-libc lists e.g. __env_rm_add twice (a weak and a strong definition); as in wasm-ld,
    # the first lazy symbol for a name wins
    armap = llvm_nm_armap(LIBC)
    first: dict[str, str] = {}
    for symbol, member in armap:
        first.setdefault(symbol, member)
    with Archive.open(LIBC) as archive:
        names = archive.members.names
        assert len(archive.symbols) == len(first) < len(armap)
        assert {s: names[i] for s, i in archive.symbols.items()} == first


def test_libc_duplicate_member_names_are_kept():
    with Archive.open(LIBC) as archive:
        assert archive.members.names.count("errno.o") == 2


def test_libc_members_are_wasm_objects():
    with Archive.open(LIBC) as archive:
        assert {archive.member_kind(i) for i in range(len(archive.members))} == {"module"}


def test_member_data_is_the_member_llvm_ar_extracts():
    with Archive.open(LIBC) as archive:
        i = archive.members.names.index("printf.o")
        extracted = subprocess.run([LLVM_AR, "p", LIBC, "printf.o"], capture_output=True,
                                   check=True).stdout
        assert archive.member_data(i) == extracted


def test_member_data_is_a_window_into_the_mapping():
    with MappedFile(LIBC) as mapped:
        archive = Archive(mapped)
        view = archive.member_data(3)
        assert view.obj is mapped.data.obj
        assert view.readonly
        view.release()


def test_member_scans_in_place_with_file_offsets():
    with Archive.open(LIBC) as archive:
        i = archive.members.names.index("printf.o")
        start, size = archive.members.data_offsets[i], archive.members.sizes[i]
        in_place = scan(archive.data, start, start + size)
        alone = scan(bytes(archive.member_data(i)))
        assert list(in_place.section_payload) == [p + start for p in alone.section_payload]
        assert list(in_place.section_id) == list(alone.section_id)


def test_member_path_names_the_archive_as_given():
    with Archive.open(LIBC) as archive:
        i = archive.members.names.index("printf.o")
        assert archive.member_path(i) == "/usr/lib/wasm32-wasi/libc.a(printf.o)"
    assert member_display_name("libc.a", "printf.o") == "libc.a(printf.o)"


def test_member_path_matches_wasm_ld(objects, tmp_path):
    # two members defining the same symbols: wasm-ld names both in its duplicate-symbol error
    (objects / "c.o").write_bytes((objects / "a.o").read_bytes())
    lib = build(objects, tmp_path / "dup.a", "rc", members=("a.o", "c.o"))
    result = subprocess.run([WASM_LD, "--no-entry", "--whole-archive", str(lib), "-o",
                             str(tmp_path / "out.wasm")], capture_output=True, text=True)
    with Archive.open(lib) as archive:
        assert (f">>> defined in {archive.member_path(0)}\n"
                f">>> defined in {archive.member_path(1)}\n") in result.stderr


# -- archives built by llvm-ar ------------------------------------------------------------

FORMATS = [
    # (llvm-ar --format, environment, our format, our index kind)
    ("gnu", None, "gnu", "gnu"),
    ("gnu", {"SYM64_THRESHOLD": "0"}, "gnu", "gnu64"),       # /SYM64/
    ("bsd", None, "bsd", "bsd"),                             # __.SYMDEF
    ("darwin", None, "bsd", "bsd"),                          # members padded to 8 bytes
    ("darwin", {"SYM64_THRESHOLD": "0"}, "bsd", "bsd64"),    # __.SYMDEF_64
]


@pytest.mark.parametrize("fmt,env,format_,index_kind", FORMATS)
def test_built_archive_matches_llvm_ar_and_nm(objects, tmp_path, fmt, env, format_, index_kind):
    lib = build(objects, tmp_path / "lib.a", "rc", f"--format={fmt}", env=env)
    with Archive.open(lib) as archive:
        assert (archive.format, archive.index_kind) == (format_, index_kind)
        assert our_members(archive) == llvm_ar_members(lib)
        assert our_index(archive) == llvm_nm_armap(lib) == INDEX


@pytest.mark.parametrize("fmt", ["gnu", "bsd"])
def test_built_archive_member_data_is_the_object(objects, tmp_path, fmt):
    lib = build(objects, tmp_path / "lib.a", "rc", f"--format={fmt}")
    with Archive.open(lib) as archive:
        assert archive.members.names == list(SOURCES)
        for i, name in enumerate(archive.members.names):
            assert archive.member_data(i) == (objects / name).read_bytes()


def test_gnu_long_name_comes_from_the_long_name_table(gnu_archive):
    archive = Archive(gnu_archive, "lib.a")
    i = archive.members.names.index(LONG_NAME)
    header = archive.members.header_offsets[i]
    assert gnu_archive[header:header + 16].rstrip(b" ") == b"/0"
    assert gnu_archive.index(b"//  ") < header


def test_bsd_long_name_is_stored_before_the_data(bsd_archive):
    archive = Archive(bsd_archive, "lib.a")
    i = archive.members.names.index(LONG_NAME)
    header = archive.members.header_offsets[i]
    # llvm-ar pads the 32-byte name with NULs to 34, so the data after it is aligned
    assert bsd_archive[header:header + 16].rstrip(b" ") == b"#1/34"
    assert bsd_archive[header + 60:header + 94] == LONG_NAME.encode() + b"\0\0"
    assert archive.members.data_offsets[i] == header + 94


def test_archive_without_index(objects, tmp_path):
    lib = build(objects, tmp_path / "lib.a", "rcS")
    with Archive.open(lib) as archive:
        assert not archive.has_index
        assert archive.symbols == {}
        assert archive.symbol_names == []
        assert our_members(archive) == llvm_ar_members(lib)


def test_empty_archive(tmp_path):
    lib = tmp_path / "empty.a"
    subprocess.run([LLVM_AR, "rc", str(lib)], check=True, capture_output=True)
    with Archive.open(lib) as archive:
        assert (len(archive.members), archive.has_index, archive.symbols) == (0, False, {})


def test_thin_archive_is_unsupported(objects, tmp_path):
    lib = build(objects, tmp_path / "thin.a", "rc", "--thin")
    with pytest.raises(UnsupportedError) as info:
        Archive.open(lib)
    assert str(info.value) == f"{lib}: thin archives are not supported"


def test_symbols_are_read_only_when_asked(gnu_archive):
    # a broken index does not stop listing members: it is decoded on first use
    broken = patch(gnu_archive, 68, b"\xff\xff\xff\xff")
    archive = Archive(broken, "lib.a")
    assert archive.members.names == list(SOURCES)
    with pytest.raises(ParseError):
        archive.symbols


def test_non_utf8_member_name(objects, tmp_path):
    name = b"\xff\xfe.o"
    os.symlink(objects / "b.o", os.path.join(os.fsencode(tmp_path), name))
    lib = tmp_path / "lib.a"
    subprocess.run([os.fsencode(LLVM_AR), b"rcS", b"--format=gnu", b"lib.a", name],
                   cwd=tmp_path, check=True, capture_output=True)
    e = parse_error(lib.read_bytes())
    assert (e.message, e.offset) == ("invalid UTF-8 encoding in member name", 8)


# -- malformed archives: the error names the exact offset ---------------------------------

def test_bad_magic(gnu_archive):
    e = parse_error(b"!<arce>\n" + gnu_archive[8:])
    assert (e.message, e.offset) == ("bad archive magic: expected '!<arch>\\n'", 0)


def test_truncated_magic():
    e = parse_error(b"!<ar")
    assert (e.message, e.offset) == (
        "unexpected end of input: expected the archive magic '!<arch>\\n'", 0)


def test_truncated_member_header(gnu_archive):
    header = Archive(gnu_archive).members.header_offsets[1]
    e = parse_error(gnu_archive[:header + 30])
    assert (e.message, e.offset) == (
        "unexpected end of input: expected a 60-byte member header, 30 bytes left", header)


def test_bad_header_terminator(gnu_archive):
    header = Archive(gnu_archive).members.header_offsets[1]
    e = parse_error(patch(gnu_archive, header + 58, b"`\r"))
    assert (e.message, e.offset) == (
        "bad member header terminator b'`\\r': expected b'`\\n'", header + 58)


def test_error_message_names_file_and_offset(gnu_archive):
    header = Archive(gnu_archive).members.header_offsets[1]
    e = parse_error(patch(gnu_archive, header + 58, b"`\r"))
    assert str(e) == (f"lib.a: bad member header terminator b'`\\r': expected b'`\\n' "
                      f"(at offset 0x{header + 58:x} in archive member header)")


def test_non_numeric_size(gnu_archive):
    header = Archive(gnu_archive).members.header_offsets[0]
    e = parse_error(patch(gnu_archive, header + 48, b"38x"))
    assert (e.message, e.offset) == (
        "invalid member size '38x       ': expected a decimal number", header + 48)


def test_member_runs_past_the_end(gnu_archive):
    archive = Archive(gnu_archive)
    header, start = archive.members.header_offsets[2], archive.members.data_offsets[2]
    e = parse_error(patch(gnu_archive, header + 48, b"9999      "))
    assert (e.message, e.offset) == (
        f"member size 9999 runs past the end of the file: {len(gnu_archive) - start} bytes left",
        header + 48)


def test_missing_padding_byte(objects, tmp_path):
    # b.o is odd-sized: as in llvm-ar, an archive ending without its padding byte is malformed
    data = build(objects, tmp_path / "lib.a", "rc", members=("a.o", "b.o")).read_bytes()
    assert len(data) % 2 == 0 and data[-1:] == b"\n"
    e = parse_error(data[:-1])
    assert (e.message, e.offset) == (
        "unexpected end of input: expected the padding byte after an odd-sized member",
        len(data) - 1)


def test_long_name_offset_out_of_range(gnu_archive):
    header = Archive(gnu_archive).members.header_offsets[1]
    table = gnu_archive.index(b"//  ") + 60
    size = Archive(gnu_archive).members.header_offsets[0] - table
    e = parse_error(patch(gnu_archive, header, b"/999"))
    assert (e.message, e.offset) == (
        f"long member name offset 999 is outside the {size}-byte long-name table", header + 1)


def test_long_name_without_table(gnu_archive):
    table_header = gnu_archive.index(b"//  ")
    header = Archive(gnu_archive).members.header_offsets[1]
    e = parse_error(patch(gnu_archive, table_header, b"/x"))  # now an unknown special member
    assert (e.message, e.offset) == (
        "long member name /0 but the archive has no long-name table", header + 1)


def test_bsd_name_longer_than_member(bsd_archive):
    header = Archive(bsd_archive).members.header_offsets[0]
    e = parse_error(patch(bsd_archive, header, b"#1/999"))
    assert (e.message, e.offset) == (
        "BSD name length 999 is larger than the member size 389", header + 3)


def test_gnu_index_count_larger_than_its_bytes(gnu_archive):
    e = parse_error(patch(gnu_archive, 68, b"\xff\xff\xff\xff"), symbols=True)
    assert (e.message, e.offset, e.context) == (
        "symbol count 4294967295 needs 17179869180 bytes of offsets: 52 bytes left", 68,
        "archive symbol index")


def test_gnu_index_count_larger_than_its_names(gnu_archive):
    # one more entry still fits the offsets, but the string table then holds only 5 names
    e = parse_error(patch(gnu_archive, 68, (6).to_bytes(4, "big")), symbols=True)
    assert (e.message, e.offset) == (
        "symbol index string table holds 5 names: the count says 6", 68 + 4 + 6 * 4)


def test_gnu_index_offset_not_at_a_header(gnu_archive):
    e = parse_error(patch(gnu_archive, 68 + 4, (0x11).to_bytes(4, "big")), symbols=True)
    assert (e.message, e.offset) == (
        "symbol index entry 0 ('alpha') points at offset 0x11, not at a member header", 72)


def test_gnu_index_offset_outside_the_file(gnu_archive):
    e = parse_error(patch(gnu_archive, 68 + 8, (1 << 31).to_bytes(4, "big")), symbols=True)
    assert (e.message, e.offset) == (
        "symbol index entry 1 ('shared_name') points at offset 0x80000000, outside the file", 76)


def test_bsd_index_size_not_a_multiple_of_entries(bsd_archive):
    start = Archive(bsd_archive).index_offset
    e = parse_error(patch(bsd_archive, start, (41).to_bytes(4, "little")), symbols=True)
    assert (e.message, e.offset) == (
        "symbol table size 41 is not a multiple of 8 within the 72 bytes left", start)


def test_bsd_index_name_offset_past_strings(bsd_archive):
    start = Archive(bsd_archive).index_offset
    e = parse_error(patch(bsd_archive, start + 4 + 8, (500).to_bytes(4, "little")), symbols=True)
    assert (e.message, e.offset) == (
        "symbol 1 name offset 500 is not a NUL-terminated string of the 32-byte string table",
        start + 4 + 8)


def test_bsd_index_offset_not_at_a_header(bsd_archive):
    start = Archive(bsd_archive).index_offset
    e = parse_error(patch(bsd_archive, start + 8, (0x12).to_bytes(4, "little")), symbols=True)
    assert (e.message, e.offset) == (
        "symbol index entry 0 ('alpha') points at offset 0x12, not at a member header", start + 8)


# -- the `inspect` report -----------------------------------------------------------------

def test_summary_of_libc_matches_llvm_ar_and_nm():
    defined: dict[str, list[str]] = {}
    for symbol, member in llvm_nm_armap(LIBC):
        defined.setdefault(member, []).append(symbol)
    with Archive.open(LIBC) as archive:
        report = archive_summary(archive)
    assert (report["index"], report["symbol_count"]) == ("gnu", 1193)
    assert [(r["name"], r["size"], r["offset"]) for r in report["members"]] == llvm_ar_members(LIBC)
    # llvm-nm names members only by name, and errno.o is there twice: join the copies
    ours: dict[str, list[str]] = {}
    for r in report["members"]:
        if r["symbols"]:
            ours.setdefault(r["name"], []).extend(r["symbols"])
    assert ours == defined
    assert {r["kind"] for r in report["members"]} == {"module"}


def test_rendered_summary(gnu_archive):
    archive = Archive(gnu_archive, "lib.a")
    out: list[str] = []
    render_archive(archive_summary(archive), out, limit=1)
    assert out == [
        "  symbol index: gnu, 5 entries",
        "  members: 3",
        "    a.o  offset 0x116  size 385  module  2 symbols: alpha, ... 1 more",
        "    ... 2 more (-v shows all, --json for data)",
    ]


# -- mutated real archives fail cleanly ---------------------------------------------------

@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
@pytest.mark.parametrize("fixture", ["gnu_archive", "bsd_archive"])
def test_mutated_archive_raises_only_parse_errors(request, fixture, data):
    original = request.getfixturevalue(fixture)
    mutated = bytearray(original)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(mutated) - 1))
        mutated[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(mutated)))
    try:
        archive = Archive(bytes(mutated[:cut]), "lib.a")
        archive.symbols
        for i in range(len(archive.members)):
            archive.member_kind(i)
            assert archive.members.data_offsets[i] + archive.members.sizes[i] <= cut
    except (ParseError, UnsupportedError):
        pass
