"""Demangling C++ (Itanium) names for the `name` section, as wasm-ld does by default.

wasm-ld writes function names demangled with LLVM's demangler. Where LLVM's `llvm-cxxfilt` is
installed (it comes with the llvm packages next to clang), all of a link's mangled names go
through it in one process, which gives exactly wasm-ld's text. Otherwise the C++ runtime's own
`__cxa_demangle` (libstdc++, through ctypes) is used, adopting LLVM's spelling where the two
usually differ (`>>` rather than `> >`); it spells lambdas differently and fails on a few newer
manglings, which then stay mangled. The name section is for debuggers and profilers: only what
they display changes. Without either, names stay mangled.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess

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


def find_cxxfilt() -> str | None:
    """The newest llvm-cxxfilt (older ones spell nested templates `> >`)."""
    def version(path):
        digits = "".join(c for c in path.split("llvm-")[1].split("/")[0] if c.isdigit())
        return int(digits or 0)
    candidates = sorted(glob.glob("/usr/lib/llvm-*/bin/llvm-cxxfilt"), key=version, reverse=True)
    if candidates:
        return candidates[0]
    return shutil.which("llvm-cxxfilt-22") or shutil.which("llvm-cxxfilt")


def demangle_all(names) -> dict[str, str]:
    """name -> demangled name, for every Itanium-mangled name of ``names``."""
    mangled = sorted({n for n in names if n.startswith("_Z")})
    if not mangled:
        return {}
    tool = None if os.environ.get("WASMLINK_NO_CXXFILT") else find_cxxfilt()
    if tool is not None and not any("\n" in n for n in mangled):
        try:
            proc = subprocess.run([tool], input="\n".join(mangled) + "\n", capture_output=True,
                                  text=True, timeout=60)
            lines = proc.stdout.split("\n")
            if proc.returncode == 0 and len(lines) >= len(mangled):
                return dict(zip(mangled, lines))
        except (OSError, subprocess.SubprocessError):
            pass
    return {n: demangle(n) for n in mangled}


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
