"""Symbol resolution and instantiation order.

Resolution follows wit-component's linker. Every export of every library goes into one table
keyed by (name, kind, type); an import resolves to the first library in input order that defines
the same key, and a second definition is reported as a warning naming both. GOT.func entries
match functions by name alone (the global carries no type). What stays unresolved is an error,
unless every missing symbol is a function and either ``stub_missing_functions`` is set or every
one of them is weak: then each gets a trapping stub (a weak GOT.func entry of a stub is the null
pointer, 0). A weak data address that no library defines is 0 too.

The instantiation order is a topological sort of the "needed" and env-function dependencies
(transitively closed), input order breaking ties. A cycle cannot be ordered; wit-component's
answer, kept here, is to visit a library's dependencies that do not depend on it, then the
library, then the rest of its cycle. An env function whose provider comes later in that order is
reached through a trampoline in the main module (``call_indirect`` into a table slot that the
init module fills); functions whose address is taken (GOT.func) always get such a slot, so that
every library sees the same function pointer.
"""
from __future__ import annotations

from typing import NamedTuple

from ..binary.types import FUNC, GLOBAL, TAG, FuncType
from ..errors import LinkError
from .libraries import ADDRESS, ENV, GOT_FUNC, GOT_MEM, Library, SymbolKey

STUBS = "wit-component:stubs"       # the provider name of trapping stubs, as wit-component


class Trampoline(NamedTuple):
    """A main-module export that calls ``provider``'s ``name`` through table slot ``slot``
    (absolute slot numbers are assigned by the layout)."""
    name: str
    type: FuncType
    provider: str


class Resolution:
    def __init__(self):
        self.functions: dict[str, dict[str, str]] = {}     # library -> env function -> provider
        self.tags: dict[str, dict[str, str]] = {}
        self.addresses: dict[str, dict[str, str | None]] = {}   # GOT.mem: provider or None (0)
        self.got_funcs: dict[str, dict[str, str | None]] = {}   # GOT.func: provider or None (0)
        self.stubs: dict[str, FuncType] = {}
        self.warnings: list[str] = []
        self.order: list[str] = []
        self.trampolines: list[Trampoline] = []


def check_needed(libs: list[Library]) -> None:
    names = {lib.name for lib in libs}
    missing = [(lib.name, [n for n in lib.needed if n not in names]) for lib in libs]
    missing = [(name, needs) for name, needs in missing if needs]
    if missing:
        raise LinkError("missing libraries:\n" + "\n".join(
            f"\t{name} needs {', '.join(needs)}" for name, needs in missing))


def resolve(libs: list[Library], stub_missing_functions: bool) -> Resolution:
    res = Resolution()
    if any(lib.name == STUBS for lib in libs):
        raise LinkError(f"library name {STUBS} is reserved")
    definers: dict[SymbolKey, list[str]] = {}
    functions_by_name: dict[str, tuple[str, SymbolKey]] = {}
    for lib in libs:
        for key in lib.exports.values():
            definers.setdefault(key, []).append(lib.name)
            if key.kind == FUNC:
                functions_by_name.setdefault(key.name, (lib.name, key))
    by_name = {lib.name: lib for lib in libs}

    warned = set()
    missing: list[tuple[str, SymbolKey, bool]] = []     # (importer, symbol, weak)
    # weak addresses (GOT.mem, GOT.func) nobody defines are 0: no stub, no error

    def lookup_address(importer: str, key: SymbolKey, weak: bool):
        if weak and key not in definers:
            return None
        return lookup(importer, key, weak)

    def lookup(importer: str, key: SymbolKey, weak: bool):
        found = definers.get(key)
        if not found:
            missing.append((importer, key, weak))
            return None
        if len(found) > 1 and key not in warned:
            warned.add(key)
            res.warnings.append(
                f"duplicate symbol {key}: defined by {', '.join(found)}; "
                f"{importer} and any other importer use {found[0]} (first in input order)")
        return found[0]

    for lib in libs:
        res.functions[lib.name] = {
            name: lookup(lib.name, SymbolKey(name, FUNC, ty), lib.is_weak(ENV, name))
            for name, (ty, _) in sorted(lib.env_functions.items())}
        res.addresses[lib.name] = {
            name: lookup_address(lib.name, SymbolKey(name, GLOBAL, ADDRESS),
                                 lib.is_weak(GOT_MEM, name))
            for name in lib.got_mem}
        res.tags[lib.name] = {
            name: lookup(lib.name, SymbolKey(name, TAG, ty), False)
            for name, ty in sorted(lib.env_tags.items())}
    for lib in libs:
        got = res.got_funcs[lib.name] = {}
        for name in lib.got_func:
            if name in functions_by_name:
                provider, key = functions_by_name[name]
                got[name] = lookup(lib.name, key, False)
            else:
                got[name] = None
                if name not in lib.env_functions and not lib.is_weak(GOT_FUNC, name):
                    # (missing already, through the env import, if there is one)
                    missing.append((lib.name, SymbolKey(name, FUNC, FuncType((), ())), False))

    _settle_missing(res, libs, missing, stub_missing_functions)
    res.order = instantiation_order(libs, res, by_name)
    res.trampolines = trampolines(libs, res, by_name)
    return res


