"""Run wit-component's `component link` cases (../shared/conformance/wasm-tools, the `link*`
folders) through wasmlink: each lib-NAME.wat (or dlopen-lib-NAME.wat, dl-openable) with its
lib-NAME.wit embedded becomes library NAME, each adapt-NAME.wat an adapter (named by a first
line `;; module name: NAME` where the name cannot be a file name), as wit-component's harness
(tests/components.rs) has them; the expected outcome is error.txt (we must fail with
a wasmlink error) or a component that validates and whose world prints as component.wit.print.
Wasmtime validates; where it refuses only for want of a component model feature wasmtime-py
cannot enable (threading...), wasmparser with every feature on does (tests/support/all_features.py).

    python3 tests/component_link/runner.py [CASE...]
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

CASES = Path("/work/shared/conformance/wasm-tools/crates/wit-component/tests/components")


def link_cases() -> list[str]:
    return sorted(d.name for d in CASES.iterdir()
                  if any(p.name.startswith(("lib-", "dlopen-lib-")) for p in d.iterdir()))


def options(directory: Path) -> dict:
    opts = {}
    for f in directory.iterdir():
        if f.suffix in (".wat", ".wit"):
            for m in re.finditer(r"^;;!\s*([\w-]+)\s*=\s*(\S+)", f.read_text(), re.M):
                opts[m.group(1)] = m.group(2)
    return opts


def resolve_case(directory: Path):
    """Every .wit file of the case as one package (the libraries' worlds share its
    interfaces, as wit-component's harness reads them), with the case's deps/."""
    from wasmlink.wit.resolve import Resolve, Source, _parse_group
    files = sorted(directory.glob("*.wit"))
    group = _parse_group([Source(str(f), f.read_text()) for f in files])
    deps = []
    if (directory / "deps").is_dir():
        for entry in sorted((directory / "deps").iterdir()):
            if entry.is_dir():
                deps.append(Resolve._parse_dir(entry))
            elif entry.suffix == ".wit":
                deps.append(_parse_group([Source(str(entry), entry.read_text())]))
    resolve = Resolve()
    return resolve, resolve._push_groups(group, deps)


def library(directory: Path, wat: Path) -> bytes:
    import wasmtime
    from wasmlink.embed.embed import SECTION_NAME, custom_section, producers
    from wasmlink.wit.encode import encode_world
    module = bytes(wasmtime.wat2wasm(wat.read_text()))
    wit = wat.with_suffix(".wit")
    if not wit.exists():
        return module
    resolve, package = resolve_case(directory)
    world = resolve.select_world(package, wat.stem)
    return module + custom_section(SECTION_NAME, encode_world(resolve, world, "utf8",
                                                              producers()))


def adapter_name(wat: Path) -> str:
    first = wat.read_text().split("\n", 1)[0]
    if first.startswith(";; module name: "):
        return first[len(";; module name: "):].strip()
    return wat.stem[len("adapt-"):]


def run_case(name: str) -> tuple[bool, str]:
    from wasmlink.errors import WasmlinkError
    from wasmlink.wit.decode import decode_component_world
    from wasmlink.wit.printer import print_package
    from wasmlink.wrap.link import link_component
    from support.all_features import validate
    d = CASES / name
    opts = options(d)
    libraries, dl_openable, adapters = [], [], []
    try:
        for wat in sorted(d.glob("*.wat")):
            if wat.name.startswith("lib-"):
                libraries.append((wat.stem[len("lib-"):], library(d, wat), str(wat)))
            elif wat.name.startswith("dlopen-lib-"):
                lib = wat.stem[len("dlopen-lib-"):]
                libraries.append((lib, library(d, wat), str(wat)))
                dl_openable.append(lib)
            elif wat.name.startswith("adapt-"):
                adapters.append((adapter_name(wat), library(d, wat), str(wat)))
        component = link_component(
            libraries, dl_openable=dl_openable, adapters=adapters,
            stub_missing_functions=opts.get("stub-missing-functions") == "true",
            use_built_in_libdl=opts.get("use-built-in-libdl") == "true")
    except WasmlinkError as e:
        if (d / "error.txt").exists():
            return True, f"error as expected: {e}"
        return False, f"error: {e}"
    except Exception as e:
        return False, f"crash: {type(e).__name__}: {e}"
    if (d / "error.txt").exists():
        return False, "linked where wit-component fails: " + \
            (d / "error.txt").read_text().strip().splitlines()[0][:120]
    invalid, validator = validate(component)
    if invalid:
        return False, f"invalid: {invalid[:160]}"
    validated = "" if validator == "Wasmtime" else f" (validated by {validator})"
    try:
        resolve, world = decode_component_world(component)
        printed = print_package(resolve, resolve.worlds[world].package)
    except Exception as e:
        return False, f"its world does not print: {type(e).__name__}: {e}"
    expected = (d / "component.wit.print").read_text()
    return (printed == expected), ("same world" + validated if printed == expected
                                   else "world differs")


def main(argv) -> int:
    names = argv or link_cases()
    passed = 0
    for n in names:
        ok, why = run_case(n)
        passed += ok
        print(f"{'PASS' if ok else 'FAIL'}  {n}: {why}")
    print(f"{passed} of {len(names)} passed")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))     # tests/, for support/
    sys.exit(main(sys.argv[1:]))
