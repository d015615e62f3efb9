"""`wasmlink ld`'s command line (wasmlink.ld.options), checked against wasm-ld-22 itself.

Where wasm-ld shows what it parsed (its error text, its --verbose "Loading:" lines, the memory
and stack layout of what it links), the same command line goes through both and the results are
compared; the rest states lld's documented semantics exactly.
"""
from __future__ import annotations

import re
import shlex
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CLANG, LLVM_BIN, SYSROOT, WASM_LD, WASI_LIB, run
from wasmlink import __version__
from wasmlink.errors import UsageError
from wasmlink.ld.options import (LLD_VERSION, OPTION_TABLE, Input, LinkOptions, parse_args,
                                 help_text, scan_args, tokenize_gnu, tokenize_windows,
                                 version_line)

WASM_OBJDUMP = "wasm-objdump"


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    """Relative paths (outputs, response files, libraries) of each test live in its tmp_path."""
    monkeypatch.chdir(tmp_path)


def parse(*argv):
    return parse_args(list(argv))


def options(*argv) -> LinkOptions:
    """The options of a command line that has an input and an output."""
    return parse_args([*argv, "x.o", "-o", "out.wasm"])[0]


def usage_error(*argv) -> str:
    with pytest.raises(UsageError) as info:
        parse_args(list(argv))
    return str(info.value)


