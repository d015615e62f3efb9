"""Real C and C++ programs linked by wasm-ld-22 and by wasmlink-ld, run in Wasmtime (issue 3).

Each program in tests/programs/ (its header format is in tests/programs/README.md) is compiled
by clang-22 at -O0 and at -O2, then linked through the clang driver twice with the same
arguments: `-fuse-ld=/usr/bin/wasm-ld-22` (the reference) and `-fuse-ld=$(command -v wasmlink-ld)`.
(clang-22's WebAssembly driver ignores `--ld-path`, warning only that it is unused, and runs
its default wasm-ld; it takes the linker from `-fuse-ld=` when that is an absolute path to an
executable. test_driver_runs_the_given_linker pins this.)

- The reference half runs for every program: the reference output must run in Wasmtime (WASI p1)
  and print the program's NAME.out with its expected exit code, or the reference link must fail
  as the header says. This validates the suite itself.
- The wasmlink half runs for the programs listed in tests/programs/wasmlink-passing.txt, or for
  all of them with WASMLINK_ALL_PROGRAMS=1 (a summary of which pass is printed at the end;
  WASMLINK_LD=/path tests another linker binary). It asserts the same stdout, stderr, exit
  code or trap, imports and exports as the reference, an output size within 1% of the
  reference's, the same dylink.0 (by `wasmlink inspect --json`), or the same link failure.

Objects, archives and links are built once per session, in parallel, for the selected tests
only. The SQLite amalgamation (the `sqlite` program) is compiled once per machine into
~/.cache/wasmlink-tests/, keyed by its hash, the flags and clang's version.
"""
from __future__ import annotations

import ast
import concurrent.futures
import dataclasses
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import wasmtime

PROGRAMS = Path(__file__).parent / "programs"
PASSING_LIST = PROGRAMS / "wasmlink-passing.txt"
CLANG = shutil.which("clang-22") or "/usr/lib/llvm-22/bin/clang"
CLANGXX = shutil.which("clang++-22") or "/usr/lib/llvm-22/bin/clang++"
LLVM_AR = shutil.which("llvm-ar-22") or "/usr/lib/llvm-22/bin/llvm-ar"
WASM_LD = shutil.which("wasm-ld-22") or "/usr/lib/llvm-22/bin/wasm-ld"
TARGET = ["--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated"]
OPT_LEVELS = ("-O0", "-O2")
ALL_PROGRAMS = os.environ.get("WASMLINK_ALL_PROGRAMS", "") not in ("", "0")
SQLITE_DIR = Path(__file__).parent.parent / ".deps" / "node_modules" / "better-sqlite3" / "deps" / "sqlite3"
CACHE_ROOT = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"), "wasmlink-tests")
TIMEOUT = 600


# --- programs and their headers -------------------------------------------------------------

LIST_KEYS = {"flags", "link", "call", "expect-exports", "expect-imports", "expect-sections",
             "expect-no-sections", "expect-names", "expect-no-names", "archive", "lazy", "shared",
             "args"}
SHARED_LIBRARY_FLAGS = ["-shared", "-nostdlib", "-Wl,--experimental-pic", "-Wl,--no-entry",
                        "-Wl,--unresolved-symbols=import-dynamic"]
SCALAR_KEYS = {"run", "expect-exit", "expect-trap", "expect-link-error", "compare", "preopen",
               "sqlite"}
RUN_MODES = {"start", "exports", "reactor", "pic", "validate"}


@dataclasses.dataclass
class Program:
    name: str
    main: Path                      # the file carrying the header
    sources: list[Path]             # compiled and passed to the link in this order
    lang: str                       # "c" or "c++"
    headers: dict                   # directive -> value (str) or list of values

    def get(self, key: str, default=None):
        return self.headers.get(key, default)

    def words(self, key: str) -> list[str]:
        return [w for value in self.headers.get(key, []) for w in value.split()]

    @property
    def run_mode(self) -> str:
        return self.get("run", "start")

    @property
    def expected_stdout(self) -> str | None:
        out = PROGRAMS / f"{self.name}.out"
        return out.read_text() if out.exists() else None


