"""Import and export names: every form parses to exact parts and prints back exactly, malformed
names fail naming what is wrong, and every name real producers wrote (wit-component's expected
outputs, wac's composed components, componentize-py) parses and prints back unchanged."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import wasmtime
from hypothesis import given, settings
from hypothesis import strategies as st

from wasmlink.component import decode_component, model as m
from wasmlink.component.names import (
    Hash, HashName, InterfaceName, LockedDepName, NameSyntaxError, PlainName, UnlockedDepName,
    UrlName, integrity_name, integrity_name_of, is_valid_name, parse_export_name, parse_name,
    split_version, uniqueness_key,
)

CONFORMANCE = Path("/work/shared/conformance/wasm-tools/crates/wit-component/tests/components")
WAC = Path("/work/shared/conformance/wac/crates")
EMPTY_SHA256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="     # SRI of the empty string


@pytest.mark.parametrize("name, parsed", [
    ("greet", PlainName("greet")),
    ("get-JSON", PlainName("get-JSON")),
    ("a1-2-3", PlainName("a1-2-3")),
    ("A11-4CR0NYMS", PlainName("A11-4CR0NYMS")),
    ("[constructor]blob", PlainName("blob", "constructor")),
    ("[method]blob.read-all", PlainName("blob", "method", "read-all")),
    ("[static]blob.open", PlainName("blob", "static", "open")),
    ("wasi:http/handler", InterfaceName("wasi", "http", "handler")),
    ("wasi:io/poll@0.2.9", InterfaceName("wasi", "io", "poll", "0.2.9")),
    ("wasi:http/types@0.3.0-rc-2025-09-16", InterfaceName("wasi", "http", "types",
                                                         "0.3.0-rc-2025-09-16")),
    ("ns:pkg/iface@1.2.3+build.5", InterfaceName("ns", "pkg", "iface", "1.2.3+build.5")),
    ("wasi:http/types@0.2", InterfaceName("wasi", "http", "types", "0.2")),       # 🔗 canonical
    ("my-ns:my-pkg/my-IFACE", InterfaceName("my-ns", "my-pkg", "my-IFACE")),
    ("a:b:c/d/e@1.0.0", InterfaceName("a:b", "c", "d/e", "1.0.0")),              # 🪺 nested
    ("unlocked-dep=<foo:bar>", UnlockedDepName("foo:bar")),
    ("unlocked-dep=<foo:bar@*>", UnlockedDepName("foo:bar", "*")),
    ("unlocked-dep=<ns:pkg@{>=1.2.3}>", UnlockedDepName("ns:pkg", ">=1.2.3")),
    ("unlocked-dep=<ns:pkg@{<2.0.0}>", UnlockedDepName("ns:pkg", "<2.0.0")),
    ("unlocked-dep=<ns:pkg@{>=1.2.3 <2.0.0}>", UnlockedDepName("ns:pkg", ">=1.2.3 <2.0.0")),
    ("locked-dep=<foo:bar>", LockedDepName("foo:bar")),
    ("locked-dep=<ns:pkg@1.2.3>", LockedDepName("ns:pkg", "1.2.3")),
    (f"locked-dep=<ns:pkg@1.2.3>,integrity=<sha256-{EMPTY_SHA256}>",
     LockedDepName("ns:pkg", "1.2.3", HashName(f"sha256-{EMPTY_SHA256}"))),
    ("url=<https://example.com/foo>", UrlName("https://example.com/foo")),
    (f"url=<https://example.com/x.wasm?v=1>,integrity=<sha256-{EMPTY_SHA256}>",
     UrlName("https://example.com/x.wasm?v=1", HashName(f"sha256-{EMPTY_SHA256}"))),
    (f"integrity=<sha256-{EMPTY_SHA256}>", HashName(f"sha256-{EMPTY_SHA256}")),
    ("integrity=<sha384-AAAA sha512-BBBB?opt>", HashName("sha384-AAAA sha512-BBBB?opt")),
])
def test_each_name_form_parses_exactly_and_prints_back(name, parsed):
    assert parse_name(name) == parsed
    assert type(parse_name(name)) is type(parsed)
    assert str(parsed) == name


def test_the_parts_of_names_are_at_hand():
    method = parse_name("[method]blob.read")
    assert (method.resource, method.item) == ("blob", "read")
    assert parse_name("greet").resource is None
    iface = parse_name("wasi:io/poll@0.2.9")
    assert (iface.package_name, iface.unversioned) == ("wasi:io", "wasi:io/poll")
    rng = parse_name("unlocked-dep=<ns:pkg@{>=1.2.3 <2.0.0}>")
    assert (rng.lower, rng.upper) == ("1.2.3", "2.0.0")
    assert (parse_name("unlocked-dep=<a:b@{<3.0.0}>").lower,
            parse_name("unlocked-dep=<a:b@{<3.0.0}>").upper) == (None, "3.0.0")
    hashes = parse_name("integrity=<sha384-AAAA  sha512-BBBB?opt>").hashes
    assert hashes == (Hash("sha384", "AAAA"), Hash("sha512", "BBBB", "opt"))


@pytest.mark.parametrize("name, problem", [
    ("", "a plain name is empty"),
    ("Greet", "`Greet` (a plain name) is not a kebab-case label"),
    ("a--b", "`a--b` (a plain name) is not a kebab-case label"),
    ("1-2-3", "is not a kebab-case label"),
    ("a-", "is not a kebab-case label"),
    ("my_func", "is not a kebab-case label"),
    ("[destructor]r", "unknown annotation `[destructor]`: expected [constructor], [method] or "
                      "[static]"),
    ("[async]f", "unknown annotation `[async]`"),
    ("[method]r", "[method] needs `resource.function`, found no `.`"),
    ("[static]r.", "the static function is empty"),
    ("[method]r_x.m", "`r_x` (the resource) is not a kebab-case label"),
    ("[method]r.Ab", "`Ab` (the method function) is not a kebab-case label"),
    ("[constructor]", "the resource is empty"),
    ("wasi:http", "expected `/interface` after the package `wasi:http`"),
    ("wasi/http", "expected `namespace:package` in `wasi/http`, found no `:`"),
    ("Wasi:http/types", "`Wasi` (the namespace) is not lowercase kebab-case words"),
    ("wasi:Http/types", "`Http` (the package name) is not lowercase kebab-case words"),
    ("wasi:http/types@1.2", "`1.2` (the interface version) is neither a valid semver"),
    ("wasi:http/types@01.0.0", "is neither a valid semver"),
    ("wasi:http/types@", "is neither a valid semver"),
    ("wasi:http/a_b", "`a_b` (the interface name) is not a kebab-case label"),
    ("unlocked-dep=foo:bar", "expected `<` after `unlocked-dep=`"),
    ("unlocked-dep=<foo:bar", "missing `>` closing `unlocked-dep=<`"),
    ("unlocked-dep=<foo:bar@1.2.3>", "version range `@1.2.3`: expected `@*` or `@{...}`"),
    ("unlocked-dep=<foo:bar@{1.2.3}>", "expected `>=` or `<` at its start"),
    ("unlocked-dep=<foo:bar@{>=1.2}>", "`1.2` (the lower bound) is not a valid semver"),
    ("unlocked-dep=<foo:bar@{>=1.2.3 2.0.0}>", "expected `<` before the upper bound `2.0.0`"),
    ("unlocked-dep=<foo:bar>x", "unexpected `x` after `unlocked-dep=<...>`"),
    ("locked-dep=<foo:bar@x>", "`x` (version) is not a valid semver"),
    ("locked-dep=<foo:bar>,sha256", "expected `<` after `integrity=`"),
    ("locked-dep=<foo:bar>;", "unexpected `;`: expected `,integrity=<...>` or the end"),
    ("url=<a<b>", "`<` inside `url=<...>`"),
    ("integrity=<>", "the integrity metadata is empty"),
    ("integrity=<md5-AAAA>", "unknown hash algorithm `md5` in `md5-AAAA`"),
    ("integrity=<sha256>", "expected `-` after the hash algorithm in `sha256`"),
    ("integrity=<sha256-!!>", "`!!` is not valid base64"),
    ("integrity=<sha256-AA=A>", "`AA=A` is not valid base64"),
    (f"integrity=<sha256-{EMPTY_SHA256}>x", "unexpected `x` after the integrity metadata"),
])
def test_malformed_names_say_what_is_wrong(name, problem):
    with pytest.raises(NameSyntaxError) as info:
        parse_name(name)
    assert problem in info.value.problem
    assert str(info.value).startswith(f"invalid name `{name}`: ")
    assert info.value.offset is None and not is_valid_name(name)


@pytest.mark.parametrize("case", ["export-dep-name", "export-url-name", "export-hash-name"])
def test_import_only_forms_are_refused_as_export_names_as_wac_refuses_them(case):
    # wac's resolution/fail cases: `export f as "<name>"` must fail for these three forms
    source = (WAC / "wac-parser/tests/resolution/fail" / f"{case}.wac").read_text()
    name = source.split('as "', 1)[1].split('"', 1)[0]
    assert parse_name(name)                       # a well-formed import name ...
    with pytest.raises(NameSyntaxError, match="is only allowed as an import name"):
        parse_export_name(name)                   # ... that no export may have


def test_integrity_names_are_built_from_sha256_digests_in_base64():
    assert integrity_name(hashlib.sha256(b"").digest()) == f"integrity=<sha256-{EMPTY_SHA256}>"
    assert integrity_name_of(b"") == f"integrity=<sha256-{EMPTY_SHA256}>"
    data = b"\0asm\x0d\x00\x01\x00"
    name = integrity_name_of(data)
    parsed = parse_name(name)
    assert parsed.sha256 == hashlib.sha256(data).digest()
    assert parsed.matches(data) and not parsed.matches(data + b"\0")
    assert integrity_name(b"\x01" * 48, "sha384").startswith("integrity=<sha384-AQEB")
    with pytest.raises(ValueError, match="a sha256 digest has 32 bytes, not 31"):
        integrity_name(b"\0" * 31)
    with pytest.raises(ValueError, match="unknown hash algorithm 'md5'"):
        integrity_name(b"\0" * 16, "md5")


def test_a_hex_digest_is_well_formed_base64_but_not_the_sha256_it_looks_like():
    # wac's test name spells the empty string's sha256 in hex: lexically valid (hex digits are
    # base64 characters) but it decodes to 48 bytes, so it matches nothing
    name = parse_name("integrity=<sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca49599"
                      "1b7852b855>")
    assert len(name.sha256) == 48 and not name.matches(b"")


def test_names_hold_their_sha256_digest_for_the_registry():
    digest = hashlib.sha256(b"component bytes").digest()
    name = f"locked-dep=<my:lib@1.0.0>,{integrity_name(digest)}"
    assert parse_name(name).integrity.sha256 == digest
    assert parse_name(f"url=<https://x/y.wasm>,{integrity_name(digest)}").integrity.sha256 == digest


@pytest.mark.parametrize("version, split", [
    ("1.2.3", ("1", ".2.3")), ("0.2.6-rc.1", ("0.2", ".6-rc.1")),
    ("0.0.1-alpha", ("0.0.1", "-alpha")), ("2.0.0", ("2", ".0.0")),
])
def test_versions_split_into_canonical_version_and_suffix_as_the_explainer_says(version, split):
    assert split_version(version) == split
    canon, suffix = split
    assert str(parse_name(f"a:b/c@{canon}")) == f"a:b/c@{canon}"


def test_strong_uniqueness_follows_the_explainers_examples():
    unique = ["foo", "foo-bar", "[constructor]foo", "[method]foo.bar", "[static]foo.baz",
              "foo:bar/baz"]
    keys = {uniqueness_key(n) for n in unique}
    assert len(keys) == len(unique)
    for clash in ["foo", "FOO", "foo-BAR", "[constructor]FOO", "[method]foo.BAR",
                  "[static]foo.bar", "[method]foo.baz", "[method]foo.foo",
                  "[static]foo-BAR.FOO-bar", "foo:bar/BAZ"]:
        assert uniqueness_key(clash) in keys, clash


# --- names real producers wrote ------------------------------------------------------------------

def names_of(c: m.Component, out: set) -> set:
    for s in c.sections:
        if isinstance(s, m.ComponentSection):
            names_of(s.component, out)
        elif isinstance(s, (m.ImportSection, m.ExportSection)):
            out.update(i.name for i in s.items)
        elif isinstance(s, m.TypeSection):
            for t in s.items:
                if isinstance(t, (m.ComponentType, m.InstanceType)):
                    out.update(d.name for d in t.decls if isinstance(d, (m.ImportDecl,
                                                                         m.ExportDecl)))
    return out


@pytest.fixture(scope="module")
def producer_names() -> set:
    names: set = set()
    for wat in sorted(CONFORMANCE.glob("*/component.wat")):
        names_of(decode_component(wasmtime.wat2wasm(wat.read_text())), names)
    for wat in sorted((WAC / "wac-graph/tests/graphs").glob("*/encoded.wat")):
        names_of(decode_component(wasmtime.wat2wasm(wat.read_text())), names)
    return names


def test_every_name_in_the_conformance_components_parses_and_prints_back(producer_names):
    forms = {}
    for name in producer_names:
        parsed = parse_name(name)
        assert str(parsed) == name
        forms.setdefault(type(parsed).__name__, set()).add(name)
    assert set(forms) == {"PlainName", "InterfaceName", "UnlockedDepName"}
    assert {"[constructor]a", "[method]r.m", "[static]a.other-new", "a:b/c@0.1.1",
            "foo:foo/my-default"} <= producer_names
    assert "unlocked-dep=<test:foo>" in forms["UnlockedDepName"]
    assert parse_name("unlocked-dep=<test:foo>") == UnlockedDepName("test:foo")


def test_every_name_in_the_python_component_parses(python_component):
    names = names_of(decode_component(python_component.read_bytes()), set())
    parsed = {n: parse_name(n) for n in names}
    assert parsed["greet"] == PlainName("greet")
    poll = [p for p in parsed.values() if isinstance(p, InterfaceName) and p.interface == "poll"]
    assert poll and poll[0].namespace == "wasi" and poll[0].version.startswith("0.2.")


# --- properties ----------------------------------------------------------------------------------

_word = st.from_regex(r"[a-z][0-9a-z]{0,5}", fullmatch=True)
_label = st.builds(lambda first, rest: "-".join([first] + rest), _word,
                   st.lists(st.from_regex(r"[0-9a-z]{1,4}|[0-9A-Z]{1,4}", fullmatch=True),
                            max_size=3))


@settings(max_examples=200, deadline=None)
@given(st.one_of(
    _label,
    st.builds(lambda r: f"[constructor]{r}", _label),
    st.builds(lambda r, f: f"[method]{r}.{f}", _label, _label),
    st.builds(lambda n, p, i, v: f"{n}:{p}/{i}@{v[0]}.{v[1]}.{v[2]}", _word, _word, _label,
              st.tuples(*[st.integers(0, 20)] * 3)),
    st.builds(lambda d: integrity_name(d), st.binary(min_size=32, max_size=32)),
))
def test_names_built_from_the_grammar_round_trip(name):
    assert str(parse_name(name)) == name


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="az09AZ-:/@.[]<>=,{}* ?+~_", max_size=30))
def test_arbitrary_text_parses_or_raises_name_syntax_error(text):
    try:
        parsed = parse_name(text)
    except NameSyntaxError:
        return
    assert str(parsed) == text
