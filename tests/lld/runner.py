"""Run lld's own WebAssembly lit tests (../shared/conformance/lld-wasm) against a linker.

A small stand-in for lit, enough for `lld/test/wasm/`: each test file's `RUN:` lines are parsed
as lit parses them (a trailing `\\` joins the next `RUN:` line, `END.` stops the scan), the
`%` substitutions are expanded as lit 22 expands them, and every line runs in its own
`bash -c 'set -o pipefail; ...'` from a fresh temporary directory.  A test passes when every
line exits 0; `not` and `FileCheck` are the real LLVM tools, so a line such as
`not wasm-ld ... 2>&1 | FileCheck %s` inverts and checks within the line itself.

The linker under test is chosen by PATH: a shim directory, first of all, holds a `wasm-ld`
script that execs either the real wasm-ld-22 (`reference`) or wasmlink's (`wasmlink`: the
`wasmlink-ld` console script, or `python -m wasmlink.ld` until that exists), or any other
command given.  `/usr/lib/llvm-22/bin` comes next, for llvm-mc, llc, yaml2obj, obj2yaml,
FileCheck, not, split-file, llvm-ar, llvm-readobj, llvm-objdump and llvm-dwarfdump.

Where this differs from lit, and why:
- Each RUN line is its own bash process (lit joins them into one script with `&&`), so the
  failing line is known exactly; shell state (`cd`, variables) does not carry between lines.
  No test in the folder relies on it.
- `%T` (removed from lit 22, an error there) still expands to the test's temporary folder.
- Features for `REQUIRES:`/`UNSUPPORTED:`/`XFAIL:` are those lld's lit.cfg.py would find
  here: the targets that `llvm-config --targets-built` names (x86, wasm, aarch64, ...),
  `asserts` when LLVM has assertions, `llvm-64-bits`, `system-<os>`, `target=<host triple>`,
  `non-root-user`.  A test whose `REQUIRES:` is not met, or whose `UNSUPPORTED:` is, is
  reported as unsupported and not run; `XFAIL:` turns a failure into "xfail" (counted as
  passed) and a pass into "xpass" (counted as failed), as lit does.
- The environment is the caller's, plus what lld's lit config sets: `LLD_IN_TEST=1`,
  `LLVM_DISABLE_CRASH_REPORT=1`, `LLVM_DISABLE_SYMBOLIZATION=1`.

    python3 tests/lld/runner.py [--linker reference|wasmlink|CMD]
                                [--tests reference|wasmlink|all|NAMES...]
                                [--jobs N] [--timeout S] [--json OUT] [--keep] [-v]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

LLVM_BIN = Path("/usr/lib/llvm-22/bin")
REFERENCE_LD = LLVM_BIN / "wasm-ld"
DATA_DIR = Path(os.environ.get("WASMLINK_LLD_TESTS", "/work/shared/conformance/lld-wasm"))
REFERENCE_LIST = DATA_DIR / "reference-pass-wasm-ld-22.txt"
WASMLINK_LIST = Path(__file__).with_name("wasmlink-passing.txt")
REPO_SRC = Path(__file__).resolve().parents[2] / "src"
SUFFIXES = (".test", ".yaml", ".ll", ".s")     # lit.local.cfg of lld/test/wasm
DEFAULT_TIMEOUT = 60.0
TAIL = 2000                                    # characters of output kept for a failing line

# lld's lit.cfg.py maps `llvm-config --targets-built` names to feature names.
TARGET_FEATURES = {
    "AArch64": "aarch64", "AMDGPU": "amdgpu", "ARM": "arm", "AVR": "avr", "Hexagon": "hexagon",
    "LoongArch": "loongarch", "Mips": "mips", "MSP430": "msp430", "PowerPC": "ppc",
    "RISCV": "riscv", "Sparc": "sparc", "SystemZ": "systemz", "WebAssembly": "wasm", "X86": "x86",
}
KEYWORDS = ("RUN:", "REQUIRES:", "UNSUPPORTED:", "XFAIL:", "END.")


# --- parsing --------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunLine:
    line_number: int        # where the command starts in the test file
    command: str            # before substitution


@dataclass(frozen=True)
class LitTest:
    path: Path
    run_lines: tuple[RunLine, ...]
    requires: tuple[str, ...] = ()
    unsupported: tuple[str, ...] = ()
    xfail: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.path.name


_KEYWORD_RE = re.compile(rb"(%s)(.*)\n" % b"|".join(re.escape(k.encode()) for k in KEYWORDS))
_LINE_EXPR_RE = re.compile(r"%\(line *([+-]) *(\d+)\)")


def parse_test(path: Path) -> LitTest:
    """The directives of one lit test, found the way lit finds them: anywhere on a line,
    whatever comment characters precede them."""
    data = Path(path).read_bytes()
    if not data.endswith(b"\n"):
        data += b"\n"
    run_lines: list[RunLine] = []
    lists: dict[str, list[str]] = {"REQUIRES:": [], "UNSUPPORTED:": [], "XFAIL:": []}
    continuing = False
    line_number, last = 1, 0
    for match in _KEYWORD_RE.finditer(data):
        line_number += data.count(b"\n", last, match.start())
        last = match.start()
        keyword = match.group(1).decode()
        text = match.group(2).decode("utf-8", "replace").rstrip("\r").rstrip()
        if keyword == "END.":
            if not text.strip():
                break
            continue
        if keyword == "RUN:":
            text = text.replace("%(line)", str(line_number))
            text = _LINE_EXPR_RE.sub(
                lambda m: str(line_number + int(m.group(2)) * (1 if m.group(1) == "+" else -1)),
                text)
            if continuing:
                previous = run_lines[-1]
                run_lines[-1] = RunLine(previous.line_number, previous.command[:-1] + text)
            else:
                run_lines.append(RunLine(line_number, text.lstrip()))
            continuing = run_lines[-1].command.endswith("\\")
            continue
        continuing = False
        lists[keyword] += [item.strip() for item in text.split(",") if item.strip()]
    return LitTest(Path(path), tuple(run_lines), tuple(lists["REQUIRES:"]),
                   tuple(lists["UNSUPPORTED:"]), tuple(lists["XFAIL:"]))


# --- features -------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def available_features() -> frozenset[str]:
    """What lld's lit configuration would report on this machine (see the module docstring)."""
    def llvm_config(*args: str) -> str:
        try:
            return subprocess.run([str(LLVM_BIN / "llvm-config"), *args], capture_output=True,
                                  text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""
    features = {"shell", f"system-{platform.system().lower()}",
                f"host-byteorder-{sys.byteorder}-endian"}
    features |= {TARGET_FEATURES[t] for t in llvm_config("--targets-built").split()
                 if t in TARGET_FEATURES}
    if llvm_config("--assertion-mode") == "ON":
        features.add("asserts")
    if struct.calcsize("P") == 8:
        features.add("llvm-64-bits")
    triple = llvm_config("--host-target")
    if triple:
        features.add(f"target={triple}")
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        features.add("non-root-user")
    return frozenset(features)


_TOKEN_RE = re.compile(r"\s*(\(|\)|&&|\|\||!|(?:[-+=._a-zA-Z0-9]+|\{\{.+?\}\})+)\s*")


def evaluate(expression: str, features: frozenset[str]) -> bool:
    """lit's boolean feature expressions: `a && !(b || c)`, `true`, and `{{regex}}` parts
    inside a name (matched against every feature)."""
    tokens, position = [], 0
    while position < len(expression):
        match = _TOKEN_RE.match(expression, position)
        if not match:
            raise ValueError(f"bad feature expression {expression!r}")
        tokens.append(match.group(1))
        position = match.end()

    def name_matches(name: str) -> bool:
        if name == "true":
            return True
        if "{{" not in name:
            return name in features
        pattern = "".join(part[2:-2] if part.startswith("{{") else re.escape(part)
                          for part in re.split(r"(\{\{.+?\}\})", name) if part)
        return any(re.fullmatch(pattern, f) for f in features)

    def parse_or() -> bool:
        value = parse_and()
        while tokens and tokens[0] == "||":
            tokens.pop(0)
            value = parse_and() or value
        return value

    def parse_and() -> bool:
        value = parse_not()
        while tokens and tokens[0] == "&&":
            tokens.pop(0)
            value = parse_not() and value
        return value

    def parse_not() -> bool:
        if not tokens:
            raise ValueError(f"bad feature expression {expression!r}")
        token = tokens.pop(0)
        if token == "!":
            return not parse_not()
        if token == "(":
            value = parse_or()
            if not tokens or tokens.pop(0) != ")":
                raise ValueError(f"unbalanced parentheses in {expression!r}")
            return value
        if token in (")", "&&", "||"):
            raise ValueError(f"bad feature expression {expression!r}")
        return name_matches(token)

    value = parse_or()
    if tokens:
        raise ValueError(f"bad feature expression {expression!r}")
    return value


# --- substitution ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TempPaths:
    """lit's layout: the test runs in `root`; `%t` is `root/Output/<test name>.tmp`."""
    root: Path

    @classmethod
    def for_test(cls, root: Path) -> TempPaths:
        (root / "Output").mkdir(parents=True, exist_ok=True)
        return cls(root)

    def base(self, test: Path) -> str:
        return str(self.root / "Output" / test.name)


def substitutions(test: Path, tmp_base: str) -> list[tuple[str, str]]:
    """In lit's order (lit applies them one after another): the config's `%python` before
    the path letters, so that `%p` cannot eat it."""
    source = str(test)
    source_dir = os.path.dirname(source)
    tmp_name = tmp_base + ".tmp"
    table = [
        ("%python", shlex.quote(sys.executable)),
        ("%{pathsep}", os.pathsep),
        ("%basename_t", os.path.basename(tmp_base)),
        ("%{s:basename}", os.path.basename(source)),
        ("%{t:stem}", os.path.basename(tmp_base)),
        ("%{fs-src-root}", Path(source_dir).anchor),
        ("%{fs-tmp-root}", Path(tmp_base).anchor),
        ("%{fs-sep}", os.sep),
        ("%/et", tmp_name),
    ]
    for letter, path in (("s", source), ("S", source_dir), ("p", source_dir), ("t", tmp_name)):
        real = os.path.realpath(path)
        table += [
            (f"%{letter}", path),
            (f"%/{letter}", path),
            (f"%{{{letter}:real}}", real),
            (f"%{{/{letter}:real}}", real),
            (f"%{{/{letter}:regex_replacement}}", path.replace("@", r"\@").replace("&", r"\&")),
            (f"%:{letter}", path.lstrip("/")),
        ]
    table.append(("%T", os.path.dirname(tmp_base)))
    return table


def substitute(command: str, test: Path, tmp_base: str) -> str:
    """Expand one RUN line; `%%` is a literal `%`.  An unknown `%{...}` is an error rather than
    text for bash to trip over."""
    line = command.replace("%%", "#_MARKER_#")
    for key, value in substitutions(test, tmp_base):
        line = line.replace(key, value)
    unknown = re.search(r"%\{[^}]*\}|%if\b", line)
    if unknown:
        raise ValueError(f"unsupported lit substitution {unknown.group(0)!r}")
    return line.replace("#_MARKER_#", "%")


# --- the linker under test ------------------------------------------------------------------

def linker_command(linker: str) -> str:
    """Shell text that runs the linker, for the `wasm-ld` shim."""
    if linker == "reference":
        return shlex.quote(str(REFERENCE_LD))
    if linker == "wasmlink":
        script = wasmlink_script()
        if script:
            return shlex.quote(script)
        return (f'env PYTHONPATH={shlex.quote(str(REPO_SRC))}"${{PYTHONPATH:+:$PYTHONPATH}}" '
                f"{shlex.quote(sys.executable)} -m wasmlink.ld")
    return linker


def wasmlink_script() -> str | None:
    """The wasmlink-ld console script of this interpreter (not a version manager's shim)."""
    beside = Path(sys.executable).with_name("wasmlink-ld")
    return str(beside) if beside.exists() else shutil.which("wasmlink-ld")


def make_shim_dir(linker: str, directory: Path) -> Path:
    """A folder holding `wasm-ld`, to be put first on PATH. For wasmlink it is a symlink to
    the console script, so the linker sees itself called `wasm-ld` and words its diagnostics
    `wasm-ld: error: ...` as lld does (tests check that prefix)."""
    directory.mkdir(parents=True, exist_ok=True)
    shim = directory / "wasm-ld"
    script = wasmlink_script() if linker == "wasmlink" else None
    if script:
        shim.symlink_to(script)
        return directory
    shim.write_text(f'#!/bin/sh\nexec {linker_command(linker)} "$@"\n')
    shim.chmod(0o755)
    return directory


def environment_for(shim_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(shim_dir), str(LLVM_BIN), env.get("PATH", "")])
    env.update(LLD_IN_TEST="1", LLVM_DISABLE_CRASH_REPORT="1", LLVM_DISABLE_SYMBOLIZATION="1")
    return env


