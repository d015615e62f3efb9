"""The wasm-ld command line: argv in, LinkOptions and the ordered list of inputs out.

It follows lld (lld/wasm/Options.td, Driver.cpp, llvm/Option/OptTable.cpp) step by step, so
that any command line clang or a build system hands wasm-ld means the same thing here:

1. ``@file`` arguments are replaced by the file's tokens, recursively and in place (names are
   relative to the cwd, GNU quoting unless ``--rsp-quoting=windows``); a file that does not
   exist leaves ``@file`` as an input, as libiberty and lld do.
2. Each argument is matched as OptTable matches it: the dash prefix (which of ``-`` and ``--``
   an option takes is part of the table), then the longest option name that the rest starts
   with. A flag must match the whole argument, a joined option takes the rest as its value, a
   separate one takes the next argument. So ``-export-all`` is ``-e xport-all``, exactly as
   wasm-ld reads it (export-all takes ``--`` only).
3. Options are read as readConfigs/setConfigs read them: the last occurrence wins, lists keep
   every occurrence, and some defaults follow other options (entry, export-dynamic, memory
   import/export, table base, gc-sections and data-segment merging under -r).
4. Inputs are walked in order with the positional state (--whole-archive, --start-lib,
   -Bstatic/-Bdynamic); ``-lNAME`` looks in every -L directory, wherever it appears, for
   libNAME.so (unless linking statically, the default without -shared/-pie) then libNAME.a.
5. checkOptions: the combinations lld refuses, and its warnings.

Options that only tune wasm-ld itself (threads, LTO, -mllvm) are recorded in
``LinkOptions.ignored``; GNU ld options that build systems pass by habit and that mean nothing
for wasm are accepted with a warning. Anything else unknown is lld's ``unknown argument: X``.
Errors raise UsageError at the first one; warnings are collected in ``LinkOptions.warnings``.
"""
from __future__ import annotations

import os
import re

from ..errors import UsageError

# The wasm-ld whose command line (options, defaults, diagnostics) this module mirrors.
LLD_VERSION = "22.1.8"

WASM_PAGE_SIZE = 65536

FLAG, JOINED, SEPARATE, JOINED_OR_SEPARATE, COMMA_JOINED = range(5)
IGNORED = "#ignored"    # key of the options that only tune wasm-ld
GNU_HABIT = "#gnu"      # key of the GNU ld options accepted with a warning

_DD = ("--",)
_BOTH = ("--", "-")
_D = ("-",)