def parse_header(path: Path) -> dict:
    """The `// key: value` lines of the leading comment block (see programs/README.md)."""
    headers: dict = {}
    for line in path.read_text().splitlines():
        if not line.startswith("//"):
            break
        m = re.match(r"//\s*([a-z][a-z-]*):\s*(.*?)\s*$", line)
        if not m:
            continue
        key, value = m.groups()
        if key in LIST_KEYS:
            headers.setdefault(key, []).append(value)
        elif key in SCALAR_KEYS:
            if key in headers:
                raise ValueError(f"{path}: directive {key!r} given twice")
            headers[key] = value
        elif key.startswith("expect"):        # other lines are prose; catch typos here
            raise ValueError(f"{path}: unknown directive {key!r}")
    if headers.get("run", "start") not in RUN_MODES:
        raise ValueError(f"{path}: run must be one of {sorted(RUN_MODES)}")
    return headers


def discover() -> list[Program]:
    programs = []
    for entry in sorted(PROGRAMS.iterdir()):
        if entry.is_dir():
            mains = [p for p in (entry / "main.c", entry / "main.cpp") if p.exists()]
            if len(mains) != 1:
                continue
            main = mains[0]
            headers = parse_header(main)
            separate = {w for key in ("archive", "lazy", "shared") for value in headers.get(key, [])
                        for w in value.split("=")[-1].split()}
            others = sorted(p for p in entry.iterdir()
                            if p.suffix in (".c", ".cpp") and p != main and p.name not in separate)
            programs.append(Program(entry.name, main, [main, *others],
                                    "c++" if main.suffix == ".cpp" else "c", headers))
        elif entry.suffix in (".c", ".cpp"):
            programs.append(Program(entry.stem, entry, [entry],
                                    "c++" if entry.suffix == ".cpp" else "c", parse_header(entry)))
    return programs


PROGRAM_LIST = discover()
BY_NAME = {p.name: p for p in PROGRAM_LIST}


def passing_names() -> set[str]:
    names = set()
    for line in PASSING_LIST.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(line)
    return names


# --- building --------------------------------------------------------------------------------

def clean_env() -> dict:
    """The environment for clang: no wasm-opt on PATH (clang's wasm driver runs it after the
    link at -O1 and above when it finds one, which would rewrite both outputs)."""
    path = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not (Path(d) / "wasm-opt").exists()]
    return {**os.environ, "PATH": os.pathsep.join(path)}


ENV = clean_env()


class BuildError(Exception):
    pass


def check_run(cmd: list, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=ENV,
                          timeout=TIMEOUT, **kw)
    if proc.returncode != 0:
        raise BuildError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def compiler(lang: str) -> list[str]:
    if lang == "c++":
        return [CLANGXX, *TARGET, "-fno-exceptions"]
    return [CLANG, *TARGET]


def clang_version() -> str:
    return subprocess.run([CLANG, "--version"], capture_output=True, text=True).stdout


def sqlite_object(opt: str, flags: list[str]) -> Path:
    """sqlite3.c compiled once per machine (12 s at -O2), cached by content, flags and clang."""
    source = SQLITE_DIR / "sqlite3.c"
    if not source.exists():
        raise BuildError(f"{source} is missing: run `npm install --prefix .deps better-sqlite3@12 "
                         "--ignore-scripts` in the repository (see scripts/install-test-deps)")
    key = hashlib.sha256(source.read_bytes())
    key.update(repr((opt, flags, TARGET, clang_version())).encode())
    out = CACHE_ROOT / "sqlite" / f"sqlite3-{key.hexdigest()[:16]}{opt}.o"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        check_run([*compiler("c"), opt, *flags, "-c", source, "-o", tmp])
        tmp.replace(out)
    return out