# --- running --------------------------------------------------------------------------------

PASSED = ("pass", "xfail")
FAILED = ("fail", "xpass", "timeout")


@dataclass
class LitResult:
    name: str
    status: str                        # pass, fail, timeout, xfail, xpass, unsupported
    seconds: float = 0.0
    line_number: int | None = None     # of the first failing RUN line
    command: str | None = None         # that line, substituted
    exit_code: int | None = None
    stderr_tail: str = ""
    stdout_tail: str = ""
    reason: str = ""                   # unsupported: which directive; harness errors
    lines_run: int = 0
    tmp_dir: str | None = None         # kept for a failing test when asked (--keep)

    @property
    def passed(self) -> bool:
        return self.status in PASSED

    @property
    def failed(self) -> bool:
        return self.status in FAILED


def _run_line(script: str, cwd: Path, env: dict[str, str], timeout: float):
    """(exit code or None on timeout, stdout, stderr); the whole process group is killed on
    timeout, so a hung pipeline does not outlive the test."""
    proc = subprocess.Popen(["bash", "-c", "set -o pipefail\n" + script], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=max(timeout, 0.1))
        return proc.returncode, out, err
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        return None, out, err


def _tail(data: bytes) -> str:
    return data.decode("utf-8", "replace")[-TAIL:]