def _option_table() -> list[tuple[tuple[str, ...], str, int, str]]:
    """(prefixes, name, kind, key) for every option, in Options.td's order and terms."""
    table = []

    def opt(prefixes, name, kind, key=None):
        table.append((prefixes, name, kind, key or name))

    def flag(name, prefixes=_BOTH, key=None):          # F / FF
        opt(prefixes, name, FLAG, key)

    def b(name, prefixes=_BOTH):                       # B / BB: --name and --no-name
        flag(name, prefixes)
        flag("no-" + name, prefixes)

    def eq(name, prefixes=_BOTH, key=None):            # Eq / EEq: "--name V" and "--name=V"
        opt(prefixes, name, SEPARATE, key or name)
        opt(prefixes, name + "=", JOINED, key or name)

    def joined(name, prefixes=_DD, key=None):          # J / JJ: "--name=V"
        opt(prefixes, name, JOINED, key or name.rstrip("="))

    # Shared with the ELF linker.
    flag("Bsymbolic")
    flag("Bdynamic")
    flag("Bstatic")
    flag("build-id")
    joined("build-id=", _BOTH, "build-id=")
    b("color-diagnostics")
    joined("color-diagnostics=", _BOTH, "color-diagnostics=")
    flag("compress-relocations")
    b("demangle")
    flag("emit-relocs")
    flag("error-unresolved-symbols")
    b("export-dynamic")
    flag("end-lib")
    opt(_BOTH, "entry", SEPARATE)
    eq("error-limit", _DD)
    b("fatal-warnings")
    b("gc-sections")
    b("merge-data-segments", _DD)
    flag("help")
    opt(_D, "l", JOINED_OR_SEPARATE)
    opt(_D, "L", JOINED_OR_SEPARATE)
    opt(_D, "m", JOINED_OR_SEPARATE)
    eq("mllvm", key=IGNORED)
    eq("Map")
    opt(_D, "o", JOINED_OR_SEPARATE)
    opt(_D, "O", JOINED_OR_SEPARATE)
    b("pie")
    b("print-gc-sections")
    flag("print-map")
    flag("relocatable")
    eq("reproduce", _DD)
    eq("rsp-quoting")
    flag("shared")
    flag("start-lib")
    flag("strip-all")
    flag("strip-debug")
    eq("threads", key=IGNORED)
    flag("trace")
    eq("trace-symbol")
    eq("undefined")
    eq("unresolved-symbols")
    opt(_D, "v", FLAG)
    flag("verbose")
    flag("version")
    flag("warn-unresolved-symbols")
    eq("wrap")
    opt(_D, "z", JOINED_OR_SEPARATE)
    b("allow-multiple-definition")
    flag("noinhibit-exec")
    eq("rpath")
    flag("disable-verify", key=IGNORED)
    # Unique to wasm.
    flag("allow-undefined")
    flag("import-undefined")
    joined("allow-undefined-file=", _BOTH)
    opt(_D, "allow-undefined-file", SEPARATE)
    eq("export")
    eq("export-if-defined")
    flag("export-all", _DD)
    flag("export-table", _DD)
    flag("growable-table", _DD)
    joined("global-base=")
    eq("keep-section")
    flag("import-memory", _DD)
    joined("import-memory=", _DD, "import-memory=")
    flag("export-memory", _DD)
    joined("export-memory=", _DD, "export-memory=")
    flag("shared-memory", _DD)
    eq("soname")
    flag("import-table", _DD)
    joined("initial-heap=")
    joined("initial-memory=")
    joined("max-memory=")
    flag("no-growable-memory", _DD)
    flag("no-entry", _DD)
    b("stack-first")
    joined("table-base=")
    b("whole-archive")
    joined("why-extract=")
    b("check-features", _DD)
    opt(_BOTH, "features=", COMMA_JOINED, "features")
    opt(_BOTH, "extra-features=", COMMA_JOINED, "extra-features")
    joined("page-size=")
    flag("no-shlib-sigcheck", _DD)
    flag("experimental-pic", _DD)
    # Aliases.
    opt(_D, "e", JOINED_OR_SEPARATE, "entry")
    joined("entry=", _BOTH, "entry")
    for name in ("call_shared", "dy"):
        flag(name, key="Bdynamic")
    for name in ("dn", "non_shared", "static"):
        flag(name, key="Bstatic")
    opt(_D, "E", FLAG, "export-dynamic")
    opt(_D, "i", FLAG, "initial-memory")      # a flag aliasing a joined option, as in lld
    eq("library", key="l")
    eq("library-path", key="L")
    opt(_D, "M", FLAG, "print-map")
    opt(_D, "r", FLAG, "relocatable")
    opt(_D, "s", FLAG, "strip-all")
    opt(_D, "S", FLAG, "strip-debug")
    opt(_D, "t", FLAG, "trace")
    opt(_D, "V", FLAG, "v")
    opt(_D, "y", JOINED_OR_SEPARATE, "trace-symbol")
    opt(_D, "u", JOINED_OR_SEPARATE, "undefined")
    # LTO: accepted, recorded, no effect (bitcode inputs are refused by the reader).
    for name in ("lto-O", "lto-CGO", "lto-partitions=", "lto-obj-path=", "thinlto-cache-dir=",
                 "thinlto-jobs=", "thinlto-index-only=", "thinlto-object-suffix-replace=",
                 "thinlto-prefix-replace="):
        joined(name, key=IGNORED)
    for name in ("lto-debug-pass-manager", "thinlto-emit-imports-files",
                 "thinlto-emit-index-files", "thinlto-index-only"):
        flag(name, _DD, IGNORED)
    eq("thinlto-cache-policy", _DD, IGNORED)
    flag("save-temps", key=IGNORED)
    # GNU ld habits that mean nothing for wasm (wasm-ld itself rejects them). wasm-ld already
    # rescans archives until nothing changes, so groups are implied.
    for name in ("start-group", "end-group", "as-needed", "no-as-needed", "eh-frame-hdr",
                 "sort-common", "enable-new-dtags", "disable-new-dtags"):
        flag(name, _DD, GNU_HABIT)
    joined("hash-style=", key=GNU_HABIT)
    flag("Bsymbolic-functions", key=GNU_HABIT)
    opt(_D, "(", FLAG, GNU_HABIT)
    opt(_D, ")", FLAG, GNU_HABIT)
    return table


OPTION_TABLE = _option_table()

# prefix -> name -> (kind, key), and the name lengths to try, longest first.
_INDEX: dict[str, dict[str, tuple[int, str]]] = {"-": {}, "--": {}}
for _prefixes, _name, _kind, _key in OPTION_TABLE:
    for _p in _prefixes:
        _INDEX[_p][_name] = (_kind, _key)
_LENGTHS = {p: sorted({len(n) for n in names}, reverse=True) for p, names in _INDEX.items()}


class Input:
    """One input on the command line, with the positional state in force where it appeared.

    kind is 'file' for a path, 'library' for a resolved -l; is_static is -Bstatic's state
    (lld refuses a shared-library input under it)."""

    __slots__ = ("path", "kind", "whole_archive", "lazy", "is_static")

    def __init__(self, path: str, kind: str = "file", whole_archive: bool = False,
                 lazy: bool = False, is_static: bool = True):
        self.path = path
        self.kind = kind
        self.whole_archive = whole_archive
        self.lazy = lazy
        self.is_static = is_static

    def _key(self):
        return (self.path, self.kind, self.whole_archive, self.lazy, self.is_static)

    def __eq__(self, other):
        return isinstance(other, Input) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return (f"Input({self.path!r}, {self.kind!r}, whole_archive={self.whole_archive}, "
                f"lazy={self.lazy}, is_static={self.is_static})")


