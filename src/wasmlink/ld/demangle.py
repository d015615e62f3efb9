"""Demangling C++ (Itanium) names for the `name` section, as wasm-ld does by default.

wasm-ld writes function names demangled with LLVM's demangler. Where LLVM's `llvm-cxxfilt` is
installed (it comes with the llvm packages next to clang), all of a link's mangled names go
through it in one process, which gives exactly wasm-ld's text; the link starts it as soon as
it has seen a C++ name and feeds it from a worker thread, so that it loads and runs on another
core while the output is built. Otherwise the C++ runtime's own
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


def _mangled(names) -> list[str]:
    return sorted({n for n in names if n.startswith("_Z")})


def demangle_all(names, tool: "Cxxfilt | None" = None) -> dict[str, str]:
    """name -> demangled name, for every Itanium-mangled name of ``names``; through ``tool``
    when one was started ahead (it is used up), else through a new llvm-cxxfilt."""
    mangled = _mangled(names)
    if tool is None:
        if not mangled:
            return {}
        tool = Cxxfilt()
    table = tool.demangle(mangled)
    if table is None:
        return {n: demangle(n) for n in mangled}
    return table


class Cxxfilt:
    """An llvm-cxxfilt process, started before its names are known: loading LLVM takes it
    ~13 ms, which it spends on another core while the link goes on. Used once."""

    def __init__(self):
        self.process = None
        tool = None if os.environ.get("WASMLINK_NO_CXXFILT") else find_cxxfilt()
        if tool is not None:
            try:
                self.process = subprocess.Popen([tool], stdin=subprocess.PIPE,
                                                stdout=subprocess.PIPE,
                                                stderr=subprocess.DEVNULL, text=True)
            except OSError:
                pass

    def demangle(self, mangled: list[str]) -> dict[str, str] | None:
        """The table for these (sorted, distinct, mangled) names, or None if the tool is
        missing or failed."""
        proc, self.process = self.process, None
        if proc is None:
            return None
        if not mangled or any("\n" in n for n in mangled):
            _stop(proc)
            return {} if not mangled else None
        try:
            out, _ = proc.communicate("\n".join(mangled) + "\n", timeout=60)
        except (OSError, subprocess.SubprocessError):
            _stop(proc)
            return None
        lines = out.split("\n")
        if proc.returncode == 0 and len(lines) >= len(mangled):
            return dict(zip(mangled, lines))
        return None

    def close(self) -> None:
        """Stop the tool if it was never used (a link that failed, or had no C++ names)."""
        proc, self.process = self.process, None
        if proc is not None:
            _stop(proc)


def _stop(proc) -> None:
    try:
        proc.kill()
        proc.communicate()
    except (OSError, subprocess.SubprocessError):
        pass


def start_demangling(names, tool: Cxxfilt | None = None):
    """demangle_all(names, tool) on a worker thread, so that the demangler runs on another
    core while the caller goes on; the function returned waits for the table and returns it."""
    import threading
    outcome = {}

    def work():
        try:
            outcome["table"] = demangle_all(names, tool)
        except BaseException as e:          # re-raised in the caller's thread
            outcome["error"] = e
    worker = threading.Thread(target=work, name="demangle", daemon=True)
    worker.start()

    def wait() -> dict[str, str]:
        worker.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["table"]
    return wait


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