def run_test(path: Path, shim_dir: Path, timeout: float = DEFAULT_TIMEOUT,
             features: frozenset[str] | None = None, keep: bool = False) -> LitResult:
    """Run one lit test: every RUN line in order, stopping at the first that fails.  With
    `keep`, a failing test's temporary folder is left for inspection."""
    path = Path(path)
    start = time.monotonic()
    features = available_features() if features is None else features
    try:
        test = parse_test(path)
        missing = [e for e in test.requires if not evaluate(e, features)]
        excluded = [e for e in test.unsupported if evaluate(e, features)]
        expect_fail = any(e == "*" or evaluate(e, features) for e in test.xfail)
    except (OSError, ValueError) as exc:
        return LitResult(path.name, "fail", reason=f"harness: {exc}")
    if missing:
        return LitResult(path.name, "unsupported", reason="REQUIRES: " + ", ".join(missing))
    if excluded:
        return LitResult(path.name, "unsupported", reason="UNSUPPORTED: " + ", ".join(excluded))
    if not test.run_lines:
        return LitResult(path.name, "fail", reason="harness: no RUN lines")

    root = Path(tempfile.mkdtemp(prefix=f"lld-{path.stem}-"))
    result = None
    try:
        result = _run_lines(test, TempPaths.for_test(root), environment_for(shim_dir),
                            start + timeout)
    finally:
        if keep and result is not None and result.status != "pass":
            result.tmp_dir = str(root)
        else:
            shutil.rmtree(root, ignore_errors=True)
    if expect_fail:
        result.status = {"pass": "xpass", "fail": "xfail"}.get(result.status, result.status)
    result.seconds = time.monotonic() - start
    return result