def wasm_ld(*argv, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([WASM_LD, *map(str, argv)], capture_output=True, text=True, cwd=cwd,
                          stdin=subprocess.DEVNULL)


def lld_errors(proc) -> list[str]:
    return re.findall(r"^\S*wasm-ld\S*: error: (.*)$", proc.stderr, re.M)


def lld_error(proc) -> str:
    """wasm-ld's first error (it goes on to report the inputs it cannot open)."""
    return lld_errors(proc)[0]


@pytest.fixture(scope="module")
def objects(toolchain):
    """x.o (no _start), d.o (16 bytes of data and an exported function), a PIC f.o."""
    return {
        "x": toolchain.compile("opt_x.o", "int helper(void) { return 7; }\n"),
        "d": toolchain.compile("opt_d.o", "int data[4] = {1, 2, 3, 4};\n"
                                          "int *get(void) { return data; }\n", "-O1"),
        "f": toolchain.compile("opt_f.o", "int f(void) { return 1; }\n", "-fPIC"),
    }


def objdump(path) -> str:
    return run([WASM_OBJDUMP, "-x", path]).stdout


# -- version and unknown options -------------------------------------------------------------

def test_version_line_has_the_lld_version_build_systems_look_for():
    real = wasm_ld("--version").stdout.strip()
    assert real.endswith(f"LLD {LLD_VERSION}"), f"wasm-ld-22 is now {real!r}: re-check options"
    ours = version_line()
    assert ours == f"LLD {LLD_VERSION} (wasmlink {__version__})"
    cmake = re.search(r"LLD ([0-9.]+)", ours)             # CMakeDetermineLinkerId
    assert cmake and cmake.group(1) == re.search(r"LLD ([0-9.]+)", real).group(1)
    meson = re.search(r"(?<![\d.])(\d{1,2}(\.\d+)+)", ours)   # Meson's search_version
    assert meson.group(1) == LLD_VERSION
    assert "GNU" not in real and "GNU" not in ours         # libtool: not GNU ld


@pytest.mark.parametrize("arg", ["--foo", "-foo", "--foo=bar", "--", "--export-memor",
                                 "--sysroot=/usr", "--no-shared-memory", "--stack-size=8192",
                                 "--output=a.wasm", "--no-experimental-pic", "---shared"])
def test_unknown_argument_is_lld_s_error(arg):
    (theirs,) = lld_errors(wasm_ld(arg))
    assert theirs == f"unknown argument: {arg}"
    assert usage_error(arg, "x.o", "-o", "a.wasm") == theirs


def test_missing_value_is_lld_s_error():
    assert lld_error(wasm_ld("x.o", "-o")) == "-o: missing argument"
    assert usage_error("x.o", "-o") == "-o: missing argument"
    assert usage_error("x.o", "--export") == "--export: missing argument"


def _names_to_probe():
    help_text = wasm_ld("--help").stdout
    names = set(re.findall(r"^\s+--?([A-Za-z][A-Za-z0-9_-]*)", help_text, re.M))
    names |= {name.rstrip("=") for _, name, _, _ in OPTION_TABLE}
    names |= {"sysroot", "no-shared-memory", "stack-size", "no-export-memory", "output",
              "time-trace", "no-undefined", "export-dynamic-symbol", "Bshareable"}
    return sorted(names)


def _classify(run_one, form):
    try:
        message = run_one(form)
    except UsageError as e:
        message = str(e)
    if "unknown argument" in message:
        return "unknown"
    return "missing" if "missing argument" in message else "ok"


def test_every_spelling_is_accepted_or_refused_as_wasm_ld_22_does(tmp_path):
    """Each option name (wasm-ld-22 --help's and our table's) in five spellings, alone on the
    command line: wasm-ld-22 and we agree on unknown / missing value / accepted, except for
    the GNU habits we accept on purpose. This pins which dashes each option takes, whether it
    is a flag, joined or separate, and OptTable's longest-prefix matching (-export-all is -e).
    Run in tmp_path: --reproduce=X writes its tar file X before anything else."""
    forms = [f for n in _names_to_probe()
             for f in (f"-{n}", f"--{n}", f"-{n}=X", f"--{n}=X", f"-{n}X")]
    with ThreadPoolExecutor(8) as pool:
        theirs = dict(zip(forms, pool.map(
            lambda f: _classify(lambda a: wasm_ld(a, cwd=tmp_path).stderr, f), forms)))
    ours = {f: _classify(lambda a: scan_args([a]) and "", f) for f in forms}
    differ = {f for f in forms if theirs[f] != ours[f]}
    assert differ == {"--Bsymbolic-functions", "--as-needed", "--disable-new-dtags",
                      "--eh-frame-hdr", "--enable-new-dtags", "--end-group", "--hash-style=X",
                      "--no-as-needed", "--sort-common", "--start-group", "-(", "-)",
                      "-Bsymbolic-functions"}
    assert all(theirs[f] == "unknown" and ours[f] == "ok" for f in differ)


def test_single_dash_long_option_matches_the_longest_name_as_wasm_ld_does(objects):
    # export-all takes "--" only, so "-export-all" is "-e xport-all", in both.
    proc = wasm_ld("-export-all", objects["x"], "-o", objects["x"].with_suffix(".wasm"))
    assert lld_errors(proc) == ["entry symbol not defined (pass --no-entry to suppress): "
                                "xport-all"]
    assert options("-export-all").entry == "xport-all"
    assert options("-export-all").export_all is False


# -- defaults ------------------------------------------------------------------------------

def test_defaults_are_wasm_ld_22_s():
    opts = options()
    assert (opts.stack_first, opts.entry, opts.export_memory_name, opts.import_memory) == \
        (True, "_start", "memory", False)
    assert (opts.gc_sections, opts.merge_data_segments, opts.check_features, opts.demangle) == \
        (True, True, True, True)
    assert (opts.table_base, opts.global_base, opts.stack_size, opts.page_size) == \
        (1, None, 65536, 65536)
    assert (opts.optimize, opts.error_limit, opts.unresolved_symbols, opts.build_id) == \
        (1, 20, "report-all", "none")
    assert (opts.export_dynamic, opts.import_table, opts.is64, opts.color_diagnostics) == \
        (False, False, None, "auto")
    assert (opts.output, opts.map_file, opts.features, opts.warnings, opts.ignored) == \
        ("out.wasm", None, None, [], [])


def _stack_pointer_and_data(dump: str) -> tuple[int, int]:
    sp = int(re.search(r"<__stack_pointer> - init i32=(\d+)", dump).group(1))
    data = int(re.search(r"segment\[0\] <\.data> .* - init i32=(\d+)", dump).group(1))
    return sp, data


def test_stack_first_is_the_default_as_wasm_ld_22_links(objects, tmp_path):
    out = tmp_path / "d.wasm"
    run([WASM_LD, "--no-entry", "--export=get", objects["d"], "-o", out])
    sp, data = _stack_pointer_and_data(objdump(out))
    opts = options()
    assert opts.stack_first and sp == data == opts.stack_size == 65536
    run([WASM_LD, "--no-entry", "--export=get", "--no-stack-first", objects["d"], "-o", out])
    sp, data = _stack_pointer_and_data(objdump(out))
    assert (data, sp) == (1024, 1024 + 16 + 65536)
    opts = options("--no-stack-first")
    assert opts.stack_first is False and opts.global_base is None   # the layout's 1024


def test_later_stack_first_flag_wins():
    assert options("--no-stack-first", "--stack-first").stack_first is True
    assert options("-stack-first", "-no-stack-first").stack_first is False


def _memory_of(dump: str) -> tuple[str | None, str | None]:
    imported = re.search(r"- memory\[0\] pages: .*<- (.*)$", dump, re.M)
    exported = re.search(r'- memory\[0\] -> "(.*)"$', dump, re.M)
    return (imported.group(1) if imported else None, exported.group(1) if exported else None)


@pytest.mark.parametrize("flags", [
    [], ["--import-memory"], ["--import-memory", "--export-memory"], ["--export-memory=mem"],
    ["--import-memory=foo"], ["--import-memory=a,b,c"], ["--import-memory=a,"],
    ["--import-memory=x,y", "--import-memory"], ["--export-memory=m2", "--export-memory"],
])
def test_memory_import_and_export_as_wasm_ld_22_links(objects, tmp_path, flags):
    out = tmp_path / "m.wasm"
    run([WASM_LD, "--no-entry", *flags, objects["x"], "-o", out])
    opts = options(*flags)
    ours = (f"{opts.import_memory_module}.{opts.import_memory_name}" if opts.import_memory
            else None, opts.export_memory_name)
    assert ours == _memory_of(objdump(out))


def test_entry_defaults_follow_shared_and_relocatable(objects):
    proc = wasm_ld(objects["x"], "-o", objects["x"].with_suffix(".wasm"))
    assert lld_errors(proc) == ["entry symbol not defined (pass --no-entry to suppress): _start"]
    assert options().entry == "_start"
    assert options("-shared").entry == "__wasm_call_ctors"
    assert options("-r", "--no-gc-sections").entry is None
    assert options("--no-entry").entry is None
    assert options("--no-entry", "--entry=main").entry == "main"
    assert options("-e", "main", "--no-entry").entry is None
    assert options("-emain").entry == "main"
    assert options("--entry", "main").entry == "main"
    assert options("--entry=").entry is None


def test_shared_defaults(objects):
    opts = options("-shared")
    assert (opts.import_memory, opts.export_memory_name, opts.export_dynamic) == \
        (True, None, True)
    assert (opts.is_pic, opts.import_table, opts.table_base) == (True, True, 0)
    assert opts.warnings == ["creating shared libraries, with -shared, is not yet stable"]
    proc = wasm_ld("-shared", objects["f"], "-o", objects["f"].with_suffix(".so"))
    assert "warning: creating shared libraries, with -shared, is not yet stable" in proc.stderr
    assert options("-shared", "--experimental-pic").warnings == []
    assert options("-shared", "--no-export-dynamic").export_dynamic is False


def test_pie_is_pic_with_table_imported():
    opts = options("-pie", "--experimental-pic")
    assert (opts.pie, opts.is_pic, opts.import_table, opts.table_base, opts.warnings) == \
        (True, True, True, 0, [])
    assert options("-pie", "--no-pie").pie is False
    assert options("--pie").warnings == ["creating PIEs, with -pie, is not yet stable"]


def test_relocatable_turns_off_gc_and_merging():
    opts = options("-r")
    assert (opts.relocatable, opts.gc_sections, opts.merge_data_segments, opts.import_table) \
        == (True, False, False, True)
    assert options("--relocatable").relocatable is True


# -- output, target, -z ------------------------------------------------------------------------

def test_output_forms():
    assert parse("x.o", "-o", "a.wasm")[0].output == "a.wasm"
    assert parse("x.o", "-oa.wasm")[0].output == "a.wasm"
    assert parse("x.o", "-o=a.wasm")[0].output == "=a.wasm"     # joined: the value is "=a.wasm"
    assert parse("x.o", "-o", "a", "-o", "b")[0].output == "b"
    assert usage_error("x.o") == "no output file specified"
    assert usage_error("x.o", "-o", "") == "no output file specified"


def test_target_machine():
    assert options("-m", "wasm32").is64 is False
    assert options("-mwasm64").is64 is True
    assert usage_error("-m", "wasm16", "x.o", "-o", "a") == "invalid target architecture: wasm16"
    assert lld_error(wasm_ld("-m", "wasm16", "x.o")) == "invalid target architecture: wasm16"


def test_z_stack_size_reads_numbers_as_lld_does():
    assert options("-z", "stack-size=8192").stack_size == 8192
    assert options("-zstack-size=0x10000").stack_size == 65536
    assert options("-z", "stack-size=010").stack_size == 8               # auto radix: octal
    assert options("-z", "stack-size=16", "-z", "stack-size=32").stack_size == 32
    assert usage_error("-z", "stack-size=abc", "x.o", "-o", "a") == "invalid stack-size: abc"
    assert lld_error(wasm_ld("-z", "stack-size=abc", "x.o", "-o", "a")) == \
        "invalid stack-size: abc"
    assert usage_error("-z", "stack-size=-16", "x.o", "-o", "a") == "invalid stack-size: -16"


def test_unknown_z_keyword_is_lld_s_warning(objects):
    proc = wasm_ld("-z", "relro", "-z", "now", "--no-entry", objects["x"], "-o",
                   objects["x"].with_suffix(".wasm"))
    name = Path(WASM_LD).name
    assert proc.stderr.splitlines() == [f"{name}: warning: unknown -z value: relro",
                                        f"{name}: warning: unknown -z value: now"]
    assert options("-z", "relro", "-z", "now").warnings == ["unknown -z value: relro",
                                                           "unknown -z value: now"]


def test_z_muldefs_allows_multiple_definitions():
    assert options("-z", "muldefs").allow_multiple_definition is True
    assert options("-z", "muldefs").warnings == []
    assert options("--allow-multiple-definition").allow_multiple_definition is True
    assert options("--allow-multiple-definition",
                   "--no-allow-multiple-definition").allow_multiple_definition is False


# -- symbols ---------------------------------------------------------------------------------

def test_undefined_forms_in_order():
    assert options("-u", "a", "-ub", "--undefined=c", "--undefined", "d", "-undefined=e"
                   ).undefined == ["a", "b", "c", "d", "e"]


def test_wrap_keeps_the_first_of_each():
    assert options("--wrap=malloc", "-wrap", "free", "--wrap=malloc").wrap == ["malloc", "free"]


def test_exports():
    opts = options("--export=a", "--export", "b", "--export-if-defined=c", "-export-if-defined",
                   "d", "--export-all", "-E")
    assert (opts.exports, opts.export_if_defined) == (["a", "b"], ["c", "d"])
    assert (opts.export_all, opts.export_dynamic) == (True, True)
    assert options("--export-dynamic", "--no-export-dynamic").export_dynamic is False


def test_allow_undefined_imports_and_ignores_whatever_the_order():
    opts = options("--allow-undefined", "--unresolved-symbols=report-all")
    assert (opts.allow_undefined, opts.import_undefined, opts.unresolved_symbols) == \
        (True, True, "ignore-all")
    opts = options("--import-undefined")
    assert (opts.allow_undefined, opts.import_undefined, opts.unresolved_symbols) == \
        (False, True, "report-all")


@pytest.mark.parametrize("flags, policy", [
    (["--unresolved-symbols=ignore-all"], "ignore-all"),
    (["--unresolved-symbols", "report-all"], "report-all"),
    (["--warn-unresolved-symbols"], "warn"),
    (["--warn-unresolved-symbols", "--unresolved-symbols=report-all"], "warn"),
    (["--warn-unresolved-symbols", "--error-unresolved-symbols"], "report-all"),
    (["--unresolved-symbols=import-dynamic", "--experimental-pic"], "import-dynamic"),
])
def test_unresolved_symbols_policy(flags, policy):
    assert options(*flags).unresolved_symbols == policy


def test_unknown_unresolved_symbols_value():
    message = "unknown --unresolved-symbols value: bogus"
    assert usage_error("--unresolved-symbols=bogus", "x.o", "-o", "a") == message
    assert lld_error(wasm_ld("--unresolved-symbols=bogus", "x.o", "-o", "a")) == message


def test_import_dynamic_warns_without_experimental_pic():
    assert options("--unresolved-symbols=import-dynamic").warnings == [
        "dynamic imports are not yet stable (--unresolved-symbols=import-dynamic)"]


def test_allow_undefined_file_is_read_as_lld_reads_it(tmp_path):
    listing = tmp_path / "syms.txt"
    listing.write_text("# imported from the host\nfoo\n\n  bar\t\n   # indented comment\n"
                       "baz # not a comment\r\n")
    opts = options(f"--allow-undefined-file={listing}")
    assert opts.allow_undefined_file == str(listing)
    assert opts.allow_undefined_symbols == {"foo", "bar", "baz # not a comment"}


def test_only_the_last_allow_undefined_file_counts(tmp_path):
    (tmp_path / "a.txt").write_text("a\n")
    (tmp_path / "b.txt").write_text("b\n")
    opts = options(f"--allow-undefined-file={tmp_path / 'a.txt'}", "-allow-undefined-file",
                   str(tmp_path / "b.txt"))
    assert opts.allow_undefined_symbols == {"b"}


def test_missing_allow_undefined_file_is_lld_s_error(objects, tmp_path):
    proc = wasm_ld("--allow-undefined-file=missing.txt", "--no-entry", objects["x"], "-o",
                   tmp_path / "o.wasm", cwd=tmp_path)
    assert lld_errors(proc) == ["cannot open missing.txt: No such file or directory"]
    assert usage_error("--allow-undefined-file=missing.txt", "x.o", "-o", "a") == \
        "cannot open missing.txt: No such file or directory"


def test_trace_symbols():
    opts = options("-y", "a", "-yb", "--trace-symbol=c", "--trace", "-t")
    assert (opts.trace_symbols, opts.trace) == (["a", "b", "c"], True)


# -- memory, table, numbers ----------------------------------------------------------------

def test_memory_sizes_and_bases():
    opts = options("--initial-memory=131072", "--max-memory=262144", "--initial-heap=4096",
                   "--global-base=4096", "--table-base=8", "--shared-memory",
                   "--page-size=1")
    assert (opts.initial_memory, opts.max_memory, opts.initial_heap) == (131072, 262144, 4096)
    assert (opts.global_base, opts.table_base, opts.page_size) == (4096, 8, 1)
    assert opts.shared_memory is True
    assert options("--no-growable-memory").no_growable_memory is True


def test_global_base_zero_counts_as_not_given():
    assert options("--global-base=0").global_base is None
    assert options("--table-base=0").table_base == 1


@pytest.mark.parametrize("arg", ["--initial-memory=0x20000", "--global-base=+5",
                                 "--initial-memory=", "--table-base=1k", "--error-limit=x"])
def test_numbers_are_decimal_with_lld_s_error(arg):
    value = arg.partition("=")[2]
    message = f"{arg}: number expected, but got '{value}'"
    assert lld_error(wasm_ld(arg, "x.o", "-o", "a")) == message
    assert usage_error(arg, "x.o", "-o", "a") == message


def test_separate_number_error_names_the_option():
    assert lld_error(wasm_ld("-O", "x", "y.o")) == "-O: number expected, but got 'x'"
    assert usage_error("-O", "x", "y.o", "-o", "a") == "-O: number expected, but got 'x'"


def test_page_size_is_1_or_64k():
    assert usage_error("--page-size=3", "x.o", "-o", "a") == \
        "--page_size=N must be either 1 or 65536"


def test_table_flags():
    opts = options("--import-table", "--growable-table")
    assert (opts.import_table, opts.growable_table, opts.export_table) == (True, True, False)
    assert options("--export-table").export_table is True


# -- sections, output, features ------------------------------------------------------------

def test_gc_and_strip_flags():
    opts = options("--no-gc-sections", "--print-gc-sections", "-s", "-S",
                   "--keep-section=target_features", "--keep-section", "name",
                   "--no-merge-data-segments", "--emit-relocs")
    assert (opts.gc_sections, opts.print_gc_sections, opts.strip_all, opts.strip_debug) == \
        (False, True, True, True)
    assert (opts.keep_sections, opts.merge_data_segments, opts.emit_relocs) == \
        ({"target_features", "name"}, False, True)
    opts = options("--strip-all", "--strip-debug", "--gc-sections", "--compress-relocations")
    assert (opts.strip_all, opts.strip_debug, opts.gc_sections, opts.compress_relocations) == \
        (True, True, True, True)


def test_map_file_forms():
    assert options("--Map=a.map").map_file == "a.map"
    assert options("-Map", "b.map").map_file == "b.map"
    assert options("-Map=c.map").map_file == "c.map"
    assert options("--print-map", "--Map=a.map").map_file == "-"
    assert options("-M").map_file == "-"


@pytest.mark.parametrize("arg, style, data", [
    ("--build-id", "fast", b""), ("--build-id=fast", "fast", b""),
    ("--build-id=sha1", "sha1", b""), ("--build-id=tree", "sha1", b""),
    ("--build-id=uuid", "uuid", b""), ("--build-id=none", "none", b""),
    ("-build-id=0xdeadBEEF", "hexstring", b"\xde\xad\xbe\xef"),
    ("--build-id=0x123", "hexstring", b"\x12\x03"),
])
def test_build_id_styles(arg, style, data):
    opts = options(arg)
    assert (opts.build_id, opts.build_id_bytes) == (style, data)


@pytest.mark.parametrize("arg, message", [("--build-id=bogus", "unknown --build-id style: bogus"),
                                          ("--build-id=0xZZ", "not a hexadecimal value: ZZ")])
def test_bad_build_id_is_lld_s_error(arg, message):
    assert lld_error(wasm_ld(arg, "x.o", "-o", "a")) == message
    assert usage_error(arg, "x.o", "-o", "a") == message


def test_optimization_level():
    assert options("-O0").optimize == 0
    assert options("-O", "3").optimize == 3
    assert options("-O4").optimize == 4          # accepted, as wasm-ld does
    assert usage_error("-Ofast", "x.o", "-o", "a") == "-Ofast: number expected, but got 'fast'"


def test_features_are_comma_joined_without_empty_items():
    opts = options("--features=atomics,,bulk-memory,", "-extra-features=simd128")
    assert (opts.features, opts.extra_features) == (["atomics", "bulk-memory"], ["simd128"])
    assert options("--features=").features == []
    assert options("--no-check-features").check_features is False
    assert options("--no-check-features", "--check-features").check_features is True


def test_color_diagnostics():
    assert options("--color-diagnostics").color_diagnostics == "always"
    assert options("--color-diagnostics", "--no-color-diagnostics").color_diagnostics == "never"
    assert options("-color-diagnostics=auto").color_diagnostics == "auto"
    assert usage_error("--color-diagnostics=bogus", "x.o", "-o", "a") == \
        "unknown option: --color-diagnostics=bogus"


def test_diagnostic_flags():
    opts = options("--fatal-warnings", "--error-limit=0", "--verbose", "--no-demangle",
                   "--why-extract=why.txt", "--soname=libx", "-rpath", "/a", "--rpath=/b",
                   "-Bsymbolic", "--shared", "--no-shlib-sigcheck", "--noinhibit-exec")
    assert (opts.fatal_warnings, opts.error_limit, opts.verbose, opts.demangle) == \
        (True, 0, True, False)
    assert (opts.why_extract, opts.soname, opts.rpath) == ("why.txt", "libx", ["/a", "/b"])
    assert (opts.bsymbolic, opts.shlib_sigcheck, opts.noinhibit_exec) == (True, False, True)
    assert options("--fatal-warnings", "--no-fatal-warnings").fatal_warnings is False
    assert options("-error-limit", "5").error_limit == 20     # --error-limit takes "--" only...
    assert options("--error-limit", "5").error_limit == 5


def test_bsymbolic_without_shared_warns():
    assert options("-Bsymbolic").warnings == [
        "-Bsymbolic is only meaningful when combined with -shared"]


def test_wasm_ld_tuning_options_are_recorded_as_ignored():
    opts = options("--threads=4", "-threads", "2", "--lto-O2", "--lto-CGO1", "-mllvm", "-foo",
                   "--mllvm=-bar", "--save-temps", "--thinlto-jobs=2", "--thinlto-cache-dir=c",
                   "--lto-partitions=2", "--disable-verify", "--thinlto-cache-policy", "p")
    assert opts.ignored == ["--threads=4", "-threads 2", "--lto-O2", "--lto-CGO1", "-mllvm -foo",
                            "--mllvm=-bar", "--save-temps", "--thinlto-jobs=2",
                            "--thinlto-cache-dir=c", "--lto-partitions=2", "--disable-verify",
                            "--thinlto-cache-policy p"]
    assert opts.warnings == []


def test_gnu_habits_are_accepted_with_a_warning():
    opts, inputs = parse("--start-group", "-(", "a.o", "-)", "--end-group", "--as-needed",
                         "--no-as-needed", "--eh-frame-hdr", "--hash-style=gnu",
                         "-Bsymbolic-functions", "-o", "a.wasm")
    assert opts.warnings == [f"ignoring {flag}: GNU ld option with no effect for wasm" for flag in
                             ("--start-group", "-(", "-)", "--end-group", "--as-needed",
                              "--no-as-needed", "--eh-frame-hdr", "--hash-style=gnu",
                              "-Bsymbolic-functions")]
    assert inputs == [Input("a.o")]


# -- combinations lld refuses ------------------------------------------------------------------

@pytest.mark.parametrize("flags, message", [
    (["-shared", "-pie"], "-shared and -pie may not be used together"),
    (["-shared", "--export-memory"], "--export-memory is incompatible with --shared"),
    (["--import-table", "--export-table"],
     "--import-table and --export-table may not be used together"),
    (["-shared", "--export-table"], "-shared/-pie is incompatible with --export-table"),
    (["-r", "--gc-sections"], "-r and --gc-sections may not be used together"),
    (["-r", "-u", "foo"], "-r -and --undefined may not be used together"),
    (["-r", "--entry=foo"], "entry point specified for relocatable output file"),
    (["-r", "--global-base=8"], "-r and --global-base may not by used together"),
    (["-r", "--growable-table"], "--relocatable is incompatible with --growable-table"),
    (["-shared", "--global-base=8"], "--global-base may not be used with -shared/-pie"),
    (["-shared", "--table-base=8"], "--table-base may not be used with -shared/-pie"),
    (["--compress-relocations"], "--compress-relocations is incompatible with output debug "
                                 "information. Please pass --strip-debug or --strip-all"),
    (["--max-memory=131072", "--no-growable-memory"],
     "--max-memory is incompatible with --no-growable-memory"),
    (["--start-lib", "--start-lib"], "nested --start-lib"),
    (["--end-lib"], "stray --end-lib"),
])
def test_refused_combinations_are_lld_s_errors(objects, tmp_path, flags, message):
    argv = ["--no-entry", *flags, str(objects["x"]), "-o", str(tmp_path / "o.wasm")]
    assert message in lld_errors(wasm_ld(*argv))
    assert usage_error(*argv) == message


def test_no_input_files():
    assert lld_errors(wasm_ld("--no-entry")) == ["no input files"]
    assert usage_error("--no-entry", "-o", "a") == "no input files"


# -- help and version ------------------------------------------------------------------------

def test_help_needs_no_inputs():
    opts, inputs = parse("--help")
    assert (opts.help, opts.exit_early, inputs) == (True, True, [])


def test_help_lists_every_option_of_wasm_ld_22_s_help():
    theirs = set(re.findall(r"^  (--?[A-Za-z][A-Za-z0-9_-]*=?)", wasm_ld("--help").stdout, re.M))
    ours = set(re.findall(r"^  (--?[A-Za-z][A-Za-z0-9_-]*=?)", help_text(), re.M))
    assert theirs - ours == set()


def test_version_exits_without_looking_at_inputs():
    opts, inputs = parse("--version", "-lnosuchlib")
    assert (opts.version_requested, opts.exit_early, inputs) == (True, True, [])


def test_dash_v_links_when_there_are_files():
    opts, inputs = parse("-v", "x.o", "-o", "a.wasm")
    assert (opts.version_requested, opts.exit_early, inputs) == (True, False, [Input("x.o")])
    opts, inputs = parse("-V", "-lc")                 # -l is not a file: lld stops here too
    assert (opts.version_requested, opts.exit_early, inputs) == (True, True, [])


# -- inputs ----------------------------------------------------------------------------------

def test_positional_state_applies_to_each_input():
    _, inputs = parse("a.o", "--whole-archive", "b.a", "--no-whole-archive", "c.a",
                      "--start-lib", "d.o", "-whole-archive", "e.o", "--end-lib", "f.o",
                      "-o", "out.wasm")
    assert inputs == [Input("a.o"), Input("b.a", whole_archive=True), Input("c.a"),
                      Input("d.o", lazy=True), Input("e.o", whole_archive=True, lazy=True),
                      Input("f.o", whole_archive=True)]


def test_missing_files_and_stdin_are_recorded_for_the_reader():
    _, inputs = parse("missing.o", "-", "@missing.rsp", "-o", "a.wasm")
    assert [i.path for i in inputs] == ["missing.o", "-", "@missing.rsp"]


@pytest.fixture(scope="module")
def libdirs(objects, tmp_path_factory):
    """one/libf.a; two/libf.a and two/libf.so; three/libf.so (a real wasm-ld-22 -shared)."""
    root = tmp_path_factory.mktemp("libs")
    for name in ("one", "two", "three"):
        (root / name).mkdir()
    for name in ("one", "two"):
        run([LLVM_BIN / "llvm-ar", "rc", root / name / "libf.a", objects["f"]])
    for name in ("two", "three"):
        run([WASM_LD, "--experimental-pic", "-shared", objects["f"], "-o", root / name / "libf.so"])
    return root


@pytest.mark.parametrize("flags", [
    ["-Ltwo", "-lf"],
    ["-lf", "-Ltwo"],                                  # -L applies wherever it is
    ["--Bdynamic", "-Ltwo", "-lf"],
    ["--experimental-pic", "-pie", "-Ltwo", "-lf"],
    ["--experimental-pic", "-pie", "-Bstatic", "-Ltwo", "-lf"],
    ["-lf", "-Bstatic", "--experimental-pic", "-pie", "-Ltwo", "-lf"],
    ["-Bdynamic", "-Lone", "-Ltwo", "-lf"],           # each directory: .so, then .a
    ["-Bdynamic", "-Lthree", "-Lone", "-lf"],
    ["-Lone", "-Lthree", "-lf"],                      # static: .so never considered
    ["-Ltwo", "-l:libf.a", "--library=f", "--library-path=one", "-library", "f"],
])
def test_library_search_as_wasm_ld_22_loads(libdirs, objects, flags, monkeypatch):
    argv = ["--verbose", "--no-entry", str(objects["x"]), *flags, "-o", "out.wasm"]
    proc = wasm_ld(*argv, cwd=libdirs)
    theirs = re.findall(r"Loading: (.*)$", proc.stderr, re.M)[1:]
    monkeypatch.chdir(libdirs)
    _, inputs = parse_args(argv)
    assert [i.path for i in inputs[1:]] == theirs
    assert {i.kind for i in inputs[1:]} == {"library"}


def test_library_inputs_carry_the_static_state(libdirs, monkeypatch):
    monkeypatch.chdir(libdirs)
    _, inputs = parse("-Ltwo", "-lf", "-Bdynamic", "-lf", "--no-entry", "-o", "a.wasm")
    assert inputs == [Input("two/libf.a", "library"),
                      Input("two/libf.so", "library", is_static=False)]


def test_missing_library_is_lld_s_error(libdirs):
    for arg in ("-lnosuch", "-l:nosuch.a"):
        assert lld_errors(wasm_ld(arg, "-Lone", cwd=libdirs)) == [f"unable to find library {arg}"]
        assert usage_error(arg, "-Lone", "-o", "a") == f"unable to find library {arg}"


def test_library_name_is_searched_only_in_l_dirs(libdirs, monkeypatch):
    monkeypatch.chdir(libdirs / "one")            # libf.a is in the cwd, but no -L.
    assert usage_error("-lf", "-o", "a") == "unable to find library -lf"


# -- response files ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, tokens", [
    ("a b\tc\nd\r\ne", ["a", "b", "c", "d", "e"]),
    ("'a b' \"c d\"", ["a b", "c d"]),
    ("x'a b'y", ["xa by"]),
    ("a\\ b c\\\\d", ["a b", "c\\d"]),
    ("\"a\\\"b\" 'c\\'d'", ['a"b', "c'd"]),
    ("'' a \"\"", ["a"]),                         # empty tokens are dropped
    ("'unterminated", ["unterminated"]),
    ("trailing\\", ["trailing\\"]),
    ("a\\\nb", ["a\nb"]),                         # an escaped newline is kept
])
def test_gnu_tokenizer(text, tokens):
    assert tokenize_gnu(text) == tokens


