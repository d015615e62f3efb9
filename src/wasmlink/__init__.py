"""wasmlink: a fast WebAssembly linking toolchain.

The public API. Everything here is plain Python over the native core; submodules are imported
when a function needs them, so ``import wasmlink`` stays cheap (no numpy, no wasmtime).

    >>> import wasmlink
    >>> binary = wasmlink.read("libc.so")          # Module, Component or Archive, lazily decoded
    >>> report = wasmlink.inspect("libc.so")       # the dict that `wasmlink inspect --json` prints
"""
from __future__ import annotations

from .errors import ParseError, UnsupportedError, UsageError, WasmlinkError

__version__ = "0.1.0"
__all__ = ["read", "inspect", "encode_module", "write_module", "link", "LinkResult",
           "component_embed", "component_new", "component_wit", "component_link",
           "instantiate_component", "Store", "push", "pull", "resolve", "dedup",
           "WasmlinkError", "ParseError", "UnsupportedError", "UsageError", "__version__"]


def read(path):
    """Map ``path`` and return a lazy view of it: a Module, a Component or an Archive.

    The view keeps the file mapped; raises ParseError (naming the file and the offset) if the
    file is not a well-formed module, component or archive."""
    from .binary.open import open_binary
    return open_binary(path)


def inspect(path) -> dict:
    """What ``wasmlink inspect --json`` reports for one file (see README: inspect JSON)."""
    from .report import inspect_file
    return inspect_file(path)


def encode_module(module) -> bytes:
    """Encode a Module back to bytes (decode → encode is byte-identical on well-formed input)."""
    from .binary.encode import encode_module as _encode
    return _encode(module)


def write_module(module, path) -> None:
    """Encode a Module into ``path`` atomically (temporary file, then rename)."""
    from .binary.encode import module_chunks
    from .output import write_atomically
    write_atomically(path, module_chunks(module))


class LinkResult:
    """What ``link`` made: the output path and size, what it kept, and where the time went."""

    __slots__ = ("output", "size", "functions", "globals", "data_segments", "imports",
                 "exports", "objects", "timings", "warnings")

    def __init__(self, ctx):
        self.output = ctx.options.output
        self.size = getattr(ctx, "output_size", None)
        self.functions = len(ctx.imported_functions) + len(ctx.functions)
        self.globals = len(ctx.imported_globals) + len(ctx.globals)
        self.data_segments = len(ctx.segments)
        from .ld.link import import_field
        self.imports = [import_field(s) for s in ctx.imports]
        self.exports = [name for name, _, _ in ctx.exports]
        self.objects = [str(f) for f in ctx.objects]       # in link order, members included
        self.timings = dict(ctx.timings)                   # pass name -> seconds
        self.warnings = list(ctx.diag.warnings)

    def __repr__(self) -> str:
        return (f"LinkResult({self.output!r}, {self.size} bytes, {self.functions} functions, "
                f"{len(self.exports)} exports)")


def link_arguments(inputs, output, options: dict) -> list[str]:
    """The wasm-ld command line for ``link``'s keyword options (see ``link``)."""
    argv = ["-o", str(output)]
    for key, value in options.items():
        if value is None or value is False:
            continue
        if key == "stack_size":
            argv += ["-z", f"stack-size={value}"]
            continue
        if key == "library_paths":
            argv += [f"-L{v}" for v in value]
            continue
        if key == "libraries":
            argv += [f"-l{v}" for v in value]
            continue
        flag = "--" + key.replace("_", "-")
        if key in ("exports", "undefined"):
            flag = "--export" if key == "exports" else "--undefined"
        if value is True:
            argv.append(flag)
        elif isinstance(value, (list, tuple, set)):
            argv += [f"{flag}={v}" for v in value]
        else:
            argv.append(f"{flag}={value}")
    return argv + [str(i) for i in inputs]


def link(inputs, output, **options) -> LinkResult:
    """Statically link relocatable objects and archives into a module, as ``wasmlink ld``.

    Options are wasm-ld's, spelled with underscores: ``entry="_start"``, ``no_entry=True``,
    ``exports=["f", "g"]``, ``allow_undefined=True``, ``import_memory=True``,
    ``stack_size=1048576``, ``global_base=1024``, ``gc_sections=False``... (a list repeats the
    option; ``libraries``/``library_paths`` are ``-l``/``-L``). Raises LinkError (every error
    of the link, one per line) or UsageError; writes nothing on failure."""
    from .ld.link import Context, run
    from .ld.options import parse_args
    opts, parsed_inputs = parse_args(link_arguments(inputs, output, dict(options)))
    import io
    ctx = run(Context(opts, parsed_inputs, stream=io.StringIO()))
    return LinkResult(ctx)