def _run_lines(test: LitTest, tmp: TempPaths, env: dict[str, str], deadline: float) -> LitResult:
    lines_run = 0
    for run_line in test.run_lines:
        try:
            command = substitute(run_line.command, test.path, tmp.base(test.path))
        except ValueError as exc:
            return LitResult(test.name, "fail", line_number=run_line.line_number,
                             command=run_line.command, reason=f"harness: {exc}",
                             lines_run=lines_run)
        code, out, err = _run_line(command, tmp.root, env, deadline - time.monotonic())
        lines_run += 1
        if code != 0:
            return LitResult(
                test.name, "timeout" if code is None else "fail",
                line_number=run_line.line_number, command=command, exit_code=code,
                stderr_tail=_tail(err), stdout_tail=_tail(out), lines_run=lines_run,
                reason="timed out" if code is None else "")
    return LitResult(test.name, "pass", lines_run=lines_run)


def read_list(path: Path) -> list[str]:
    """Test names, one a line; `#` starts a comment."""
    names = []
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line)
    return names


def select_tests(which: list[str]) -> list[Path]:
    """`reference` (the list wasm-ld-22 passes), `wasmlink` (tests/lld/wasmlink-passing.txt),
    `all` (every test file in the folder), or test file names."""
    names: list[str] = []
    for item in which:
        if item == "reference":
            names += read_list(REFERENCE_LIST)
        elif item == "wasmlink":
            names += read_list(WASMLINK_LIST)
        elif item == "all":
            names += sorted(p.name for p in DATA_DIR.iterdir()
                            if p.is_file() and p.suffix in SUFFIXES)
        else:
            names.append(item)
    paths, seen = [], set()
    for name in names:
        path = Path(name) if os.sep in name else DATA_DIR / name
        if not path.is_file():
            raise FileNotFoundError(f"no such lld test: {name}")
        if path not in seen:
            seen.add(path)
            paths.append(path)
    return paths