class LinkOptions:
    """Every wasm-ld option, after lld's readConfigs and setConfigs, with wasm-ld-22's defaults.

    None means "not given" where lld distinguishes it (global_base: 0 counts as not given,
    as in lld; the layout then puts data after the stack, or at 1024 with --no-stack-first)."""

    __slots__ = (
        # what to build
        "output", "is64", "relocatable", "shared", "pie", "is_pic", "experimental_pic",
        "entry",
        # symbols
        "undefined", "wrap", "exports", "export_if_defined", "export_all", "export_dynamic",
        "allow_undefined", "import_undefined", "unresolved_symbols", "allow_undefined_file",
        "allow_undefined_symbols", "allow_multiple_definition", "bsymbolic", "shlib_sigcheck",
        # memory and table
        "import_memory", "import_memory_module", "import_memory_name", "export_memory_name",
        "shared_memory", "initial_memory", "max_memory", "initial_heap", "no_growable_memory",
        "page_size", "stack_size", "stack_first", "global_base", "table_base", "import_table",
        "export_table", "growable_table",
        # sections and output
        "gc_sections", "print_gc_sections", "strip_all", "strip_debug", "keep_sections",
        "merge_data_segments", "emit_relocs", "compress_relocations", "map_file", "build_id",
        "build_id_bytes", "check_features", "features", "extra_features", "optimize", "soname",
        "rpath", "noinhibit_exec",
        # diagnostics
        "verbose", "trace", "trace_symbols", "why_extract", "reproduce", "error_limit",
        "fatal_warnings", "color_diagnostics", "demangle",
        # the command line itself
        "search_paths", "help", "version_requested", "exit_early", "args", "ignored",
        "warnings",
    )

    def __init__(self):
        self.output: str | None = None
        self.is64: bool | None = None           # -m; None: from the inputs
        self.relocatable = False
        self.shared = False
        self.pie = False
        self.is_pic = False                     # -shared or -pie
        self.experimental_pic = False
        self.entry: str | None = "_start"       # __wasm_call_ctors with -shared, None with -r
        self.undefined: list[str] = []          # -u, in order
        self.wrap: list[str] = []               # --wrap, first occurrence of each
        self.exports: list[str] = []            # --export: must be defined
        self.export_if_defined: list[str] = []
        self.export_all = False
        self.export_dynamic = False             # default: -shared
        self.allow_undefined = False            # the flag itself
        self.import_undefined = False           # --import-undefined or --allow-undefined
        # "report-all" (error), "warn", "ignore-all" or "import-dynamic"
        self.unresolved_symbols = "report-all"
        self.allow_undefined_file: str | None = None
        self.allow_undefined_symbols: set[str] = set()
        self.allow_multiple_definition = False  # also -z muldefs
        self.bsymbolic = False
        self.shlib_sigcheck = True
        self.import_memory = False
        self.import_memory_module = "env"
        self.import_memory_name = "memory"
        self.export_memory_name: str | None = "memory"   # None: not exported
        self.shared_memory = False
        self.initial_memory = 0                 # 0: not given (bytes otherwise)
        self.max_memory = 0
        self.initial_heap = 0
        self.no_growable_memory = False
        self.page_size = WASM_PAGE_SIZE
        self.stack_size = WASM_PAGE_SIZE        # -z stack-size=
        self.stack_first = True                 # LLVM 22's default
        self.global_base: int | None = None
        self.table_base = 1                     # 0 for -shared/-pie
        self.import_table = False               # forced on for -shared/-pie/-r
        self.export_table = False
        self.growable_table = False
        self.gc_sections = True                 # default off with -r
        self.print_gc_sections = False
        self.strip_all = False
        self.strip_debug = False
        self.keep_sections: set[str] = set()
        self.merge_data_segments = True         # default off with -r
        self.emit_relocs = False
        self.compress_relocations = False
        self.map_file: str | None = None        # "-" for --print-map
        self.build_id = "none"                  # "none", "fast", "sha1", "uuid", "hexstring"
        self.build_id_bytes = b""
        self.check_features = True
        self.features: list[str] | None = None
        self.extra_features: list[str] | None = None
        self.optimize = 1
        self.soname: str | None = None
        self.rpath: list[str] = []
        self.noinhibit_exec = False
        self.verbose = False
        self.trace = False
        self.trace_symbols: list[str] = []
        self.why_extract: str | None = None
        self.reproduce: str | None = None
        self.error_limit = 20
        self.fatal_warnings = False
        self.color_diagnostics = "auto"         # "auto", "always", "never"
        self.demangle = True
        self.search_paths: list[str] = []       # -L, in order, wherever they appear
        self.help = False
        self.version_requested = False          # -v or --version: print version_line()
        self.exit_early = False                 # --help, --version, or -v without files
        self.args: list[str] = []               # argv after response-file expansion
        self.ignored: list[str] = []            # options accepted without effect
        self.warnings: list[str] = []


def version_line() -> str:
    """What --version and -v print: wasm-ld's form, naming wasmlink after the version.

    CMake matches ``LLD ([0-9.]+)`` and Meson takes the first version in the line, so LLD and
    its version come first; there is no "compatible with GNU linkers" (wasm-ld-22 prints none,
    and libtool would take the word GNU to mean GNU ld)."""
    from .. import __version__
    return f"LLD {LLD_VERSION} (wasmlink {__version__})"


