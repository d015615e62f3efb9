"""Run wit-component's `tests/components` cases (../shared/conformance/wasm-tools) through
wasmlink's `component new`: each case's module.wat (with its module.wit embedded) and
adapt-NAME.wat adapters (with adapt-NAME.wit) go in; the expected outcome is either error.txt
(we must fail with a wasmlink error) or a component whose world prints as component.wit.print
(ours must validate and print the same world). Wasmtime validates; where it refuses only for
want of a component model feature this Wasmtime has no switch for (error-context, threading,
64-bit; async stackful and more async built-ins are switched on through its C API), wasmparser with every feature on does (tests/support/all_features.py).

    python3 tests/component_new/runner.py [CASE...]      # prints pass/fail per case
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

CASES = Path("/work/shared/conformance/wasm-tools/crates/wit-component/tests/components")


def options(directory: Path) -> dict:
    opts = {}
    for f in directory.iterdir():
        if f.suffix in (".wat", ".wit"):
            for m in re.finditer(r"^;;!\s*([\w-]+)\s*=\s*(\S+)", f.read_text(), re.M):
                opts[m.group(1)] = m.group(2)
    return opts


def single_module_cases() -> list[str]:
    """Cases of `component new`: one module.wat, maybe adapters; not `component link` ones."""
    out = []
    for d in sorted(CASES.iterdir()):
        names = {p.name for p in d.iterdir()}
        if "module.wat" in names and not any(n.startswith(("lib-", "dlopen-lib-")) for n in names):
            out.append(d.name)
    return out


def resolve_case(directory: Path, extra: Path | None = None):
    """module.wit (and an adapter's WIT, which has no package header: it is another file of
    module.wit's package, as wit-component's test harness reads it) with the case's deps/."""
    from wasmlink.wit.resolve import Resolve, Source, _parse_group
    files = [directory / "module.wit"] + ([extra] if extra else [])
    group = _parse_group([Source(str(f), f.read_text()) for f in files])
    deps = []
    if (directory / "deps").is_dir():
        for entry in sorted((directory / "deps").iterdir()):
            if entry.is_dir():
                deps.append(Resolve._parse_dir(entry))
            elif entry.suffix == ".wit":
                deps.append(_parse_group([Source(str(entry), entry.read_text())]))
    resolve = Resolve()
    package = resolve._push_groups(group, deps)
    return resolve, package


def embedded(directory: Path, wat: Path, wit: Path | None = None) -> bytes:
    """The module of ``wat`` with the world of module.wit (or, for an adapter, of its WIT)."""
    import wasmtime
    from wasmlink.embed.embed import SECTION_NAME, custom_section, producers
    from wasmlink.wit.encode import encode_world
    module = wasmtime.wat2wasm(wat.read_text())
    resolve, package = resolve_case(directory, wit)
    if wit is None:
        world = resolve.select_world(package, "module") if "module" in \
            resolve.packages[package].worlds else resolve.select_world(package)
    else:
        world = resolve.select_world(package, wat.stem)
    return bytes(module) + custom_section(SECTION_NAME, encode_world(resolve, world, "utf8",
                                                                      producers()))


def build_case(name: str) -> bytes:
    """Case ``name``'s component, as wasmlink's `component new` makes it (a WasmlinkError
    where it refuses the inputs)."""
    from wasmlink.wrap.new import new_component
    d = CASES / name
    module = embedded(d, d / "module.wat")
    adapters = []
    for wat in sorted(d.glob("adapt-*.wat")):
        named = re.search(r"^;; module name: (\S+)", wat.read_text(), re.M)
        adapter_name = named.group(1) if named else wat.stem[len("adapt-"):]
        adapters.append((adapter_name, embedded(d, wat, wat.with_suffix(".wit")), str(wat)))
    return new_component(module, path="module.wasm", adapters=adapters,
                         realloc_via_memory_grow=options(d).get("realloc-via-memory-grow")
                         == "true")


def run_case(name: str) -> tuple[bool, str]:
    """(passed, what happened)."""
    from wasmlink.errors import WasmlinkError
    from wasmlink.wit.decode import decode_component_world
    from wasmlink.wit.printer import print_package
    from support.all_features import validate
    d = CASES / name
    try:
        component = build_case(name)
    except WasmlinkError as e:
        if (d / "error.txt").exists():
            return True, f"error as expected: {e}"
        return False, f"error: {e}"
    except Exception as e:          # a wasmlink bug
        return False, f"crash: {type(e).__name__}: {e}"
    if (d / "error.txt").exists():
        return False, "built a component where wit-component fails: " + \
            (d / "error.txt").read_text().strip().splitlines()[0][:120]
    invalid, validator = validate(component)
    if invalid:
        return False, f"invalid: {invalid[:160]}"
    try:
        resolve, world = decode_component_world(component)
        printed = print_package(resolve, resolve.worlds[world].package)
    except Exception as e:
        return False, f"its world does not print: {type(e).__name__}: {e}"
    expected = (d / "component.wit.print").read_text()
    if printed != expected:
        return False, "world differs"
    return True, "same world" + ("" if validator == "Wasmtime" else f" (validated by {validator})")


def main(argv) -> int:
    names = argv or single_module_cases()
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
