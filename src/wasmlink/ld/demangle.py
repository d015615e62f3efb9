"""Demangling C++ (Itanium) names for the `name` section, as wasm-ld does by default.

wasm-ld writes function names demangled with LLVM's demangler. This uses the C++ runtime's own
`__cxa_demangle` (libstdc++, loaded with ctypes the first time a mangled name appears) and
then adopts LLVM's spelling where the two differ in the common case: `>>` instead of `> >`
closing nested template argument lists. Rare constructs (lambdas, some decltypes) can still be
spelled differently; the name section is for debuggers and profilers, so that only changes how
they display. Without a C++ runtime, names stay mangled.
"""
from __future__ import annotations

_demangler = None
_unavailable = False


def _load():
    global _demangler, _unavailable
    import ctypes
    import ctypes.util
    for name in (ctypes.util.find_library("stdc++"), "libstdc++.so.6"):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        f = lib.__cxa_demangle
        f.restype = ctypes.c_void_p
        f.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p,
                      ctypes.POINTER(ctypes.c_int)]
        libc = ctypes.CDLL(None)
        libc.free.argtypes = [ctypes.c_void_p]

        def demangle_one(symbol: bytes):
            status = ctypes.c_int()
            p = f(symbol, None, None, ctypes.byref(status))
            if status.value != 0 or not p:
                return None
            try:
                return ctypes.string_at(p)
            finally:
                libc.free(p)
        _demangler = demangle_one
        return
    _unavailable = True


def demangle(name: str) -> str:
    """The demangled form of an Itanium-mangled name; other names unchanged."""
    if not name.startswith("_Z") or _unavailable:
        return name
    if _demangler is None:
        _load()
        if _demangler is None:
            return name
    out = _demangler(name.encode("utf-8"))
    if out is None:
        return name
    text = out.decode("utf-8", "replace")
    while "> >" in text:
        text = text.replace("> >", ">>")
    return text