def compile_program(prog: Program, opt: str, build: Path) -> list[str]:
    """Compile every source; return the link inputs (objects, lazy groups, archives) in order."""
    build.mkdir(parents=True, exist_ok=True)
    flags = prog.words("flags")
    if prog.get("sqlite") is not None:
        flags = [*flags, f"-I{SQLITE_DIR}"]

    def obj(src: Path) -> Path:
        out = build / (src.stem + ".o")
        check_run([*compiler(prog.lang if src.suffix != ".c" else "c"), opt, *flags, "-c", src,
                   "-o", out])
        return out

    inputs = [str(obj(src)) for src in prog.sources]
    if prog.get("sqlite") is not None:
        inputs.append(str(sqlite_object(opt, prog.get("sqlite").split())))
    for group in prog.get("lazy", []):
        objs = [str(obj(prog.main.parent / name)) for name in group.split()]
        inputs.append(",".join(["-Wl", "--start-lib", *objs, "--end-lib"]))
    for spec in prog.get("archive", []):
        name, _, members = spec.partition("=")
        archive = build / name.strip()
        archive.unlink(missing_ok=True)
        objs = [obj(prog.main.parent / m) for m in members.split()]
        check_run([LLVM_AR, "rcs", archive, *objs])
        if "{build}/" + archive.name not in prog.words("link"):   # else placed by link:
            inputs.append(str(archive))
    for spec in prog.get("shared", []):      # linked by wasm-ld-22 for both halves
        name, _, members = spec.partition("=")
        library = build / name.strip()
        objs = [obj(prog.main.parent / m) for m in members.split()]
        check_run([CLANG, *TARGET, "-Wno-unused-command-line-argument", opt, *objs,
                   *SHARED_LIBRARY_FLAGS, f"-fuse-ld={WASM_LD}", "-o", library])
        inputs.append(str(library))
    return inputs


@dataclasses.dataclass
class Link:
    returncode: int
    stderr: str
    output: Path
    command: list[str]

    @property
    def linker_lines(self) -> list[str]:
        """The linker's own stderr lines, without clang's driver messages or the linker's
        name before `error:`/`warning:`."""
        return [re.sub(r"^[^\s:]+: (?=(error|warning):)", "", line)
                for line in self.stderr.splitlines() if not line.startswith("clang")]


def link_program(prog: Program, opt: str, inputs: list[str], ld_path: str, out: Path) -> Link:
    link_flags = [w.replace("{src}", str(prog.main.parent)).replace("{build}", str(out.parent))
                  for w in prog.words("link")]
    driver = CLANGXX if prog.lang == "c++" else CLANG
    cmd = [driver, *TARGET, "-Wno-unused-command-line-argument", opt, *inputs, *link_flags,
           f"-fuse-ld={ld_path}", "-o", str(out)]
    if prog.lang == "c++":
        cmd.insert(len(TARGET) + 1, "-fno-exceptions")
    out.unlink(missing_ok=True)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=TIMEOUT,
                          cwd=out.parent)
    return Link(proc.returncode, proc.stderr, out, cmd)


class Builds:
    """Futures for the compiles and links the selected tests need, run on a thread pool."""

    def __init__(self, root: Path, reference: set, wasmlink: set):
        self.root = root
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2)
        self.objects: dict = {}
        self.links: dict = {}
        wanted = sorted(reference | wasmlink, key=lambda k: (BY_NAME[k[0]].get("sqlite") is None, k))
        for key in wanted:                       # FIFO: compiles first, the SQLite ones first
            self.objects[key] = self.pool.submit(self._compile, *key)
        for key in wanted:                       # the wasmlink half compares with these too
            self.links[key, "ref"] = self.pool.submit(self._link, *key, "ref", WASM_LD)
        for key in wanted:
            if key in wasmlink:
                self.links[key, "wasmlink"] = self.pool.submit(self._link, *key, "wasmlink", None)

    def _dir(self, name: str, opt: str) -> Path:
        return self.root / name / opt.lstrip("-")

    def _compile(self, name: str, opt: str) -> list[str]:
        return compile_program(BY_NAME[name], opt, self._dir(name, opt))

    def _link(self, name: str, opt: str, which: str, ld_path: str | None) -> Link:
        inputs = self.objects[name, opt].result()
        if ld_path is None:
            ld_path = os.environ.get("WASMLINK_LD") or shutil.which("wasmlink-ld")
            if ld_path is None:
                raise BuildError("wasmlink-ld is not on PATH (pip install -e . provides it)")
            ld_path = os.path.abspath(ld_path)          # -fuse-ld= takes absolute paths only
        return link_program(BY_NAME[name], opt, inputs, ld_path,
                            self._dir(name, opt) / f"{which}.wasm")

    def link(self, name: str, opt: str, which: str) -> Link:
        try:
            return self.links[(name, opt), which].result()
        except BuildError as e:
            message = str(e)
        pytest.fail(message, pytrace=False)

    def close(self):
        self.pool.shutdown(wait=False, cancel_futures=True)