def run_tests(paths: list[Path], linker: str = "reference", jobs: int = 2,
              timeout: float = DEFAULT_TIMEOUT, on_result=None,
              keep: bool = False) -> list[LitResult]:
    """Run tests on a thread pool (each test is a chain of subprocesses); results in input
    order.  `on_result(result)` is called as each finishes."""
    features = available_features()
    with tempfile.TemporaryDirectory(prefix="lld-shim-") as shim_root:
        shim_dir = make_shim_dir(linker, Path(shim_root))
        results: dict[Path, LitResult] = {}
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {pool.submit(run_test, p, shim_dir, timeout, features, keep): p
                       for p in paths}
            for future in as_completed(futures):
                result = future.result()
                results[futures[future]] = result
                if on_result:
                    on_result(result)
    return [results[p] for p in paths]


def summary(results: list[LitResult]) -> str:
    return (f"{sum(r.passed for r in results)} passed, "
            f"{sum(r.failed for r in results)} failed")


def describe(result: LitResult, verbose: bool = False) -> str:
    line = f"{result.status.upper():<11} {result.name} ({result.seconds:.2f} s)"
    if result.failed or result.status == "unsupported":
        where = f" line {result.line_number}" if result.line_number else ""
        cause = result.reason
        if not cause and result.exit_code is not None:
            cause = f"exit {result.exit_code}"
        line += f"{where}: {cause}" if where or cause else ""
        if result.tmp_dir:
            line += f"\n    kept {result.tmp_dir}"
        if verbose and result.command:
            line += f"\n    $ {result.command}"
        if verbose and (result.stderr_tail or result.stdout_tail):
            text = (result.stderr_tail or result.stdout_tail).rstrip()
            line += "\n" + "\n".join("    | " + t for t in text.splitlines()[-25:])
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--linker", default="reference",
                        help="reference (wasm-ld-22), wasmlink, or a command to run as wasm-ld")
    parser.add_argument("--tests", nargs="+", default=["reference"],
                        help="reference, wasmlink, all, or test file names")
    parser.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds a test")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder of each failing test")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show the failing command and its output")
    args = parser.parse_args(argv)
    try:
        paths = select_tests(args.tests)
    except FileNotFoundError as exc:
        print(f"runner: error: {exc}", file=sys.stderr)
        return 2
    start = time.monotonic()
    results = run_tests(paths, args.linker, args.jobs, args.timeout,
                        on_result=lambda r: print(describe(r, args.verbose), flush=True),
                        keep=args.keep)
    wall = time.monotonic() - start
    unsupported = sum(r.status == "unsupported" for r in results)
    if unsupported:
        print(f"({unsupported} unsupported)")
    print(f"(wall {wall:.1f} s, {args.jobs} jobs, linker: {linker_command(args.linker)})")
    print(summary(results))
    if args.json:
        args.json.write_text(json.dumps({
            "linker": args.linker, "linker_command": linker_command(args.linker),
            "jobs": args.jobs, "wall_seconds": round(wall, 3), "summary": summary(results),
            "results": [asdict(r) for r in results],
        }, indent=2) + "\n")
    return 0 if not any(r.failed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
