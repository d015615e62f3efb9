"""Builds the native core: every ext/*.pyx becomes wasmlink._native.<name>.

Cython directives are set here, once, for every module. Bounds checking and wraparound are off
because each native function checks its ranges explicitly before the hot loop (and raises a
ParseError naming the offset); WASMLINK_DEBUG=1 switches the checks back on for a debug build.
"""
import os
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

debug = os.environ.get("WASMLINK_DEBUG") == "1"
directives = {
    "language_level": 3,
    "boundscheck": debug,
    "wraparound": debug,
    "initializedcheck": debug,
    "cdivision": True,
    "embedsignature": True,
}
extensions = [
    Extension(
        f"wasmlink._native.{pyx.stem}",
        [str(pyx)],
        extra_compile_args=["-O2", "-g0"] if not debug else ["-O0", "-g"],
    )
    for pyx in sorted(Path("ext").glob("*.pyx"))
]
setup(ext_modules=cythonize(extensions, compiler_directives=directives, include_path=["ext"]))