@pytest.fixture(scope="session")
def builds(request, tmp_path_factory):
    reference, wasmlink = set(), set()
    for item in request.session.items:
        if item.module is None or Path(item.module.__file__).name != Path(__file__).name:
            continue
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("name") in BY_NAME and params.get("opt") in OPT_LEVELS:
            key = (params["name"], params["opt"])
            (wasmlink if item.originalname == "test_wasmlink" else reference).add(key)
    b = Builds(tmp_path_factory.mktemp("ld-programs"), reference, wasmlink)
    yield b
    b.close()


# --- reading outputs -------------------------------------------------------------------------

def leb(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def name_at(data: bytes, i: int) -> tuple[str, int]:
    n, i = leb(data, i)
    return data[i:i + n].decode(), i + n


def sections(data: bytes) -> list[tuple[int, str | None, bytes]]:
    """(id, custom section name or None, payload) for each section of a module."""
    assert data[:8] == b"\0asm\1\0\0\0", "not a core wasm module"
    out, i = [], 8
    while i < len(data):
        sid = data[i]
        size, i = leb(data, i + 1)
        payload = data[i:i + size]
        name = None
        if sid == 0:
            name, j = name_at(payload, 0)
            payload = payload[j:]
        out.append((sid, name, payload))
        i += size
    return out


def custom_sections(data: bytes) -> list[str]:
    return [name for sid, name, _ in sections(data) if sid == 0]


def function_names(data: bytes) -> set[str]:
    for sid, name, payload in sections(data):
        if name == "name":
            i = 0
            while i < len(payload):
                sub, size = payload[i], 0
                size, i = leb(payload, i + 1)
                if sub == 1:
                    count, j = leb(payload, i)
                    names = set()
                    for _ in range(count):
                        _, j = leb(payload, j)
                        fname, j = name_at(payload, j)
                        names.add(fname)
                    return names
                i += size
    return set()


def dylink_memory(data: bytes) -> dict | None:
    """The WASM_DYLINK_MEM_INFO subsection of dylink.0 (what the loader below needs)."""
    for sid, name, payload in sections(data):
        if name == "dylink.0":
            i = 0
            while i < len(payload):
                sub = payload[i]
                size, i = leb(payload, i + 1)
                if sub == 1:
                    fields, j = [], i
                    for _ in range(4):
                        v, j = leb(payload, j)
                        fields.append(v)
                    return dict(zip(("memory_size", "memory_align", "table_size", "table_align"),
                                    fields))
                i += size
            return {"memory_size": 0, "memory_align": 0, "table_size": 0, "table_align": 0}
    return None


def extern_kind(ty) -> str:
    return {wasmtime.FuncType: "func", wasmtime.MemoryType: "memory", wasmtime.TableType: "table",
            wasmtime.GlobalType: "global"}.get(type(ty), type(ty).__name__)


def interface(module: wasmtime.Module) -> dict:
    return {"imports": [f"{i.module}.{i.name} {extern_kind(i.type)}" for i in module.imports],
            "exports": [f"{e.name} {extern_kind(e.type)}" for e in module.exports]}


# --- running ---------------------------------------------------------------------------------

def engine() -> wasmtime.Engine:
    """Threads and shared memory on, for --shared-memory outputs (tls_threads); the other
    programs do not notice."""
    config = wasmtime.Config()
    config.wasm_threads = True
    config.shared_memory = True
    return wasmtime.Engine(config)


ENGINE = engine()


class Transcript:
    """The program's stdout, with host-side lines (call results, host imports) interleaved at
    the points where they happen (the program flushes stdout before them)."""

    def __init__(self, stdout: Path):
        self.stdout, self.pos, self.parts = stdout, 0, []

    def sync(self):
        data = self.stdout.read_bytes()
        self.parts.append(data[self.pos:].decode(errors="replace"))
        self.pos = len(data)

    def line(self, text: str):
        self.sync()
        self.parts.append(text + "\n")

    def text(self) -> str:
        self.sync()
        return "".join(self.parts)


def host_log(t: Transcript, value):
    t.line(f"[host] log {value}")


# Host functions by "module.name", for `--allow-undefined` and import_module/import_name imports.
HOST_FUNCTIONS = {
    "env.host_add": lambda t, a, b: a + b,
    "env.host_scale": lambda t, x: x * 1.5,
    "env.host_log": host_log,
    "host.mul": lambda t, a, b: a * b,
    "host.checksum": lambda t, a, b: (a * 31 + b) & 0x7FFFFFFF,
    "env.host_triple": lambda t, x: 3 * x,
}
# Data that a PIC module imports through GOT.mem and nothing defines: name -> i32 value.
HOST_DATA = {"host_external_value": 11, "host_external_array": 100}

STACK_TOP = 1024 + 65536            # the loader's stack for PIC modules: [1024, STACK_TOP)


@dataclasses.dataclass
class Outcome:
    stdout: str
    stderr: str
    exit_code: int | None
    trap: str | None


def parse_call(spec: str) -> tuple[bool, str, tuple]:
    m = re.fullmatch(r"(str\s+)?([A-Za-z_][A-Za-z0-9_]*)\((.*)\)", spec.strip())
    assert m, f"bad call directive {spec!r}"
    args = ast.literal_eval(f"({m.group(3)},)") if m.group(3).strip() else ()
    return bool(m.group(1)), m.group(2), args


def c_string(memory: wasmtime.Memory, store, address: int) -> str:
    data = memory.read(store, address, min(address + 4096, memory.data_len(store)))
    return data.split(b"\0", 1)[0].decode()


def run_module(path: Path, prog: Program, workdir: Path) -> Outcome:
    workdir.mkdir(parents=True, exist_ok=True)
    module = wasmtime.Module.from_file(ENGINE, str(path))
    store = wasmtime.Store(ENGINE)
    stdout, stderr = workdir / "stdout", workdir / "stderr"
    stdout.write_bytes(b"")
    stderr.write_bytes(b"")
    wasi = wasmtime.WasiConfig()
    wasi.stdout_file = str(stdout)
    wasi.stderr_file = str(stderr)
    wasi.argv = [prog.name, *prog.words("args")]
    if prog.get("preopen"):
        guest_dir = workdir / "preopen"
        shutil.rmtree(guest_dir, ignore_errors=True)
        guest_dir.mkdir()
        wasi.preopen_dir(str(guest_dir), prog.get("preopen"))
    store.set_wasi(wasi)
    linker = wasmtime.Linker(ENGINE)
    linker.define_wasi()
    transcript = Transcript(stdout)
    pic = prog.run_mode == "pic"
    loader = PicLoader(store, linker, module, path.read_bytes(), transcript) if pic else None
    for imp in module.imports:
        key = f"{imp.module}.{imp.name}"
        if imp.module == "wasi_snapshot_preview1" or (pic and loader.provides(imp)):
            continue
        if isinstance(imp.type, wasmtime.FuncType) and key in HOST_FUNCTIONS:
            func = wasmtime.Func(store, imp.type, functools.partial(HOST_FUNCTIONS[key], transcript))
            linker.define(store, imp.module, imp.name, func)
        elif isinstance(imp.type, wasmtime.MemoryType):
            linker.define(store, imp.module, imp.name, wasmtime.Memory(store, imp.type))
        else:
            raise AssertionError(f"{path.name}: the host has nothing for import {key}")
    exit_code, trap = 0, None
    try:
        instance = linker.instantiate(store, module)
        exports = instance.exports(store)
        if pic:
            loader.relocate(instance)
        if prog.run_mode == "start":
            exports["_start"](store)
        elif prog.run_mode == "reactor" and "_initialize" in exports:
            exports["_initialize"](store)
        for spec in prog.get("call", []):
            as_string, name, args = parse_call(spec)
            result = exports[name](store, *args)
            if as_string:
                result = repr(c_string(exports["memory"] if "memory" in exports
                                       else loader.memory, store, result))
            shown = f"{name}({', '.join(map(repr, args))})"
            transcript.line(shown if result is None else f"{shown} = {result}")
    except wasmtime.ExitTrap as e:
        exit_code = e.code
    except wasmtime.Trap as e:
        exit_code, trap = None, str(e.trap_code).rsplit(".", 1)[-1].lower()
    return Outcome(transcript.text(), stderr.read_text(errors="replace"), exit_code, trap)


class PicLoader:
    """Just enough of a dynamic loader to run one `-shared`/`-pie` module (Linking.md,
    DynamicLinking.md): memory and table sized from dylink.0, __memory_base above a 64 KiB
    stack, __table_base 1, GOT.mem/GOT.func globals filled from the module's own exports (or
    HOST_DATA / HOST_FUNCTIONS) after instantiation, then __wasm_apply_data_relocs and
    __wasm_call_ctors as the loader calls them."""

    def __init__(self, store, linker, module, data: bytes, transcript: Transcript):
        self.store, self.transcript = store, transcript
        info = dylink_memory(data)
        assert info is not None, "run: pic needs a module with a dylink.0 section"
        align = 1 << info["memory_align"]
        self.memory_base = (STACK_TOP + align - 1) // align * align
        self.host_data = self.memory_base + info["memory_size"] + 16
        end = self.host_data + 4 * len(HOST_DATA)
        self.memory = wasmtime.Memory(store, wasmtime.MemoryType(
            wasmtime.Limits((end + 0xFFFF) // 0x10000 + 1, None)))
        self.table_base = 1
        self.table = wasmtime.Table(store, wasmtime.TableType(
            wasmtime.ValType.funcref(), wasmtime.Limits(self.table_base + info["table_size"], None)),
            None)
        i32 = wasmtime.ValType.i32()
        self.got: dict = {}
        provided = {
            ("env", "memory"): self.memory,
            ("env", "__indirect_function_table"): self.table,
            ("env", "__memory_base"): wasmtime.Global(store, wasmtime.GlobalType(i32, False),
                                                      self.memory_base),
            ("env", "__table_base"): wasmtime.Global(store, wasmtime.GlobalType(i32, False),
                                                     self.table_base),
            ("env", "__stack_pointer"): wasmtime.Global(store, wasmtime.GlobalType(i32, True),
                                                        STACK_TOP),
        }
        for imp in module.imports:
            if imp.module in ("GOT.mem", "GOT.func"):
                g = wasmtime.Global(store, wasmtime.GlobalType(i32, True), 0)
                self.got[imp.module, imp.name] = g
                provided[imp.module, imp.name] = g
        for n, (name, value) in enumerate(HOST_DATA.items()):
            self.memory.write(store, value.to_bytes(4, "little"), self.host_data + 4 * n)
        self.provided = provided
        for (module_name, name), ext in provided.items():
            linker.define(store, module_name, name, ext)

    def provides(self, imp) -> bool:
        return (imp.module, imp.name) in self.provided

    def relocate(self, instance):
        store, exports = self.store, instance.exports(self.store)
        for (space, name), g in sorted(self.got.items()):
            ext = exports.get(name)
            if space == "GOT.mem":
                if isinstance(ext, wasmtime.Global):
                    g.set_value(store, self.memory_base + ext.value(store))
                elif name in HOST_DATA:
                    g.set_value(store, self.host_data + 4 * list(HOST_DATA).index(name))
                else:
                    raise AssertionError(f"the loader cannot resolve GOT.mem.{name}")
            else:
                if not isinstance(ext, wasmtime.Func):
                    raise AssertionError(f"the loader cannot resolve GOT.func.{name}")
                index = self.table.grow(store, 1, None)
                self.table.set(store, index, ext)
                g.set_value(store, index)
        for init in ("__wasm_apply_data_relocs", "__wasm_call_ctors"):
            if init in exports:
                exports[init](store)


# --- the tests -------------------------------------------------------------------------------

def params(names) -> list:
    return [pytest.param(n, opt, id=f"{n}{opt}") for n in sorted(names) for opt in OPT_LEVELS]


def expected_link_error(prog: Program, link: Link):
    text = prog.get("expect-link-error")
    assert link.returncode != 0, f"the link succeeded, expected an error about {text!r}"
    assert not link.output.exists(), "a failed link left its output file behind"
    errors = [line for line in link.linker_lines if "error:" in line]
    assert any(text in line for line in errors), \
        f"no linker error line mentions {text!r}:\n{link.stderr}"


def check_module(prog: Program, path: Path):
    """The header's static expectations on a linked output."""
    data = path.read_bytes()
    module = wasmtime.Module(ENGINE, data)          # validates
    iface = interface(module)
    export_names = {e.name for e in module.exports}
    import_names = {f"{i.module}.{i.name}" for i in module.imports}
    customs = custom_sections(data)
    names = function_names(data)
    for want in prog.words("expect-exports"):
        assert want in export_names, f"{want} is not exported: {iface['exports']}"
    for want in prog.words("expect-imports"):
        assert want in import_names, f"{want} is not imported: {iface['imports']}"
    for want in prog.words("expect-sections"):
        assert want in customs, f"no custom section {want}: {customs}"
    for unwanted in prog.words("expect-no-sections"):
        assert unwanted not in customs, f"custom section {unwanted} is present"
    for want in prog.words("expect-names"):
        assert want in names, f"no function {want} in the name section"
    for unwanted in prog.words("expect-no-names"):
        assert unwanted not in names, f"function {unwanted} is in the name section"
    return module


@pytest.mark.parametrize("name,opt", params(BY_NAME))
def test_reference(name, opt, builds, tmp_path):
    """wasm-ld-22's output behaves as the program's header and NAME.out say."""
    prog = BY_NAME[name]
    link = builds.link(name, opt, "ref")
    if prog.get("expect-link-error"):
        expected_link_error(prog, link)
        return
    assert link.returncode == 0, f"reference link failed:\n{' '.join(link.command)}\n{link.stderr}"
    check_module(prog, link.output)
    if prog.run_mode == "validate":
        return
    outcome = run_module(link.output, prog, tmp_path)
    want_trap = prog.get("expect-trap")
    if want_trap:
        assert outcome.trap == want_trap, f"trap {outcome.trap}, expected {want_trap}"
    else:
        assert outcome.trap is None, f"trapped ({outcome.trap}):\n{outcome.stdout}"
        assert outcome.exit_code == int(prog.get("expect-exit", "0"))
    expected = prog.expected_stdout
    assert expected is not None, f"{name}.out is missing; the run printed:\n{outcome.stdout}"
    assert outcome.stdout == expected


WASMLINK_NAMES = sorted(BY_NAME) if ALL_PROGRAMS else sorted(passing_names() & set(BY_NAME))
RESULTS: dict = {}


class Summary:
    """With WASMLINK_ALL_PROGRAMS=1: which programs wasmlink links correctly at both levels."""

    def pytest_terminal_summary(self, terminalreporter):
        tr = terminalreporter
        tr.section("wasmlink programs (WASMLINK_ALL_PROGRAMS=1)")
        by_program: dict = {}
        for (name, opt), result in sorted(RESULTS.items()):
            by_program.setdefault(name, {})[opt] = result
        passing = [n for n, r in by_program.items()
                   if all(r.get(o) == "pass" for o in OPT_LEVELS)]
        for name, results in by_program.items():
            status = "pass" if name in passing else "FAIL"
            detail = "; ".join(f"{o}: {r}" for o, r in sorted(results.items()) if r != "pass")
            tr.write_line(f"{status:4} {name}" + (f"  ({detail})" if detail else ""))
        tr.write_line(f"{len(passing)} of {len(by_program)} pass at -O0 and -O2; "
                      f"passing list: {' '.join(passing) or '(none)'}")


@pytest.fixture(scope="session")
def summary(request):
    if ALL_PROGRAMS:
        request.config.pluginmanager.register(Summary(), "wasmlink-programs-summary")


def short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:160]


@pytest.mark.parametrize("name,opt", params(WASMLINK_NAMES))
def test_wasmlink(name, opt, builds, summary, tmp_path):
    """wasmlink-ld's output behaves exactly as wasm-ld-22's, within 1% of its size."""
    try:
        compare_with_reference(BY_NAME[name], opt, builds, tmp_path)
    except BaseException as e:
        RESULTS[name, opt] = short(e)
        raise
    RESULTS[name, opt] = "pass"


def compare_with_reference(prog: Program, opt: str, builds: Builds, tmp_path: Path):
    ref = builds.link(prog.name, opt, "ref")
    ours = builds.link(prog.name, opt, "wasmlink")
    if ref.returncode != 0:
        assert ours.returncode != 0, f"wasm-ld-22 failed but wasmlink linked:\n{ref.stderr}"
        assert not ours.output.exists(), "a failed link left its output file behind"
        symbols = set(re.findall(r"symbol:? `?([^\s`']+)", "\n".join(ref.linker_lines)))
        for symbol in symbols:
            assert symbol in ours.stderr, f"wasmlink's error does not name {symbol}:\n{ours.stderr}"
        if prog.get("expect-link-error"):
            expected_link_error(prog, ours)
        return
    first = (ours.linker_lines or [""])[0]
    assert ours.returncode == 0, \
        f"wasmlink link failed: {first}\n{' '.join(ours.command)}\n{ours.stderr}"
    ours_module = check_module(prog, ours.output)
    ref_module = wasmtime.Module.from_file(ENGINE, str(ref.output))
    ours_iface, ref_iface = interface(ours_module), interface(ref_module)
    assert ours_iface["imports"] == ref_iface["imports"], "imports differ from wasm-ld-22's"
    assert ours_iface["exports"] == ref_iface["exports"], "exports differ from wasm-ld-22's"
    if prog.get("compare") == "link-stderr":
        assert sorted(ours.linker_lines) == sorted(ref.linker_lines), \
            "the linker's messages differ from wasm-ld-22's"
    ref_info, our_info = inspect_json(ref.output), inspect_json(ours.output)
    assert our_info.get("dylink") == ref_info.get("dylink"), "dylink.0 differs from wasm-ld-22's"
    if prog.run_mode != "validate":
        want = run_module(ref.output, prog, tmp_path / "ref")
        got = run_module(ours.output, prog, tmp_path / "wasmlink")
        for field in ("trap", "exit_code", "stdout", "stderr"):
            assert getattr(got, field) == getattr(want, field), \
                f"{field} differs from wasm-ld-22's output's"
    ref_size, our_size = ref.output.stat().st_size, ours.output.stat().st_size
    assert abs(our_size - ref_size) <= ref_size / 100, \
        f"output is {our_size} bytes, wasm-ld-22's is {ref_size} (more than 1% apart)"
    # beyond behaviour: the same bytes, the module's name (its file name) aside
    assert without_module_name(ours.output.read_bytes()) == \
        without_module_name(ref.output.read_bytes()), "the output's bytes differ from wasm-ld-22's"


def without_module_name(data: bytes) -> list[tuple[int, str | None, bytes]]:
    """The module's sections, with the module-name subsection of its name section dropped."""
    out = []
    for sid, name, payload in sections(data):
        if name == "name" and payload[:1] == b"\0":
            size, i = leb(payload, 1)
            payload = payload[i + size:]
        out.append((sid, name, payload))
    return out


def inspect_json(path: Path) -> dict:
    wasmlink = shutil.which("wasmlink")
    cmd = [wasmlink, "inspect", "--json", str(path)] if wasmlink else \
        ["python3", "-m", "wasmlink", "inspect", "--json", str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["files"][0]


def test_driver_runs_the_given_linker(tmp_path):
    """clang-22 runs the linker named by an absolute -fuse-ld= (and ignores --ld-path)."""
    fake = tmp_path / "some-ld"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    obj = tmp_path / "x.o"
    obj.write_bytes(b"")
    with_fuse = check_run([CLANG, *TARGET, f"-fuse-ld={fake}", obj, "-###"]).stderr
    assert f'"{fake}"' in with_fuse.splitlines()[-1]
    with_ld_path = check_run([CLANG, *TARGET, f"--ld-path={fake}", obj, "-###"]).stderr
    assert str(fake) not in with_ld_path.splitlines()[-1]


def test_suite_size():
    """The issue asks for at least 30 programs; every list entry names one of them."""
    assert len(PROGRAM_LIST) >= 30
    unknown = passing_names() - set(BY_NAME)
    assert not unknown, f"wasmlink-passing.txt names unknown programs: {sorted(unknown)}"