def _settle_missing(res: Resolution, libs, missing, stub_missing_functions: bool) -> None:
    """Stub what may be stubbed, or raise the unresolved symbols together."""
    if not missing:
        return
    rest = missing
    stubbable = all(k.kind == FUNC for _, k, _ in rest) and (
        stub_missing_functions or all(weak for _, _, weak in rest))
    if not stubbable:
        # a definition under the same name but of another type is a signature mismatch:
        # say so here rather than let it surface as a confusing validation error later
        others: dict = {}
        for lib in libs:
            for k in lib.exports.values():
                others.setdefault((k.name, k.kind), []).append((lib.name, k))

        def line(importer, key) -> str:
            if key.kind != FUNC:
                return f"\t{importer} needs {key}"
            found = [f"{name} defines {k}" for name, k in others.get((key.name, key.kind), ())
                     if k != key]
            return f"\t{importer} needs {key}" + (
                f", but {'; '.join(found)} (a signature mismatch)" if found else "")
        raise LinkError("unresolved symbol(s):\n" + "\n".join(
            line(importer, key) for importer, key, weak in rest if not weak))
    for importer, key, weak in rest:
        res.stubs.setdefault(key.name, key.type)
        if key.name in res.functions[importer]:
            res.functions[importer][key.name] = STUBS
        if key.name in res.got_funcs[importer]:
            # wit-component: the address of a weak stub is the null pointer
            res.got_funcs[importer][key.name] = None if weak else STUBS
    # GOT.func entries of other libraries for a stubbed function (weak ones stay 0)
    for lib in libs:
        for name, provider in res.got_funcs[lib.name].items():
            if provider is None and name in res.stubs and not lib.is_weak(GOT_FUNC, name):
                res.got_funcs[lib.name][name] = STUBS


def dependencies(libs: list[Library], res: Resolution) -> dict[str, list[str]]:
    """Each library's transitive dependencies (needed libraries and env providers)."""
    direct: dict[str, list[str]] = {}
    for lib in libs:
        deps = list(lib.needed)
        for table in (res.functions[lib.name], res.tags[lib.name]):
            for provider in table.values():
                if provider not in (None, STUBS) and provider not in deps:
                    deps.append(provider)
        direct[lib.name] = deps
    closed = {name: list(deps) for name, deps in direct.items()}
    changed = True
    while changed:
        changed = False
        for name, deps in closed.items():
            for dep in list(deps):
                for more in closed[dep]:
                    if more not in deps:
                        deps.append(more)
                        changed = True
    return closed


def instantiation_order(libs, res: Resolution, by_name) -> list[str]:
    deps = dependencies(libs, res)
    order: dict[str, None] = {}

    def visit(name: str) -> None:
        mine = deps[name]
        for dep in mine:                  # dependencies outside this library's cycle
            if dep not in order and name not in deps[dep]:
                visit(dep)
        order[name] = None
        for dep in mine:                  # the rest of the cycle, after it
            if dep not in order and name in deps[dep]:
                visit(dep)

    for lib in libs:
        visit(lib.name)
    return list(order)


def trampolines(libs, res: Resolution, by_name) -> list[Trampoline]:
    """The main module's call_indirect exports: every GOT.func target, and every env function
    whose provider is not instantiated before its importer."""
    out: list[Trampoline] = []
    done: set[str] = set()
    instantiated: set[str] = set()
    for name in res.order:
        lib = by_name[name]
        for symbol in lib.got_func:
            provider = res.got_funcs[name][symbol]
            if symbol in done or provider is None:
                continue
            ty = res.stubs[symbol] if provider == STUBS else by_name[provider].exports[symbol].type
            out.append(Trampoline(symbol, ty, provider))
            done.add(symbol)
        for symbol, provider in res.functions[name].items():
            if symbol in done or provider == STUBS or provider in instantiated:
                continue
            out.append(Trampoline(symbol, lib.env_functions[symbol][0], provider))
            done.add(symbol)
        instantiated.add(name)
    return out