def reference_tokenize_gnu(src: str) -> list[str]:
    """llvm::cl::TokenizeGNUCommandLine transcribed loop for loop: the oracle."""
    out, token, i, e = [], "", 0, len(src)
    while i != e:
        if not token:
            while i != e and src[i] in " \t\r\n":
                i += 1
            if i == e:
                break
        c = src[i]
        if i + 1 < e and c == "\\":
            i += 1
            token += src[i]
        elif c in "'\"":
            i += 1
            while i != e and src[i] != c:
                if src[i] == "\\" and i + 1 != e:
                    i += 1
                token += src[i]
                i += 1
            if i == e:
                break
        elif c in " \t\r\n":
            if token:
                out.append(token)
            token = ""
        else:
            token += c
        i += 1
    if token:
        out.append(token)
    return out


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="ab '\"\\\t\n\r", max_size=40))
def test_gnu_tokenizer_matches_llvm_s_loop(text):
    assert tokenize_gnu(text) == reference_tokenize_gnu(text)


@pytest.mark.parametrize("text, tokens", [
    ('a "b c" d', ["a", "b c", "d"]),
    (r'a\b c\\"d e"', [r"a\b", "c\\d e"]),
    (r'\"a', ['"a']),
    ('"a""b"', ['a"b']),
    ('""', [""]),
])
def test_windows_tokenizer(text, tokens):
    assert tokenize_windows(text) == tokens


