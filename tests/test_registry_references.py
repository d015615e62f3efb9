"""What users name: OCI references, oci:PATH:REFERENCE, wkg package names and digests, parsed
into exact parts or refused with a message saying what was wrong and what was expected."""
import pytest

from wasmlink.errors import UsageError
from wasmlink.registry.references import (
    PackageName, Reference, canonical_name, parse_digest, parse_reference,
    parse_registry_reference, parse_repository, parse_store_name, parse_store_reference,
    parse_tag, parse_wkg_name, wkg_to_oci)

HEX = "0123456789abcdef" * 4
DIGEST = f"sha256:{HEX}"


@pytest.mark.parametrize("text, parts", [
    ("localhost:5000/ns/name:1.0.0", ("localhost:5000", "ns/name", "1.0.0", None)),
    ("ghcr.io/bytecodealliance/wasi-http", ("ghcr.io", "bytecodealliance/wasi-http", "latest",
                                            None)),
    (f"ghcr.io/a/b@{DIGEST}", ("ghcr.io", "a/b", None, DIGEST)),
    (f"registry.example.com:443/a/b/c:v2@{DIGEST}", ("registry.example.com:443", "a/b/c",
                                                      "v2", DIGEST)),
    ("localhost/x:_Tag.1-2", ("localhost", "x", "_Tag.1-2", None)),
    ("localhost/a.b_c__d---e:1", ("localhost", "a.b_c__d---e", "1", None)),
    ("[::1]:5000/x:1", ("[::1]:5000", "x", "1", None)),
    ("localhost/x:" + "a" * 128, ("localhost", "x", "a" * 128, None)),
])
def test_registry_references_parse_into_their_parts(text, parts):
    ref = parse_registry_reference(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == parts
    assert ref.kind == "registry" and ref.store_path is None


def test_a_registry_reference_prints_in_canonical_form():
    assert str(parse_reference("localhost:5000/ns/name")) == "localhost:5000/ns/name:latest"
    assert str(parse_reference(f"ghcr.io/a/b:1@{DIGEST}")) == f"ghcr.io/a/b:1@{DIGEST}"
    assert str(Reference("ghcr.io", "a/b", None, DIGEST)) == f"ghcr.io/a/b@{DIGEST}"


@pytest.mark.parametrize("text, says", [
    ("../x", "'..' path component is not allowed"),
    ("localhost/a/../../b", "'..' path component is not allowed"),
    ("localhost/./b", "'.' or '..' path component"),
    ("localhost//x", "empty path component"),
    ("localhost/x/", "empty path component"),
    ("localhost/", "the repository is empty"),
    ("localhost/x:-x", "the tag '-x' is not"),
    ("localhost/x:.x", "the tag '.x' is not"),
    ("localhost/x:" + "a" * 129, "the tag is 129 characters long, more than 128"),
    ("localhost/x:", "the tag is empty"),
    ("localhost/x@sha256:abc", "the digest has 3 hex digits, not 64"),
    (f"localhost/x@sha256:{HEX}0", "the digest has 65 hex digits, not 64"),
    (f"localhost/x@sha256:{HEX.upper()}", "uppercase hex digits"),
    (f"localhost/x@SHA256:{HEX}", "must be lowercase"),
    (f"localhost/x@sha512:{HEX}{HEX}", "unsupported digest algorithm 'sha512'"),
    ("localhost/x@sha256:" + "g" * 64, "not hex digits"),
    ("localhost/x@latest", "the digest has no algorithm"),
    ("localhost/Upper/x", "'Upper' has uppercase letters"),
    ("localhost/a-/x", "'a-' is not lowercase letters and digits"),
    ("localhost/a\\b", "backslash"),
    ("localhost/a\0b", "NUL byte"),
    ("ns/name:1.0", "no registry"),
    ("name", "no registry"),
    ("ns:name@1.0.0", "a wkg package name has no registry in it"),
    ("bad_host.com/x", "is not a registry host"),
    ("localhost/" + "a" * 250, "more than 255"),
])
def test_bad_registry_references_say_what_is_wrong_and_what_is_expected(text, says):
    with pytest.raises(UsageError) as e:
        parse_registry_reference(text)
    message = str(e.value)
    assert message.startswith(f"invalid reference {text!r}: ")
    assert says in message
    assert message.endswith("expected REGISTRY[:PORT]/REPOSITORY[:TAG][@sha256:HEX], e.g. "
                            "localhost:5000/ns/name:1.0.0")


@pytest.mark.parametrize("text, parts", [
    ("oci:/tmp/store:v1", ("/tmp/store", None, "v1", None)),
    ("oci:store:ns/name:1.0.0", ("store", "ns/name", "1.0.0", None)),
    ("oci:store:ns/name", ("store", "ns/name", "latest", None)),
    ("oci:store:wasi:http@0.2.0", ("store", "wasi/http", "0.2.0", None)),
    (f"oci:store:@{DIGEST}", ("store", None, None, DIGEST)),
    (f"oci:store:ns/name:1@{DIGEST}", ("store", "ns/name", "1", DIGEST)),
    (f"oci:../rel/dir:v1", ("../rel/dir", None, "v1", None)),
])
def test_store_references_split_at_the_first_colon_after_oci(text, parts):
    ref = parse_reference(text)
    assert ref.kind == "store" and ref.registry is None
    assert (ref.store_path, ref.repository, ref.tag, ref.digest) == parts


def test_a_store_reference_prints_with_its_canonical_name():
    assert str(parse_store_reference("oci:s:wasi:http@0.2.0")) == "oci:s:wasi/http:0.2.0"
    assert str(parse_store_reference(f"oci:s:@{DIGEST}")) == f"oci:s:@{DIGEST}"
    assert parse_store_reference("oci:s:v1").name == "v1"
    assert parse_store_reference(f"oci:s:@{DIGEST}").name is None


@pytest.mark.parametrize("text, says", [
    ("oci:", "no store directory after 'oci:'"),
    ("oci::v1", "no store directory after 'oci:'"),
    ("oci:/tmp/store", "no reference after the store directory '/tmp/store'"),
    ("oci:/tmp/store:", "no reference after the store directory '/tmp/store'"),
    ("oci:s:../x", "'..' is not allowed"),
    ("oci:s:a/../../b:1", "'..' is not allowed"),
    ("oci:s:/abs:1", "empty path component"),
    ("oci:s:-x", "the tag '-x' is not"),
    ("oci:s:a\\b", "backslash"),
    ("oci:s\0x:v1", "NUL byte"),
    ("oci:s:@sha256:abc", "the digest has 3 hex digits, not 64"),
    ("oci:s:ns:Name@1.0.0", "the name 'Name' is not a kebab-case label"),
])
def test_bad_store_references_are_refused(text, says):
    with pytest.raises(UsageError, match="^invalid ") as e:
        parse_reference(text)
    assert says in str(e.value)


@pytest.mark.parametrize("text, key", [
    ("v1", "v1"),
    ("ns/name:1.0.0", "ns/name:1.0.0"),
    ("ns:name@1.0.0", "ns/name:1.0.0"),
    ("ns/name", "ns/name:latest"),
    ("ns:name", "ns:name"),             # REPOSITORY 'ns', TAG 'name': wkg names need a version
    ("a-b:c-d@1.2.3-rc.1", "a-b/c-d:1.2.3-rc.1"),
])
def test_store_names_have_one_canonical_key(text, key):
    assert canonical_name(text) == key


def test_a_store_name_cannot_hold_a_digest():
    with pytest.raises(UsageError, match="a name cannot hold a digest"):
        parse_store_name(f"ns/name:1@{DIGEST}")


@pytest.mark.parametrize("text, package", [
    ("wasi:http@0.2.0", PackageName("wasi", "http", "0.2.0")),
    ("my-ns:my-pkg2", PackageName("my-ns", "my-pkg2", None)),
    ("a:b@1.0.0-alpha.1+build.5", PackageName("a", "b", "1.0.0-alpha.1+build.5")),
])
def test_wkg_names_parse(text, package):
    assert parse_wkg_name(text) == package
    assert str(package) == text


@pytest.mark.parametrize("text, says", [
    ("wasi", "no ':' between namespace and name"),
    ("Wasi:http", "the namespace 'Wasi' is not a kebab-case label"),
    ("wasi:http-", "the name 'http-' is not a kebab-case label"),
    ("wasi:1http", "the name '1http' is not a kebab-case label"),
    ("wasi:http@1.0", "'1.0' is not a semver version"),
    ("wasi:http@01.0.0", "'01.0.0' is not a semver version"),
    ("wasi:http@", "'' is not a semver version"),
])
def test_bad_wkg_names_are_refused(text, says):
    with pytest.raises(UsageError) as e:
        parse_wkg_name(text)
    assert str(e.value).startswith(f"invalid package name {text!r}: {says}")


def test_wkg_names_map_to_oci_as_wkg_maps_them():
    assert str(wkg_to_oci("wasi:http@0.2.0", "ghcr.io")) == "ghcr.io/wasi/http:0.2.0"
    assert str(wkg_to_oci("wasi:http@0.2.0", "ghcr.io", "webassembly/")) == \
        "ghcr.io/webassembly/wasi/http:0.2.0"
    assert str(wkg_to_oci("wasi:http", "localhost:5000")) == "localhost:5000/wasi/http:latest"
    assert parse_wkg_name("wasi:http@0.2.0").repository == "wasi/http"


def test_a_version_with_build_metadata_has_no_oci_tag():
    with pytest.raises(UsageError, match=r"build metadata \('\+\.\.\.'\), which an OCI tag "
                                         r"cannot hold"):
        wkg_to_oci("a:b@1.0.0+build", "ghcr.io")


def test_parse_digest_accepts_exactly_sha256_and_64_lowercase_hex():
    assert parse_digest(DIGEST) == DIGEST
    for bad, says in [(f"sha256:{HEX[:-1]}", "63 hex digits"), (HEX, "no algorithm"),
                      (f"sha256:{HEX[:-1]}A", "uppercase"), (f"md5:{HEX}", "'md5'"),
                      (f"sha256:{HEX}\n", "not hex digits"), ("", "no algorithm")]:
        with pytest.raises(UsageError) as e:
            parse_digest(bad)
        assert str(e.value).startswith(f"invalid digest {bad!r}: ")
        assert says in str(e.value)
        assert str(e.value).endswith("expected sha256: and 64 lowercase hex digits")


def test_repositories_and_tags_alone():
    assert parse_repository("ns/name") == "ns/name"
    assert parse_repository("wasi:http") == "wasi/http"
    assert parse_tag("v1.0") == "v1.0"
    with pytest.raises(UsageError, match="'..' is not allowed"):
        parse_repository("a/../b")
    with pytest.raises(UsageError, match="the tag 'a/b' is not"):
        parse_tag("a/b")


def test_a_reference_is_a_frozen_value():
    ref = parse_reference("localhost/x:1")
    assert ref == Reference("localhost", "x", "1", None)
    assert hash(ref) == hash(Reference("localhost", "x", "1", None))
    with pytest.raises(AttributeError):
        ref.tag = "2"


def test_a_reference_that_is_not_a_string_is_a_usage_error():
    with pytest.raises(UsageError, match="a reference must be a string, not bytes"):
        parse_reference(b"localhost/x")
