"""`wasmlink component link` on the libpython stack: whole-process wall time, peak RSS and
output size of linking the componentize-py wheel's libc.so, libwasi-emulated-*.so and
libpython3.14.so, the built-in libdl and the reactor adapter with a small C main library
(tests/components/dynlink/pyrun.c) into one component.

Beside it, the whole of `componentize-py componentize` on a hello app, which links the same
wheel's libraries with wasm-tools' linker among its other steps (it generates bindings, runs
CPython at build time to pre-initialise the app's heap with component-init, and serializes the
snapshot), so the ratio says what the link step costs inside a real Python build, not that the
two do the same work.

    python3 bench/component_link.py [--runs N]
"""
import argparse
import statistics
import subprocess
import sys
from pathlib import Path

from common import console_script, machine, process_times

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))
STACK = ["libc.so", "libwasi-emulated-signal.so", "libwasi-emulated-getpid.so",
         "libwasi-emulated-process-clocks.so", "libwasi-emulated-mman.so", "libpython3.14.so"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    from wheel_libs import componentize_py_libraries
    libs = componentize_py_libraries()
    work = Path.home() / ".cache" / "wasmlink-bench" / "component-link"
    work.mkdir(parents=True, exist_ok=True)
    wasmlink, ld = console_script("wasmlink"), console_script("wasmlink-ld")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    src = ROOT / "tests" / "components" / "dynlink"
    obj, plain, main_lib = work / "pyrun.o", work / "libpyrun-plain.so", work / "libpyrun.so"
    subprocess.run(["clang-22", "--target=wasm32-wasi", "--sysroot=/usr", "-Wno-deprecated",
                    "-O2", "-fPIC", "-fvisibility=default", "-c", str(src / "pyrun.c"), "-o",
                    str(obj)], check=True)
    subprocess.run([ld, "--experimental-pic", "-shared", "--unresolved-symbols=import-dynamic",
                    str(obj), "-o", str(plain)], check=True, capture_output=True)
    subprocess.run([wasmlink, "component", "embed", str(src / "pyrun.wit"), str(plain), "-o",
                    str(main_lib)], check=True)
    link = [wasmlink, "component", "link", *(str(libs[n]) for n in STACK), str(main_lib),
            "--use-built-in-libdl", "--adapt",
            f"wasi_snapshot_preview1={libs['wasi_snapshot_preview1.reactor.wasm']}"]
    app = work / "hello-app"
    (app / "wit").mkdir(parents=True, exist_ok=True)
    (app / "wit" / "hello.wit").write_text(
        "package bench:hello;\n\nworld hello {\n  export greet: func(name: string) -> string;\n}\n")
    (app / "app.py").write_text(
        "import wit_world\n\nclass WitWorld(wit_world.WitWorld):\n"
        "    def greet(self, name: str) -> str:\n        return f'hello, {name}'\n")
    componentize = ["componentize-py", "-q", "-d", str(app / "wit"), "-w", "hello",
                    "componentize", "-p", str(app), "app", "-o", str(work / "hello.wasm")]
    commands = {"link": [*link, "--skip-validation", "-o", str(work / "a.wasm")],
                "link + validation": [*link, "-o", str(work / "b.wasm")],
                "componentize-py componentize (hello app)": componentize}
    times = process_times(commands, args.runs)
    print(f"# wasmlink component link, libpython stack; {machine()}; medians of {args.runs}")
    for name, values in times.items():
        print(f"{name}: {statistics.median(values) * 1e3:.0f} ms, peak RSS "
              f"{process_times.peak_rss[name] / 2**20:.0f} MiB")
    print(f"output: {(work / 'a.wasm').stat().st_size} bytes; componentize-py's hello app: "
          f"{(work / 'hello.wasm').stat().st_size} bytes")


if __name__ == "__main__":
    main()