def test_response_files_expand_recursively_relative_to_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "outer.rsp").write_text("-o 'out file.wasm' @inner.rsp b.o\n")
    (tmp_path / "inner.rsp").write_text("--no-entry a.o")
    (tmp_path / "sub" / "inner.rsp").write_text("--wrong-one")
    opts, inputs = parse("@sub/outer.rsp", "c.o")
    assert opts.args == ["-o", "out file.wasm", "--no-entry", "a.o", "b.o", "c.o"]
    assert (opts.output, opts.entry) == ("out file.wasm", None)
    assert [i.path for i in inputs] == ["a.o", "b.o", "c.o"]


def test_a_response_file_may_be_used_twice(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "u.rsp").write_text("-u f")
    assert options("@u.rsp", "@u.rsp").undefined == ["f", "f"]


def test_recursive_response_file_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r1").write_text("@r2")
    (tmp_path / "r2").write_text("a.o @r1")
    proc = wasm_ld("@r1", cwd=tmp_path)
    assert f"recursive expansion of: '{tmp_path}/r1'" in proc.stderr
    assert usage_error("@r1") == f"recursive expansion of: '{tmp_path}/r1'"


def test_response_file_quoting_as_wasm_ld_22_reads_it(tmp_path):
    cases = {"a.rsp": "'--fo o'", "b.rsp": "--ab\\ cd", "c.rsp": '"--x\\"y"',
             "d.rsp": "--no-entry\\\n"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        ours = usage_error(f"@{tmp_path / name}")
        assert wasm_ld(f"@{name}", cwd=tmp_path).stderr == \
            f"{Path(WASM_LD).name}: error: {ours}\n"


def test_windows_rsp_quoting(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w.rsp").write_text(r'-o "C:\out dir\a.wasm" a.o')
    assert parse("--rsp-quoting=windows", "@w.rsp")[0].output == r"C:\out dir\a.wasm"
    assert usage_error("--rsp-quoting=bad", "@w.rsp") == "invalid response file quoting: bad"


# -- clang's command lines ---------------------------------------------------------------------

def clang_link_line(tmp_path, *flags, driver=CLANG, source="int main(void) { return 0; }\n"):
    """The wasm-ld arguments clang-22 -### would run, exactly as it prints them."""
    src = tmp_path / ("x.cpp" if "++" in driver else "x.c")
    src.write_text(source)
    proc = run([driver, "--target=wasm32-wasi", f"--sysroot={SYSROOT}", "-Wno-deprecated",
                *flags, "-###", src], cwd=tmp_path)
    (line,) = [ln for ln in proc.stderr.splitlines() if "wasm-ld" in ln and "-cc1" not in ln]
    argv = shlex.split(line)
    assert Path(argv[0]).name.startswith("wasm-ld")
    return argv[1:]


def test_clang_s_command_line_parses(tmp_path):
    argv = clang_link_line(tmp_path)
    assert argv[:3] == ["-m", "wasm32", f"-L{WASI_LIB}"]
    opts, inputs = parse_args(argv)
    builtins = next(a for a in argv if "libclang_rt.builtins" in a)
    obj = next(a for a in argv if a.startswith("/tmp/") and a.endswith(".o"))
    assert inputs == [Input(f"{WASI_LIB}/crt1-command.o"), Input(obj),
                      Input(f"{WASI_LIB}/libc.a", "library"), Input(builtins)]
    assert (opts.output, opts.is64, opts.search_paths, opts.entry) == \
        ("a.out", False, [str(WASI_LIB)], "_start")
    assert (opts.warnings, opts.ignored) == ([], [])


def test_clang_s_reactor_and_cxx_command_lines_parse(tmp_path):
    opts, inputs = parse_args(clang_link_line(tmp_path, "-mexec-model=reactor"))
    assert (opts.entry, inputs[0].path) == ("_initialize", f"{WASI_LIB}/crt1-reactor.o")
    cxx = str(Path(CLANG).with_name(Path(CLANG).name.replace("clang", "clang++")))
    opts, inputs = parse_args(clang_link_line(tmp_path, driver=cxx))
    assert [i.path for i in inputs if i.kind == "library"] == \
        [f"{WASI_LIB}/libc++.a", f"{WASI_LIB}/libc++abi.a", f"{WASI_LIB}/libc.a"]


def test_clang_s_shared_and_gc_command_lines_parse(tmp_path):
    opts, _ = parse_args(clang_link_line(tmp_path, "-shared", "-fPIC"))
    assert (opts.shared, opts.entry, opts.import_memory) == (True, "_initialize", True)
    opts, _ = parse_args(clang_link_line(tmp_path, "-s", "-Wl,--gc-sections,--export=main"))
    assert (opts.strip_all, opts.gc_sections, opts.exports) == (True, True, ["main"])
