"""Writing outputs: all at once or not at all.

Every output file is written to a temporary file in the destination directory and renamed over
the target only when complete, so a failure (bad input found late, a full disk, a kill) never
leaves a partial output behind.
"""
from __future__ import annotations

import os
import stat
import tempfile

from .errors import WasmlinkError


def write_atomically(path, chunks, *, mode: int = 0o644, fsync: bool = False) -> int:
    """Write the concatenation of ``chunks`` (bytes-like) to ``path``; returns the size.

    ``-`` is standard output (refused when it is a terminal: binary output would garble it);
    an existing target that is not a regular file (``/dev/null``, a FIFO) is written in place,
    since renaming over it would replace the device itself."""
    path = os.fspath(path)
    if path == "-":
        return _write_stream(chunks)
    try:
        st = os.stat(path)
        special = not stat.S_ISREG(st.st_mode)
    except OSError:
        special = False
    if special:
        try:
            with open(path, "wb") as out:
                return sum(out.write(c) for c in chunks)
        except OSError as e:
            raise WasmlinkError(f"cannot write output: {e.strerror}", path=path) from None
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".wasmlink-", suffix=".tmp", dir=directory)
    except OSError as e:
        raise WasmlinkError(f"cannot create output: {e.strerror}", path=path) from None
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += out.write(chunk)
            if fsync:
                out.flush()
                os.fsync(out.fileno())
        os.chmod(tmp, mode & ~_umask())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise WasmlinkError(f"cannot write output: {e.strerror}", path=path) from None
        raise
    return size


def _write_stream(chunks) -> int:
    import sys
    out = sys.stdout.buffer
    if out.isatty():
        raise WasmlinkError("refusing to write binary output to a terminal", path="-")
    size = sum(out.write(c) for c in chunks)
    out.flush()
    return size


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
