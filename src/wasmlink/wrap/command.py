"""`wasmlink component new` as a command and a Python call: read the module (and adapters),
build the component, validate it with Wasmtime when that is installed, write it atomically."""
from __future__ import annotations

from pathlib import Path

from ..binary.files import MappedFile
from ..errors import LinkError, UsageError
from ..output import write_atomically


def _pairs(values, what: str) -> list[tuple[str, str]]:
    out = []
    for v in values:
        old, eq, new = v.partition("=")
        if not eq or not old or not new:
            raise UsageError(f"{what} takes OLD=NEW, not {v!r}")
        out.append((old, new))
    return out


def adapter_name(spec: str) -> tuple[str, str]:
    """`[NAME=]PATH` -> (name, path); the name defaults to the file name up to its first '.'."""
    name, eq, path = spec.partition("=")
    if not eq:
        path, name = spec, Path(spec).name.split(".", 1)[0]
    if not name or not path:
        raise UsageError(f"--adapt takes [NAME=]ADAPTER, not {spec!r}")
    return name, path


# Component model features wasmtime-py 50's Config has no property for, though the Wasmtime C
# library inside it exports their setters (`wasmtime_config_wasm_component_model_<name>_set`):
# async lifts without a callback (async stackful), `stream.read` and friends called
# synchronously (more async builtins), and the newer accessors and canonical names. (Its
# library has no setter at all for error-context, threading or 64-bit: those stay off.)
C_API_COMPONENT_MODEL_FEATURES = ("async", "async_stackful", "more_async_builtins",
                                  "accessors", "canonical_names")


def component_model_setters() -> dict:
    """{feature: its C setter} for the C_API_COMPONENT_MODEL_FEATURES this wasmtime's library
    exports; {} where wasmtime-py is shaped otherwise (no `wasmtime._ffi.dll`), so that
    validation keeps to what its Config can switch on."""
    import ctypes
    try:
        from wasmtime._ffi import dll
    except ImportError:
        return {}
    # our own prototype, not the library's cached attribute, whose argtypes wasmtime-py owns
    setter_type = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_bool)
    setters = {}
    for feature in C_API_COMPONENT_MODEL_FEATURES:
        try:
            setters[feature] = setter_type(
                (f"wasmtime_config_wasm_component_model_{feature}_set", dll))
        except AttributeError:         # not in this library
            pass
    return setters


def enable_c_api_features(config) -> tuple[str, ...]:
    """Switch on in the wasmtime.Config ``config`` every component model feature
    component_model_setters() has; the names of those switched on (none where the Config
    does not hand out its `wasm_config_t` pointer as wasmtime-py 50's `ptr()` does)."""
    import ctypes
    setters = component_model_setters()
    try:
        pointer = ctypes.cast(config.ptr(), ctypes.c_void_p)
    except Exception:                  # another wasmtime-py: no ptr(), or not a ctypes pointer
        return ()
    for setter in setters.values():
        setter(pointer, True)
    return tuple(setters)


def validation_engine():
    """A Wasmtime engine accepting every proposal a component from `component new` may use
    (as wit-component validates with all features on), as far as this Wasmtime can."""
    import wasmtime
    config = wasmtime.Config()
    for feature in ("wasm_custom_page_sizes", "wasm_component_model_implements",
                    "wasm_component_model_map", "wasm_memory64", "wasm_multi_memory",
                    "wasm_threads", "wasm_tail_call", "wasm_gc", "wasm_function_references",
                    "wasm_exceptions", "wasm_wide_arithmetic"):
        try:
            setattr(config, feature, True)
        except Exception:          # an older wasmtime-py without this knob
            pass
    enable_c_api_features(config)  # before the Engine, which takes the config over
    return wasmtime.Engine(config)


def validate_component(component: bytes, path) -> None:
    try:
        import wasmtime
        from wasmtime import component as wasmtime_component
    except ImportError:                  # validation needs Wasmtime; without it, trust the build
        return
    try:
        wasmtime_component.Component(validation_engine(), component)
    except Exception as e:               # wasmtime raises its own error types
        # its last line is the cause ("unknown type 9: type index out of bounds (at offset
        # 0x4ec)"); its first only says "failed to parse WebAssembly module"
        lines = [line.strip() for line in str(e).splitlines() if line.strip()]
        raise LinkError(f"the component does not validate (a wasmlink bug, please report it): "
                        f"{lines[-1] if lines else type(e).__name__}", path=str(path)) from None


def component_new(module, output, *, adapters=(), import_names=(),
                  realloc_via_memory_grow=False, validate=True) -> Path:
    from .new import new_component
    renames = dict(_pairs(import_names, "--import-name"))
    named_adapters = [adapter_name(a) for a in adapters]
    with MappedFile(module) as mapped:
        data = mapped.data
        if bytes(data[:8]) != b"\0asm\x01\0\0\0":
            raise LinkError("not a core wasm module", path=str(module))
        adapter_data = []
        for name, path in named_adapters:
            with MappedFile(path) as a:
                adapter_data.append((name, bytes(a.data), str(path)))
        component = new_component(data, path=str(module), adapters=adapter_data,
                                  import_names=renames,
                                  realloc_via_memory_grow=realloc_via_memory_grow)
    if validate:
        validate_component(component, output)
    write_atomically(output, [component])
    return Path(output)


def _warn(message: str) -> None:
    import sys
    text = " ".join(part.strip() for part in message.splitlines() if part.strip())
    print(f"wasmlink: warning: {text}", file=sys.stderr)


def library_name(spec: str) -> tuple[str, str]:
    """`[NAME=]PATH` -> (name, path); the name defaults to the file name (`libc.so`), which is
    what other libraries' `needed` entries say."""
    name, eq, path = spec.partition("=")
    if not eq:
        path, name = spec, Path(spec).name
    if not name or not path:
        raise UsageError(f"a library is [NAME=]PATH, not {spec!r}")
    return name, path


def component_link(libraries, output, *, dl_openable=(), adapters=(), stack_size=1 << 20,
                   stub_missing_functions=False, use_built_in_libdl=False,
                   import_libraries=False, validate=True) -> Path:
    from .link import link_component
    adapter_data = []
    for spec in adapters:
        name, path = adapter_name(spec)
        with MappedFile(path) as mapped:
            adapter_data.append((name, bytes(mapped.data), str(path)))
    loaded, openable = [], []
    for spec in [*libraries, *dl_openable]:
        name, path = library_name(spec)
        with MappedFile(path) as mapped:
            loaded.append((name, bytes(mapped.data), str(path)))
        if spec in dl_openable:
            openable.append(name)
    if len({n for n, _, _ in loaded}) != len(loaded):
        raise UsageError("two libraries have the same name: give one NAME=")
    component = link_component(loaded, dl_openable=openable, stack_size=stack_size,
                               stub_missing_functions=stub_missing_functions,
                               use_built_in_libdl=use_built_in_libdl, adapters=adapter_data,
                               path=str(output), warn=_warn,
                               import_libraries=import_libraries, chunks=True)
    if validate:
        component = [b"".join(component)]
        validate_component(component[0], output)
    write_atomically(output, component)
    return Path(output)