def help_text(prog: str = "wasmlink-ld") -> str:
    """Every accepted option, one a line (wasm-ld-22 --help has the descriptions)."""
    lines = ["OVERVIEW: wasmlink's drop-in for wasm-ld", "", f"USAGE: {prog} [options] file...",
             "", "OPTIONS:"]
    for prefixes, name, kind, key in OPTION_TABLE:
        if key == GNU_HABIT:
            continue
        spelling = prefixes[0] + name
        if kind in (SEPARATE, JOINED_OR_SEPARATE):
            spelling += " <value>"
        elif kind in (JOINED, COMMA_JOINED):
            spelling += "<value>"
        lines.append("  " + spelling)
    return "\n".join(lines) + "\n"


# -- response files ----------------------------------------------------------------------------

def _is_space(c: str) -> bool:
    return c in " \t\r\n"


_GNU_SPECIAL = re.compile(r"[\\'\" \t\r\n]")
_GNU_QUOTING = re.compile(r"[\\'\"]")
_GNU_SPACES = re.compile(r"[ \t\r\n]+")
_GNU_IN_QUOTES = {"'": re.compile(r"[\\']"), '"': re.compile(r'[\\"]')}


def tokenize_gnu(text: str) -> list[str]:
    """llvm::cl::TokenizeGNUCommandLine: whitespace separates, '…' and "…" quote, a backslash
    escapes the next character (inside quotes too); empty tokens are dropped.

    It jumps from one special character to the next, so that a response file listing
    thousands of plain paths costs a few regex searches per path."""
    if _GNU_QUOTING.search(text) is None:
        return [word for word in _GNU_SPACES.split(text) if word]
    out: list[str] = []
    token: list[str] = []
    i, n = 0, len(text)
    special = _GNU_SPECIAL.search
    while i < n:
        m = special(text, i)
        if m is None:
            token.append(text[i:])
            break
        j = m.start()
        token.append(text[i:j])
        c = text[j]
        if c == "\\":
            token.append(text[j + 1:j + 2] or "\\")
            i = j + 2
        elif c == "'" or c == '"':
            inside = _GNU_IN_QUOTES[c].search
            i = j + 1
            while True:
                m = inside(text, i)
                if m is None:                   # unterminated: the rest belongs to the token
                    token.append(text[i:])
                    i = n
                    break
                k = m.start()
                token.append(text[i:k])
                if text[k] == c:
                    i = k + 1
                    break
                token.append(text[k + 1:k + 2] or "\\")
                i = k + 2
        else:
            word = "".join(token)
            if word:
                out.append(word)
            token = []
            i = j + 1
    word = "".join(token)
    if word:
        out.append(word)
    return out