# -- components ----------------------------------------------------------------------------------

def component_embed(wit, module=None, *, output, world=None, encoding="utf8", only_custom=False,
                    dummy=False, dummy_names="legacy", object_file=False):
    """`wasmlink component embed`: record a WIT world's type in ``module`` (or write it alone,
    as a dummy module, or as a relocatable object) at ``output``. Returns the output path."""
    from .embed.embed import embed
    return embed(wit, module, output=output, world=world, encoding=encoding,
                 only_custom=only_custom, dummy=dummy, dummy_names=dummy_names,
                 object_file=object_file)


def component_new(module, output, *, adapters=(), import_names=(), validate=True):
    """`wasmlink component new`: wrap core ``module`` into a component at ``output``.
    ``adapters``: "[NAME=]PATH" strings; ``import_names``: "OLD=NEW" strings."""
    from .wrap.command import component_new as new
    return new(module, output, adapters=adapters, import_names=import_names, validate=validate)


def component_wit(path) -> str:
    """`wasmlink component wit`: the world of a component or module, as WIT text."""
    from .wrap.wit_of import wit_of
    return wit_of(path)


def component_link(libraries, output, *, dl_openable=(), adapters=(), stack_size=1 << 20,
                   stub_missing_functions=False, use_built_in_libdl=False,
                   import_libraries=False, validate=True):
    """`wasmlink component link`: ``dylink.0`` libraries ("[NAME=]PATH" strings) into one
    component at ``output``, each library a core module of its own."""
    from .wrap.command import component_link as link
    return link(libraries, output, dl_openable=dl_openable, adapters=adapters,
                stack_size=stack_size, stub_missing_functions=stub_missing_functions,
                use_built_in_libdl=use_built_in_libdl, import_libraries=import_libraries,
                validate=validate)


def instantiate_component(engine, component, library_dirs, **kwargs):
    """(instance, store) of a component linked with ``import_libraries``: its hash-named
    module imports are supplied from ``library_dirs`` (hashes verified, each module compiled
    once per engine). Needs wasmtime."""
    from .wrap.instantiate import instantiate
    return instantiate(engine, component, library_dirs, **kwargs)


# --- registries: stores, OCI artifacts, dedup ---------------------------------------------------

def __getattr__(name):
    # the store class is the registry's one public type; imported on first use
    if name == "Store":
        from .registry.store import Store
        return Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def push(path, reference, *, dedup=False, min_size=None, mount_from=(), **client_options):
    """Push a module or component to ``reference``: an OCI reference
    (``localhost:5000/ns/name:tag``) or a local store's (``oci:PATH:REFERENCE``). With
    ``dedup``, a component's large nested core modules become layers of their own, imported by
    content hash from the root (README: dedup layout). Returns a PushResult (what was sent)."""
    from .registry.transfer import push as _push
    return _push(path, reference, dedup=dedup, min_size=min_size, mount_from=mount_from,
                 **client_options)


def pull(reference, output, *, keep_imports=False, modules_dir=None, **client_options):
    """Pull ``reference`` into ``output``; a dedup artifact comes back byte for byte (or, with
    ``keep_imports``, as its root, its children written to ``modules_dir``)."""
    from .registry.transfer import pull as _pull
    return _pull(reference, output, keep_imports=keep_imports, modules_dir=modules_dir,
                 **client_options)


def resolve(component, sources, output, *, strict=True, **client_options):
    """Inline the children ``component`` imports by content hash or package name, fetched
    from ``sources`` (stores or registry repositories) and checked against their hashes."""
    from .registry.resolve import resolve_component
    return resolve_component(component, sources, output, strict=strict, **client_options)


def dedup(paths, *, jobs=1, scheduler=None, into=None, min_size=None, chunking=False):
    """Find the nested modules and components that ``paths`` (files, directories) share: a
    DedupReport with bytes total / unique / saved per file and overall (README: bulk dedup).
    ``jobs`` spreads the scan over processes, ``scheduler`` over a Dask cluster (the ``dask``
    extra); ``into`` also writes a deduplicated store; ``chunking`` adds what content-defined
    chunking would save."""
    from .registry.dedup import DEFAULT_MIN_SIZE, dedup as _dedup
    return _dedup(paths, jobs=jobs, scheduler=scheduler, into=into, chunking=chunking,
                  min_size=DEFAULT_MIN_SIZE if min_size is None else min_size)
