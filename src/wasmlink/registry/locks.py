"""The locks and staged files that let many writers (threads and processes) share one store.

A store keeps two lock files and a temp directory of its own next to the OCI layout (other
tools ignore them):

    DIR/.wasmlink/session.lock   shared by every writer for as long as it writes ("put blobs,
                                 then tag"); exclusive for gc and fsck, which therefore never
                                 see a blob that is written but not yet tagged
    DIR/.wasmlink/index.lock     exclusive around each read-modify-write of index.json, so
                                 concurrent taggers never lose each other's names
    DIR/.wasmlink/tmp/           staged files: a blob (or index.json) is written here, fsynced,
                                 renamed into place and its directory fsynced; a crash leaves at
                                 most a temp file, never a partial blob

Blob writes need no exclusive lock at all: a blob's name is its content's digest, so two writers
of the same blob rename identical bytes over each other and both succeed.

Locks are ``fcntl.flock`` locks, taken in one order (session, then index) so they cannot
deadlock. flock locks belong to an open file, so they work between threads of one process (each
acquisition opens the file anew) and the kernel drops them when their holder dies: a killed
writer never blocks the store. Waiting polls with a deadline and ends in an error naming the
store, rather than hanging forever behind a stuck process.
"""
from __future__ import annotations

import errno
import fcntl
import os
import tempfile
import time

from ..errors import WasmlinkError

PRIVATE_DIR = ".wasmlink"
SESSION_LOCK = "session.lock"
INDEX_LOCK = "index.lock"
TMP_DIR = "tmp"
TMP_SUFFIX = ".tmp"
DEFAULT_TIMEOUT = 300.0


class FileLock:
    """An flock on ``path`` (created if missing), shared or exclusive; a context manager.

    ``optional`` locks give up quietly when the lock file cannot be created (a read-only store:
    nobody can be writing it through us)."""

    def __init__(self, path, *, exclusive: bool, timeout: float | None = DEFAULT_TIMEOUT,
                 what: str = "lock", optional: bool = False):
        self.path = os.fspath(path)
        self.exclusive = exclusive
        self.timeout = timeout
        self.what = what
        self.optional = optional
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> "FileLock":
        if self._fd is not None:
            return self
        fd = self._open()
        if fd is None:
            return self
        operation = fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        pause = 0.0005
        try:
            while True:
                try:
                    fcntl.flock(fd, operation | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if deadline is not None and time.monotonic() >= deadline:
                        raise WasmlinkError(
                            f"the store is busy: another process holds its {self.what} "
                            f"(waited {self.timeout:g} s)", path=self.path) from None
                    time.sleep(pause)
                    pause = min(pause * 2, 0.02)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)            # closing the file drops the flock

    def _open(self) -> int | None:
        try:
            try:
                return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except FileNotFoundError:
                # a layout another tool made has no directory of ours yet
                os.makedirs(os.path.dirname(self.path), exist_ok=True)
                return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            if e.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
                try:
                    return os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
                except OSError:
                    if self.optional:
                        return None
            elif e.errno == errno.ENOENT and self.optional:
                return None
            raise WasmlinkError(f"cannot open the store's {self.what}: {e.strerror}",
                                path=self.path) from None

    def __enter__(self) -> "FileLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    def __del__(self):
        self.release()


class StoreLocks:
    """The lock files and temp directory of one store directory."""

    def __init__(self, root, *, timeout: float | None = DEFAULT_TIMEOUT):
        self.root = os.fspath(root)
        self.private_dir = os.path.join(self.root, PRIVATE_DIR)
        self.tmp_dir = os.path.join(self.private_dir, TMP_DIR)
        self.timeout = timeout

    def make_dirs(self) -> None:
        os.makedirs(self.tmp_dir, exist_ok=True)

    def writing(self) -> FileLock:
        """Held (shared) by a writer from its first blob to its last tag."""
        return FileLock(os.path.join(self.private_dir, SESSION_LOCK), exclusive=False,
                        timeout=self.timeout, what="session lock")

    def exclusive(self, *, optional: bool = False) -> FileLock:
        """Held by gc and fsck: no writer is between "put blobs" and "tag" meanwhile."""
        return FileLock(os.path.join(self.private_dir, SESSION_LOCK), exclusive=True,
                        timeout=self.timeout, what="session lock", optional=optional)

    def index(self) -> FileLock:
        """Held around each read-modify-write of index.json (inside a writing() lock)."""
        return FileLock(os.path.join(self.private_dir, INDEX_LOCK), exclusive=True,
                        timeout=self.timeout, what="index lock")

    def stage(self) -> "StagedFile":
        return StagedFile(self.tmp_dir)

    def temp_files(self) -> list[str]:
        """Paths of the staged files left in the temp directory, sorted."""
        try:
            names = os.listdir(self.tmp_dir)
        except FileNotFoundError:
            return []
        return sorted(os.path.join(self.tmp_dir, n) for n in names)


class StagedFile:
    """A file written in a temp directory and renamed into place only when complete.

    ``commit`` fsyncs the file, renames it over the target and fsyncs the target's directory,
    so after it returns the target is whole on disk; before it, the target is untouched. A
    staged file that is not committed is removed on exit from the ``with`` block."""

    def __init__(self, tmp_dir: str):
        try:
            fd, self.path = self._make(tmp_dir)
        except FileNotFoundError:
            os.makedirs(tmp_dir, exist_ok=True)
            fd, self.path = self._make(tmp_dir)
        self.file = os.fdopen(fd, "wb")
        self.size = 0

    @staticmethod
    def _make(tmp_dir: str):
        return tempfile.mkstemp(prefix=f"{os.getpid()}-", suffix=TMP_SUFFIX, dir=tmp_dir)

    def write(self, data) -> None:
        self.size += self.file.write(data)

    def commit(self, target: str, *, mode: int = 0o644) -> None:
        self.file.flush()
        os.fchmod(self.file.fileno(), mode & ~UMASK)
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.path, target)
        self.path = None
        fsync_dir(os.path.dirname(target))

    def discard(self) -> None:
        if not self.file.closed:
            self.file.close()
        if self.path is not None:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            self.path = None

    def __enter__(self) -> "StagedFile":
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


def fsync_dir(path: str) -> None:
    """Make a rename into ``path`` durable (the directory entry, not only the file)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_umask() -> int:
    # /proc gives it without the set-and-restore dance, which would race with other threads
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


UMASK = _read_umask()