def _windows_backslashes(text: str, i: int, token: list[str]) -> int:
    """Backslashes before a double quote halve (an odd one escapes the quote); others are
    literal. Returns the index of the last character consumed."""
    n = len(text)
    count = 0
    while i < n and text[i] == "\\":
        i += 1
        count += 1
    if i < n and text[i] == '"':
        token.append("\\" * (count // 2))
        if count % 2 == 0:
            return i - 1
        token.append('"')
        return i
    token.append("\\" * count)
    return i - 1


def tokenize_windows(text: str) -> list[str]:
    """llvm::cl::TokenizeWindowsCommandLine (--rsp-quoting=windows)."""
    out: list[str] = []
    token: list[str] = []
    INIT, UNQUOTED, QUOTED = 0, 1, 2
    state = INIT
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if state == INIT:
            while i < n and (_is_space(text[i]) or text[i] == "\0"):
                i += 1
            if i >= n:
                break
            c = text[i]
            if c == '"':
                state = QUOTED
            elif c == "\\":
                i = _windows_backslashes(text, i, token)
                state = UNQUOTED
            else:
                token.append(c)
                state = UNQUOTED
        elif state == UNQUOTED:
            if _is_space(c) or c == "\0":
                out.append("".join(token))
                token = []
                state = INIT
            elif c == '"':
                state = QUOTED
            elif c == "\\":
                i = _windows_backslashes(text, i, token)
            else:
                token.append(c)
        else:
            if c == '"':
                if i + 1 < n and text[i + 1] == '"':
                    token.append('"')
                    i += 1
                else:
                    state = UNQUOTED
            elif c == "\\":
                i = _windows_backslashes(text, i, token)
            else:
                token.append(c)
        i += 1
    if state != INIT:
        out.append("".join(token))
    return out


def _path_append(directory: str, name: str) -> str:
    """llvm::sys::path::append: one separator between the parts, never a reset on '/name'."""
    if not directory:
        return name
    if directory.endswith("/"):
        return directory + name.lstrip("/")
    if name.startswith("/"):
        return directory + name
    return directory + "/" + name


def _read_text(path: str) -> str:
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    return data.decode("utf-8", "surrogateescape")


def expand_response_files(argv: list[str], quoting: str = "posix") -> list[str]:
    """Replace each ``@file`` by its tokens, recursively; names are relative to the cwd.

    A file that does not exist is left as the argument ``@file`` (the reader will report it);
    a file that includes itself, directly or not, is an error."""
    tokenize = tokenize_windows if quoting == "windows" else tokenize_gnu
    args = list(argv)
    stack: list[list] = []          # [identity, path, end index] of the files being expanded
    i = 0
    while i < len(args):
        while stack and i >= stack[-1][2]:
            stack.pop()
        arg = args[i]
        if not arg.startswith("@"):
            i += 1
            continue
        name = arg[1:]
        path = name if os.path.isabs(name) else _path_append(os.getcwd(), name)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            i += 1
            continue
        except OSError as e:
            raise UsageError(f"cannot open {name}: {os.strerror(e.errno)}") from None
        identity = (st.st_dev, st.st_ino)
        for other, other_path, _ in stack:
            if other == identity:
                raise UsageError(f"recursive expansion of: '{other_path}'")
        try:
            tokens = tokenize(_read_text(path))
        except OSError as e:
            raise UsageError(f"cannot open {name}: {os.strerror(e.errno)}") from None
        args[i:i + 1] = tokens
        for record in stack:
            record[2] += len(tokens) - 1
        stack.append([identity, path, i + len(tokens)])
    return args


# -- matching ----------------------------------------------------------------------------------

def scan_args(argv: list[str], strict: bool = True) -> list[tuple[str | None, object, str, bool]]:
    """Match each argument against the option table as llvm::opt::OptTable does.

    Returns (key, value, text, separate) per option or input: key is None for an input (value
    is the path), "#unknown" for an unknown option when not strict; value is None for a flag,
    a list for a comma-joined option; text is the argument where the option starts."""
    out = []
    i, n = 0, len(argv)
    while i < n:
        arg = argv[i]
        if arg[:1] != "-" or arg == "-":
            out.append((None, arg, arg, False))
            i += 1
            continue
        prefix = "--" if arg.startswith("--") else "-"
        rest = arg[len(prefix):]
        names = _INDEX[prefix]
        size_of_rest = len(rest)
        matched = False
        for size in _LENGTHS[prefix]:
            if size > size_of_rest:
                continue
            entry = names.get(rest[:size])
            if entry is None:
                continue
            kind, key = entry
            if kind == FLAG:
                if size != size_of_rest:
                    continue
                out.append((key, None, arg, False))
                i += 1
            elif kind == JOINED:
                out.append((key, rest[size:], arg, False))
                i += 1
            elif kind == COMMA_JOINED:
                out.append((key, [v for v in rest[size:].split(",") if v], arg, False))
                i += 1
            elif size == size_of_rest:                  # SEPARATE, or JOINED_OR_SEPARATE alone
                if i + 1 >= n:
                    if strict:
                        raise UsageError(f"{arg}: missing argument")
                    return out
                out.append((key, argv[i + 1], arg, True))
                i += 2
            elif kind == JOINED_OR_SEPARATE:
                out.append((key, rest[size:], arg, False))
                i += 1
            else:                                       # SEPARATE with text after the name
                continue
            matched = True
            break
        if not matched:
            if strict:
                raise UsageError(f"unknown argument: {arg}")
            out.append(("#unknown", None, arg, False))
            i += 1
    return out


# -- numbers, as lld parses them -----------------------------------------------------------

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_U64 = (1 << 64) - 1


def _digits_value(s: str, radix: int) -> int | None:
    if not s:
        return None
    allowed = _DIGITS[:radix]
    if any(c.lower() not in allowed or not c.isascii() for c in s):
        return None
    return int(s, radix)


def _parse_int64(s: str) -> int | None:
    """StringRef::getAsInteger(10, int64_t): an optional '-', decimal digits, no '+'."""
    negative = s.startswith("-")
    value = _digits_value(s[1:] if negative else s, 10)
    if value is None:
        return None
    value = -value if negative else value
    return value if -(1 << 63) <= value < (1 << 63) else None


def _parse_uint64_auto(s: str) -> int | None:
    """StringRef::getAsInteger(0, uint64_t): 0x, 0b, 0o or a leading 0 pick the radix."""
    radix = 10
    lower = s[:2].lower()
    if lower == "0x":
        radix, s = 16, s[2:]
    elif lower == "0b":
        radix, s = 2, s[2:]
    elif s.startswith("0o"):
        radix, s = 8, s[2:]
    elif len(s) > 1 and s[0] == "0" and s[1].isdigit():
        radix, s = 8, s[1:]
    value = _digits_value(s, radix)
    return value if value is not None and value <= _U64 else None


# -- reading the options ---------------------------------------------------------------------

class _Args:
    """The scanned arguments, looked up the way lld's InputArgList is."""

    def __init__(self, scanned):
        self.scanned = scanned
        self.last: dict[str, int] = {}
        for index, (key, _value, _text, _sep) in enumerate(scanned):
            if key is not None:
                self.last[key] = index

    def has(self, key: str) -> bool:
        return key in self.last

    def get_last(self, *keys: str):
        """The last of these options on the command line, or None."""
        best = max((self.last[k] for k in keys if k in self.last), default=None)
        return None if best is None else self.scanned[best]

    def value(self, key: str, default=None):
        arg = self.get_last(key)
        return default if arg is None else arg[1]

    def flag(self, positive: str, negative: str, default: bool) -> bool:
        arg = self.get_last(positive, negative)
        return default if arg is None else arg[0] == positive

    def values(self, key: str) -> list:
        return [v for k, v, _t, _s in self.scanned if k == key]

    def integer(self, key: str, default: int) -> int:
        arg = self.get_last(key)
        if arg is None:
            return default
        _key, value, text, _sep = arg
        value = "" if value is None else value
        number = _parse_int64(value)
        if number is None:
            raise UsageError(f"{text}: number expected, but got '{value}'")
        return number


def _z_options(args: _Args, opts: LinkOptions) -> None:
    zs = args.values("z")
    for z in zs:
        if not (z.startswith("stack-size=") or z.startswith("muldefs")):
            opts.warnings.append(f"unknown -z value: {z}")
    for z in reversed(zs):
        key, _, value = z.partition("=")
        if key == "stack-size":
            size = _parse_uint64_auto(value)
            if size is None:
                raise UsageError(f"invalid stack-size: {value}")
            opts.stack_size = size
            break


def _entry(args: _Args) -> str | None:
    arg = args.get_last("entry", "no-entry")
    if arg is None:
        if args.has("relocatable"):
            return None
        return "__wasm_call_ctors" if args.has("shared") else "_start"
    if arg[0] == "no-entry":
        return None
    return arg[1] or None


def _build_id(args: _Args) -> tuple[str, bytes]:
    arg = args.get_last("build-id", "build-id=")
    if arg is None:
        return "none", b""
    if arg[0] == "build-id":
        return "fast", b""
    style = arg[1]
    if style in ("fast", "uuid"):
        return style, b""
    if style in ("sha1", "tree"):
        return "sha1", b""
    if style.startswith("0x"):
        hexits, out = style[2:], bytearray()
        for k in range(0, len(hexits), 2):
            pair = hexits[k:k + 2]
            byte = _digits_value(pair, 16)
            if byte is None:
                raise UsageError(f"not a hexadecimal value: {pair}")
            out.append(byte)
        return "hexstring", bytes(out)
    if style != "none":
        raise UsageError(f"unknown --build-id style: {style}")
    return "none", b""


def _unresolved_policy(args: _Args) -> str:
    error_or_warn = "report-all" if args.flag("error-unresolved-symbols",
                                              "warn-unresolved-symbols", True) else "warn"
    value = args.value("unresolved-symbols")
    if value is None:
        return error_or_warn
    if value in ("ignore-all", "import-dynamic"):
        return value
    if value == "report-all":
        return error_or_warn
    raise UsageError(f"unknown --unresolved-symbols value: {value}")


def _read_configs(args: _Args, opts: LinkOptions) -> None:
    """lld's readConfigs, in its order (so the first error reported is lld's first)."""
    opts.allow_multiple_definition = "muldefs" in args.values("z") or args.flag(
        "allow-multiple-definition", "no-allow-multiple-definition", False)
    opts.bsymbolic = args.has("Bsymbolic")
    opts.check_features = args.flag("check-features", "no-check-features", True)
    opts.compress_relocations = args.has("compress-relocations")
    opts.demangle = args.flag("demangle", "no-demangle", True)
    opts.emit_relocs = args.has("emit-relocs")
    opts.experimental_pic = args.has("experimental-pic")
    opts.entry = _entry(args)
    opts.export_all = args.has("export-all")
    opts.export_table = args.has("export-table")
    opts.growable_table = args.has("growable-table")
    opts.noinhibit_exec = args.has("noinhibit-exec")

    # The "=value" forms win over the plain flags wherever they appear, as in lld.
    if args.has("import-memory="):
        module, comma, name = args.value("import-memory=").partition(",")
        opts.import_memory = True
        if comma:
            opts.import_memory_module, opts.import_memory_name = module, name
        else:
            opts.import_memory_module, opts.import_memory_name = "env", module
    elif args.has("import-memory"):
        opts.import_memory = True
    if args.has("export-memory="):
        opts.export_memory_name = args.value("export-memory=")
    elif args.has("export-memory"):
        opts.export_memory_name = "memory"
    else:
        opts.export_memory_name = None

    opts.shared_memory = args.has("shared-memory")
    opts.soname = args.value("soname")
    opts.import_table = args.has("import-table")
    opts.import_undefined = args.has("import-undefined")
    opts.map_file = args.value("Map") or None
    opts.optimize = args.integer("O", 1)
    opts.output = args.value("o") or None
    opts.relocatable = args.has("relocatable")
    opts.gc_sections = args.flag("gc-sections", "no-gc-sections", not opts.relocatable)
    opts.keep_sections = set(args.values("keep-section"))
    opts.merge_data_segments = args.flag("merge-data-segments", "no-merge-data-segments",
                                         not opts.relocatable)
    opts.pie = args.flag("pie", "no-pie", False)
    opts.print_gc_sections = args.flag("print-gc-sections", "no-print-gc-sections", False)
    opts.search_paths = args.values("L")
    opts.shared = args.has("shared")
    opts.shlib_sigcheck = not args.has("no-shlib-sigcheck")
    opts.strip_all = args.has("strip-all")
    opts.strip_debug = args.has("strip-debug")
    opts.stack_first = args.flag("stack-first", "no-stack-first", True)
    opts.trace = args.has("trace")
    opts.unresolved_symbols = _unresolved_policy(args)
    opts.why_extract = args.value("why-extract") or None
    opts.reproduce = args.value("reproduce") or None
    opts.verbose = args.has("verbose")

    u64 = _U64
    opts.table_base = args.integer("table-base", 0) & u64
    opts.global_base = (args.integer("global-base", 0) & u64) or None
    opts.initial_heap = args.integer("initial-heap", 0) & u64
    opts.initial_memory = args.integer("initial-memory", 0) & u64
    opts.max_memory = args.integer("max-memory", 0) & u64
    opts.no_growable_memory = args.has("no-growable-memory")
    opts.page_size = args.integer("page-size", WASM_PAGE_SIZE) & u64
    if opts.page_size not in (1, WASM_PAGE_SIZE):
        raise UsageError("--page_size=N must be either 1 or 65536")
    _z_options(args, opts)
    if opts.max_memory and opts.no_growable_memory:
        raise UsageError("--max-memory is incompatible with --no-growable-memory")
    opts.export_dynamic = args.flag("export-dynamic", "no-export-dynamic", opts.shared)

    machine = args.value("m")
    if machine is not None:
        if machine == "wasm32":
            opts.is64 = False
        elif machine == "wasm64":
            opts.is64 = True
        else:
            raise UsageError(f"invalid target architecture: {machine}")

    features = args.get_last("features")
    opts.features = None if features is None else list(features[1])
    extra = args.get_last("extra-features")
    opts.extra_features = None if extra is None else list(extra[1])

    if args.has("allow-undefined"):
        opts.allow_undefined = True
        opts.import_undefined = True
        opts.unresolved_symbols = "ignore-all"
    if args.has("print-map"):
        opts.map_file = "-"
    opts.build_id, opts.build_id_bytes = _build_id(args)

    opts.undefined = args.values("undefined")
    opts.wrap = list(dict.fromkeys(args.values("wrap")))
    opts.exports = args.values("export")
    opts.export_if_defined = args.values("export-if-defined")
    opts.trace_symbols = args.values("trace-symbol")
    opts.rpath = args.values("rpath")
    opts.allow_undefined_file = args.value("allow-undefined-file")


def _set_configs(opts: LinkOptions) -> None:
    """lld's setConfigs: the defaults that depend on other options."""
    opts.is_pic = opts.pie or opts.shared
    if opts.is_pic:
        if opts.export_table:
            raise UsageError("-shared/-pie is incompatible with --export-table")
        opts.import_table = True
    elif not opts.table_base:
        opts.table_base = 1         # 0 is the null function pointer
    if opts.relocatable:
        if opts.export_table:
            raise UsageError("--relocatable is incompatible with --export-table")
        if opts.growable_table:
            raise UsageError("--relocatable is incompatible with --growable-table")
        opts.import_table = True
    if opts.shared:
        if opts.export_memory_name is not None:
            raise UsageError("--export-memory is incompatible with --shared")
        opts.import_memory = True
    if opts.export_memory_name is None and not opts.import_memory:
        opts.export_memory_name = "memory"


def _check_options(args: _Args, opts: LinkOptions) -> None:
    """lld's checkOptions: combinations it refuses, and the warnings it gives."""
    if not opts.strip_debug and not opts.strip_all and opts.compress_relocations:
        raise UsageError("--compress-relocations is incompatible with output debug information."
                         " Please pass --strip-debug or --strip-all")
    if opts.compress_relocations and not opts.relocatable:
        # not implemented yet: say so rather than pretend (the output stays valid, only larger)
        opts.warnings.append("--compress-relocations is not supported by wasmlink yet: "
                             "relocated fields keep their padded width")
    if opts.pie and opts.shared:
        raise UsageError("-shared and -pie may not be used together")
    if not opts.output:
        raise UsageError("no output file specified")
    if opts.import_table and opts.export_table:
        raise UsageError("--import-table and --export-table may not be used together")
    if opts.relocatable:
        if opts.entry:
            raise UsageError("entry point specified for relocatable output file")
        if opts.gc_sections:
            raise UsageError("-r and --gc-sections may not be used together")
        if opts.compress_relocations:
            raise UsageError("-r -and --compress-relocations may not be used together")
        if args.has("undefined"):
            raise UsageError("-r -and --undefined may not be used together")
        if opts.pie:
            raise UsageError("-r and -pie may not be used together")
        if opts.shared_memory:
            raise UsageError("-r and --shared-memory may not be used together")
        if opts.global_base:
            raise UsageError("-r and --global-base may not by used together")
    if not opts.experimental_pic:
        if opts.shared:
            opts.warnings.append("creating shared libraries, with -shared, is not yet stable")
        if opts.pie:
            opts.warnings.append("creating PIEs, with -pie, is not yet stable")
        if opts.unresolved_symbols == "import-dynamic":
            opts.warnings.append("dynamic imports are not yet stable "
                                 "(--unresolved-symbols=import-dynamic)")
    if opts.bsymbolic and not opts.shared:
        opts.warnings.append("-Bsymbolic is only meaningful when combined with -shared")
    if opts.is_pic:
        if opts.global_base:
            raise UsageError("--global-base may not be used with -shared/-pie")
        if opts.table_base:
            raise UsageError("--table-base may not be used with -shared/-pie")


def _search_library(name: str, search_paths: list[str], is_static: bool) -> str | None:
    """lld's searchLibrary: -l:FILE as named, else libNAME.so (unless static), libNAME.a."""
    if name.startswith(":"):
        for directory in search_paths:
            path = _path_append(directory, name[1:])
            if os.path.exists(path):
                return path
        return None
    for directory in search_paths:
        if not is_static:
            path = _path_append(directory, f"lib{name}.so")
            if os.path.exists(path):
                return path
        path = _path_append(directory, f"lib{name}.a")
        if os.path.exists(path):
            return path
    return None


def _create_inputs(args: _Args, opts: LinkOptions) -> list[Input]:
    """lld's createFiles: the inputs in order, each with the positional state at its place."""
    inputs = []
    whole_archive = in_lib = False
    is_static = not opts.is_pic         # -Bdynamic by default with -shared or -pie
    for key, value, _text, _sep in args.scanned:
        if key is None:
            inputs.append(Input(value, "file", whole_archive, in_lib, is_static))
        elif key == "l":
            path = _search_library(value, opts.search_paths, is_static)
            if path is None:
                raise UsageError(f"unable to find library -l{value}")
            inputs.append(Input(path, "library", whole_archive, in_lib, is_static))
        elif key == "Bstatic":
            is_static = True
        elif key == "Bdynamic":
            is_static = opts.relocatable    # -r implies -Bstatic, and wins
        elif key == "whole-archive":
            whole_archive = True
        elif key == "no-whole-archive":
            whole_archive = False
        elif key == "start-lib":
            if in_lib:
                raise UsageError("nested --start-lib")
            in_lib = True
        elif key == "end-lib":
            if not in_lib:
                raise UsageError("stray --end-lib")
            in_lib = False
    if not inputs:
        raise UsageError("no input files")
    return inputs


def read_symbol_list(path: str) -> list[str]:
    """lld's getLines: one name a line, trimmed; blank lines and lines starting '#' skipped."""
    try:
        text = _read_text(path)
    except OSError as e:
        raise UsageError(f"cannot open {path}: {os.strerror(e.errno)}") from None
    names = []
    for line in text.split("\n"):
        line = line.strip(" \t\n\v\f\r")
        if line and line[0] != "#":
            names.append(line)
    return names


def _rsp_quoting(argv: list[str]) -> str:
    value = None
    for key, v, _text, _sep in scan_args(argv, strict=False):
        if key == "rsp-quoting":
            value = v
    if value is None:
        return "posix"
    if value not in ("posix", "windows"):
        raise UsageError(f"invalid response file quoting: {value}")
    return value


def parse_args(argv: list[str]) -> tuple[LinkOptions, list[Input]]:
    """Parse a wasm-ld command line (without the program name) as wasm-ld-22 does.

    Returns the options and the inputs in command-line order. With --help, --version, or -v
    and no input file, ``exit_early`` is set and the inputs are not looked at (the list is
    empty). Raises UsageError with lld's wording on the first error."""
    opts = LinkOptions()
    if any(a.startswith("@") for a in argv):
        argv = expand_response_files(argv, _rsp_quoting(argv))
    else:
        argv = list(argv)
    opts.args = argv
    args = _Args(scan_args(argv))
    for key, value, text, separate in args.scanned:
        if key == IGNORED:
            opts.ignored.append(f"{text} {value}" if separate else text)
        elif key == GNU_HABIT:
            opts.warnings.append(f"ignoring {text}: GNU ld option with no effect for wasm")
    opts.error_limit = args.integer("error-limit", 20) & _U64
    opts.fatal_warnings = args.flag("fatal-warnings", "no-fatal-warnings", False)
    color = args.get_last("color-diagnostics", "no-color-diagnostics", "color-diagnostics=")
    if color is not None:
        if color[0] == "color-diagnostics":
            opts.color_diagnostics = "always"
        elif color[0] == "no-color-diagnostics":
            opts.color_diagnostics = "never"
        elif color[1] in ("auto", "always", "never"):
            opts.color_diagnostics = color[1]
        else:
            raise UsageError(f"unknown option: --color-diagnostics={color[1]}")
    if args.has("help"):
        opts.help = opts.exit_early = True
        return opts, []
    opts.version_requested = args.has("v") or args.has("version")
    _read_configs(args, opts)
    _set_configs(opts)
    if args.has("version") or (args.has("v") and not any(k is None for k, *_ in args.scanned)):
        opts.exit_early = True
        return opts, []
    inputs = _create_inputs(args, opts)
    _check_options(args, opts)
    if opts.allow_undefined_file is not None:
        opts.allow_undefined_symbols = set(read_symbol_list(opts.allow_undefined_file))
    return opts, inputs
