"""``plan_link``: the passes of shared-everything dynamic linking, and the plan they produce.

The component layer (``wasmlink component link``) turns a LinkPlan into a component: it
instantiates ``main_module`` with its imports (``main_wiring``, empty unless wasip3 threads may
exist), then each library in ``order`` with its imports taken as ``wiring`` says, then
``init_module`` with ``init_wiring``. Nothing here knows about components; a plan can as well be
run with a core-wasm engine alone (tests/support/dynlink_run.py does).
"""
from __future__ import annotations

from typing import NamedTuple

from ..errors import LinkError, UnsupportedError
from .init_module import MAIN, make_init_module
from .libraries import (
    ENV, GOT_FUNC, GOT_MEM, MAIN_ENV_GLOBALS, MAIN_GOT_MEM, TLS_BASE_INTRINSICS, Library,
    read_libraries,
)
from .main_module import lay_out, main_imports, make_main_module, stub_export
from .resolve import STUBS, Resolution, check_needed, resolve
from .tls import CONTEXT_GET_1

DEFAULT_STACK_SIZE = 1 << 20
BUILT_IN_LIBDL = "libdl.so"


def built_in_libdl() -> bytes:
    from pathlib import Path
    return (Path(__file__).parent / "libdl" / "libdl.so").read_bytes()


class Source(NamedTuple):
    """Where an import comes from.

    kind "main": the main module's export ``name``; "library": ``library``'s export ``name``;
    "world": nothing here provides it (the component layer lowers the world function ``name``
    of the import's module); "stub": a trapping function, the main module's export ``name``;
    "context": the component's built-in ``name`` (``context.get 0`` and ``context.set 0`` for
    the stack pointer, ``context.get 1`` for main's TLS-base accessors)."""
    kind: str
    name: str | None
    library: str | None = None


class LinkPlan(NamedTuple):
    main_module: bytes
    order: list[str]
    wiring: dict[str, dict[tuple[str, str], Source]]
    init_module: bytes
    init_wiring: dict[tuple[str, str], Source]
    warnings: list[str]
    main_wiring: dict[tuple[str, str], Source]


def plan_link(libraries, *, dl_openable=(), stack_size: int = DEFAULT_STACK_SIZE,
              stub_missing_functions: bool = False, use_built_in_libdl: bool = False) -> LinkPlan:
    """Plan the shared-everything link of ``libraries``, a list of (name, bytes, path).

    Raises LinkError for what cannot be linked (missing libraries or symbols, ...) and
    ParseError for malformed libraries."""
    if stack_size <= 0 or stack_size % 16:
        raise LinkError(f"stack size {stack_size} must be a positive multiple of 16")
    libraries = list(libraries)
    if use_built_in_libdl and not any(name == BUILT_IN_LIBDL for name, _, _ in libraries):
        # as wit-component does: its own libdl.so (dlopen/dlsym over the lookup table, built
        # from libdl/libdl.c), last, where libraries that need it find it
        libraries.append((BUILT_IN_LIBDL, built_in_libdl(), "<built-in libdl.so>"))
    libs = read_libraries(libraries, dl_openable)   # dylink.0, imports, exports
    check_needed(libs)                               # every needed library is an input
    res = resolve(libs, stub_missing_functions)      # providers, stubs, order, trampolines
    lay = lay_out(libs, res, stack_size)             # memory/table bases, slots, dlopen table
    main = make_main_module(libs, res, lay, stack_size)
    init, init_imports = make_init_module(libs, res, lay)
    by_name = {lib.name: lib for lib in libs}
    wiring = {name: wire_library(by_name[name], res) for name in res.order}
    init_wiring = {(module, name): (Source("main", name) if module == MAIN
                                    else Source("library", name, module))
                   for module, name in init_imports}
    main_wiring = {key: CONTEXT_SOURCES[key[1]] for key in main_imports(lay)}
    return LinkPlan(main, list(res.order), wiring, init, init_wiring, list(res.warnings),
                    main_wiring)


def wire_library(lib: Library, res: Resolution) -> dict[tuple[str, str], Source]:
    """Every import of ``lib`` and its Source."""
    before = set(res.order[:res.order.index(lib.name)])
    trampolined = {t.name for t in res.trampolines}
    out = {}
    for imp in lib.module.imports:
        key = (imp.module, imp.name)
        if imp.module == ENV:
            out[key] = _wire_env(lib, imp, res, before, trampolined)
        elif imp.module == GOT_MEM:
            out[key] = Source("main", imp.name if imp.name in MAIN_GOT_MEM
                              else f"{lib.name}:{imp.name}")
        elif imp.module == GOT_FUNC:
            out[key] = Source("main", f"{lib.name}:{imp.name}")
        else:
            out[key] = Source("world", imp.name)
    return out


CONTEXT_SOURCES = {"__wasm_get_stack_pointer": Source("context", "context.get 0"),
                   "__wasm_set_stack_pointer": Source("context", "context.set 0"),
                   CONTEXT_GET_1: Source("context", "context.get 1")}


def _wire_env(lib: Library, imp, res: Resolution, before, trampolined) -> Source:
    name = imp.name
    if name in ("memory", "__indirect_function_table") or name in MAIN_ENV_GLOBALS:
        return Source("main", name)
    if name in lib.intrinsics:
        if name in TLS_BASE_INTRINSICS:
            return Source("main", f"{lib.name}:{name}")
        return CONTEXT_SOURCES[name]
    if name == "__memory_base":
        return Source("main", f"{lib.name}:memory_base")
    if name == "__table_base":
        return Source("main", f"{lib.name}:table_base")
    if name in lib.env_tags:
        provider = res.tags[lib.name][name]
        if provider not in before:
            raise LinkError(f"circular dependency prevents direct tag import from `{provider}` "
                            f"(library {lib.name} imports tag {name})")
        return Source("library", name, provider)
    provider = res.functions[lib.name][name]
    if provider == STUBS:
        return Source("stub", stub_export(name))
    if provider in before:
        return Source("library", name, provider)
    assert name in trampolined, name
    return Source("main", name)


__all__ = ["plan_link", "LinkPlan", "Source", "DEFAULT_STACK_SIZE"]
