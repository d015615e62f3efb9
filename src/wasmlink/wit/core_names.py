"""The core imports and exports through which a core module implements a WIT world: their
names (in either of the two schemes toolchains use) and their core signatures (Canonical ABI).

`component embed --dummy` writes a module with exactly these; `component new` matches a real
module's imports and exports against them to know what each one is (a lowered function, a
resource intrinsic, a lifted export and its post-return, memory, realloc, the initializer).

Names, for an interface `ns:pkg/iface@1.2.3` (I) and world-level items:

| item                     | legacy (wit-bindgen, wasi-libc era)   | standard (`cm32p2`)               |
|--------------------------|---------------------------------------|-----------------------------------|
| imported function        | `I` / `f`; world: `$root` / `f`       | `cm32p2\\|I'` / `f`; `cm32p2` / `f` |
| imported resource drop   | `I` / `[resource-drop]r`              | `cm32p2\\|I'` / `r_drop`           |
| exported function        | `I#f`; world: `f`                     | `cm32p2\\|I'\\|f`; `cm32p2\\|\\|f`     |
| its post-return          | `cabi_post_<export>`                  | `<export>_post`                   |
| exported resource new/rep/drop | `[export]I` / `[resource-new]r`  | `cm32p2\\|_ex_I'` / `r_new`       |
| exported resource dtor   | `I#[dtor]r`                           | `cm32p2\\|I'\\|r_dtor`               |
| memory, realloc, init    | `memory`, `cabi_realloc`, `_initialize` | `cm32p2_memory`, `cm32p2_realloc`, `cm32p2_initialize` |

where I' shortens the version to what semver keeps compatible (`@1`, `@0.2`, `@0.0.3`).
"""
from __future__ import annotations

from typing import NamedTuple

from ..binary.types import I32, I64, F32, F64, FuncType
from ..component.abi import canon_options, flatten_function
from . import model as wm

CORE_VALTYPES = {"i32": I32, "i64": I64, "f32": F32, "f64": F64}
SCHEMES = ("legacy", "standard")


class CoreItem(NamedTuple):
    """One core import or export of a module implementing a world."""
    direction: str          # "import" or "export"
    module: str | None      # the import's module (None for exports)
    name: str
    kind: str               # "func" or "memory"
    signature: FuncType | None
    role: str               # func, resource-drop, resource-new, resource-rep, dtor,
                            # post-return, memory, realloc, initialize
    interface: int | str | None = None   # the world key (interface id, or name) it belongs to
    function: object = None              # the WIT Function (func, post-return)
    resource: int | None = None          # the resource type id (intrinsics, dtor)
    optional: bool = False               # an alternative form (async ABI): not in dummies
    builtin: tuple | None = None         # (opcode, what its immediates need) of a canon built-in


def shape(resolve, ty):
    """A WIT type as a Canonical ABI shape (wasmlink.component.abi)."""
    if isinstance(ty, str):
        return ty
    kind = resolve.types[ty].kind
    s = lambda t: shape(resolve, t)                                  # noqa: E731
    o = lambda t: None if t is None else shape(resolve, t)           # noqa: E731
    if isinstance(kind, wm.Alias):
        return s(kind.type)
    if isinstance(kind, wm.Record):
        return ("record", tuple(s(f.type) for f in kind.fields))
    if isinstance(kind, wm.Tuple):
        return ("record", tuple(s(t) for t in kind.types))
    if isinstance(kind, wm.Variant):
        return ("variant", tuple(o(c.type) for c in kind.cases))
    if isinstance(kind, wm.Enum):
        return ("variant", (None,) * len(kind.cases))
    if isinstance(kind, wm.Option):
        return ("variant", (None, s(kind.type)))
    if isinstance(kind, wm.Result):
        return ("variant", (o(kind.ok), o(kind.err)))
    if isinstance(kind, wm.Flags):
        return ("flags", len(kind.flags))
    if isinstance(kind, wm.List):
        return ("list", s(kind.element), None)
    if isinstance(kind, wm.FixedSizeList):
        return ("list", s(kind.element), kind.size)
    if isinstance(kind, wm.Map):
        return ("map", s(kind.key), s(kind.value))
    if isinstance(kind, wm.Handle):
        return (kind.kind,)
    if isinstance(kind, wm.Future):
        return ("future",)
    if isinstance(kind, wm.Stream):
        return ("stream",)
    raise ValueError(f"{type(kind).__name__} is not a value type")


def function_shapes(resolve, func) -> tuple[list, list]:
    params = [shape(resolve, t) for _, t in func.params]
    results = [] if func.result is None else [shape(resolve, func.result)]
    return params, results


def core_signature(resolve, func, context: str, ptr: str = "i32") -> FuncType:
    params, results = function_shapes(resolve, func)
    # an `async func` may be lowered and lifted with the synchronous ABI, which is what
    # bindings that know nothing of async do (and what wit-component's dummy modules use)
    sig = flatten_function(params, results, context, ptr=ptr)
    return FuncType(tuple(CORE_VALTYPES[v] for v in sig.params),
                    tuple(CORE_VALTYPES[v] for v in sig.results))


def async_signature(resolve, func, context: str, callback: bool = False) -> FuncType:
    params, results = function_shapes(resolve, func)
    sig = flatten_function(params, results, context, async_=True, callback=callback)
    return FuncType(tuple(CORE_VALTYPES[v] for v in sig.params),
                    tuple(CORE_VALTYPES[v] for v in sig.results))


def task_return_signature(resolve, func) -> FuncType:
    """`[task-return]f`: the function's results, flattened as parameters."""
    params, results = function_shapes(resolve, func)
    sig = flatten_function(results, [], "lower")
    return FuncType(tuple(CORE_VALTYPES[v] for v in sig.params), ())


# the async ABI's built-ins a module may import from `$root` (legacy names), by name:
# (canon opcode, immediates recipe, core signature)
ASYNC_BUILTINS = {
    "[backpressure-inc]": (0x24, (), FuncType((), ())),
    "[backpressure-dec]": (0x25, (), FuncType((), ())),
    "[waitable-set-new]": (0x1F, (), FuncType((), (I32,))),
    "[waitable-set-wait]": (0x20, ("no-cancel", "memory"), FuncType((I32, I32), (I32,))),
    "[waitable-set-poll]": (0x21, ("no-cancel", "memory"), FuncType((I32, I32), (I32,))),
    "[waitable-set-drop]": (0x22, (), FuncType((I32,), ())),
    "[waitable-join]": (0x23, (), FuncType((I32, I32), ())),
    "[thread-yield]": (0x0C, ("no-cancel",), FuncType((), (I32,))),
    "[subtask-drop]": (0x0D, (), FuncType((I32,), ())),
    "[subtask-cancel]": (0x06, ("sync",), FuncType((I32,), (I32,))),
    "[error-context-drop]": (0x1E, (), FuncType((I32,), ())),
    "[context-get-0]": (0x0A, ("i32", 0), FuncType((), (I32,))),
    "[context-set-0]": (0x0B, ("i32", 0), FuncType((I32,), ())),
    "[thread-index]": (0x26, (), FuncType((), (I32,))),
    "[thread-new-indirect-v0]": (0x27, ("thread-start", "table"), FuncType((I32, I32), (I32,))),
    "[thread-resume-later]": (0x28, (), FuncType((I32,), ())),
    "[thread-suspend]": (0x29, ("no-cancel",), FuncType((), (I32,))),
    "[thread-suspend-then-resume]": (0x2A, ("no-cancel",), FuncType((I32,), (I32,))),
    "[thread-yield-then-resume]": (0x2B, ("no-cancel",), FuncType((I32,), (I32,))),
    "[thread-suspend-then-promote]": (0x2C, ("no-cancel",), FuncType((I32,), (I32,))),
    "[thread-yield-then-promote]": (0x2D, ("no-cancel",), FuncType((I32,), (I32,))),
    "[context-get-1]": (0x0A, ("i32", 1), FuncType((), (I32,))),
    "[context-set-1]": (0x0B, ("i32", 1), FuncType((I32,), ())),
}
for _enc in ("utf8", "utf16", "latin1+utf16"):
    ASYNC_BUILTINS[f"[error-context-new-{_enc}]"] = (0x1C, ("options", "memory", _enc),
                                                     FuncType((I32, I32), (I32,)))
    ASYNC_BUILTINS[f"[error-context-debug-message-{_enc}]"] = (
        0x1D, ("options", "memory", "realloc", _enc), FuncType((I32, I32), ()))


STREAM_OPS = {"new": 0, "read": 1, "write": 2, "cancel-read": 3, "cancel-write": 4,
              "drop-readable": 5, "drop-writable": 6}
STREAM_BASE = {"stream": 0x0E, "future": 0x15}


def async_value_types(resolve, func) -> list[int]:
    """The future and stream types of a function's signature, each once, inner ones before
    outer ones (the N of `[future-read-N]f`, as wit-component numbers them)."""
    out: list[int] = []

    def visit(t):
        if not isinstance(t, int):
            return
        kind = resolve.types[t].kind
        for value in vars(kind).values():
            for v in (value if isinstance(value, list) else [value]):
                inner = getattr(v, "type", v)
                if isinstance(inner, int) and not isinstance(kind, wm.Handle):
                    visit(inner)
        if isinstance(kind, (wm.Future, wm.Stream)) and t not in out:
            out.append(t)
    for _, t in func.params:
        visit(t)
    visit(func.result)
    return out


def stream_items(resolve, module: str, func, key) -> list:
    items = []
    for n, tid in enumerate(async_value_types(resolve, func)):
        kind = "future" if isinstance(resolve.types[tid].kind, wm.Future) else "stream"
        for op, offset in STREAM_OPS.items():
            items.append(CoreItem("import", module, f"[{kind}-{op}-{n}]{func.name}", "func", None,
                                  "stream-op", key, func, optional=True,
                                  builtin=(STREAM_BASE[kind] + offset, (tid, op))))
    return items


def function_options(resolve, func, context: str):
    params, results = function_shapes(resolve, func)
    return canon_options(params, results, context)


def short_version(name: str) -> str:
    """`ns:pkg/iface@1.2.3` -> `ns:pkg/iface@1`; `@0.2.1` -> `@0.2`; `@0.0.3` stays."""
    base, at, version = name.partition("@")
    if not at:
        return name
    core = version.split("+")[0]
    if "-" in core:
        return name
    parts = core.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return name
    major, minor, _ = (int(p) for p in parts)
    if major:
        return f"{base}@{major}"
    if minor:
        return f"{base}@0.{minor}"
    return name


class _Names:
    """The naming rules of one scheme."""

    def __init__(self, scheme: str):
        if scheme not in SCHEMES:
            raise ValueError(f"unknown name scheme {scheme!r} (legacy or standard)")
        self.standard = scheme == "standard"

    def import_module(self, iface_name: str | None) -> str:
        if self.standard:
            return "cm32p2" if iface_name is None else f"cm32p2|{short_version(iface_name)}"
        return "$root" if iface_name is None else iface_name

    def resource_drop(self, resource: str) -> str:
        return f"{resource}_drop" if self.standard else f"[resource-drop]{resource}"

    def export(self, iface_name: str | None, item: str) -> str:
        if self.standard:
            return f"cm32p2|{'' if iface_name is None else short_version(iface_name)}|{item}"
        return item if iface_name is None else f"{iface_name}#{item}"

    def post_return(self, export: str) -> str:
        return f"{export}_post" if self.standard else f"cabi_post_{export}"

    def export_intrinsics_module(self, iface_name: str) -> str:
        if self.standard:
            return f"cm32p2|_ex_{short_version(iface_name)}"
        return f"[export]{iface_name}"

    def export_intrinsic(self, op: str, resource: str) -> str:
        return f"{resource}_{op}" if self.standard else f"[resource-{op}]{resource}"

    def dtor(self, resource: str) -> str:
        return f"{resource}_dtor" if self.standard else f"[dtor]{resource}"

    @property
    def memory(self) -> str:
        return "cm32p2_memory" if self.standard else "memory"

    @property
    def realloc(self) -> str:
        return "cm32p2_realloc" if self.standard else "cabi_realloc"

    @property
    def initialize(self) -> str:
        return "cm32p2_initialize" if self.standard else "_initialize"


def _interface_name(resolve, key) -> str:
    if isinstance(key, int):
        return resolve.id_of(key) or resolve.interfaces[key].name
    return key


def _resources(resolve, iface_id: int) -> list[tuple[int, str]]:
    iface = resolve.interfaces[iface_id]
    return [(tid, name) for name, tid in iface.types.items()
            if isinstance(resolve.types[tid].kind, wm.Resource)]


def core_items(resolve, world_id: int, scheme: str = "legacy") -> list[CoreItem]:
    """Every core import and export of a module implementing the world, imports first, in
    the order of the world (what `--dummy` writes)."""
    names = _Names(scheme)
    world = resolve.worlds[world_id]
    drop = FuncType((I32,), ())
    i32_to_i32 = FuncType((I32,), (I32,))
    items: list[CoreItem] = []
    root = names.import_module(None)
    for key, item in world.imports.items():          # in the world's order
        if isinstance(item, wm.WorldInterface):
            name = _interface_name(resolve, key)
            module = names.import_module(name)
            for func in resolve.interfaces[item.id].functions.values():
                items.append(CoreItem("import", module, func.name, "func",
                                      core_signature(resolve, func, "lower"), "func", key, func))
            for tid, rname in _resources(resolve, item.id):
                items.append(CoreItem("import", module, names.resource_drop(rname), "func", drop,
                                      "resource-drop", key, resource=tid))
        elif isinstance(item, wm.WorldFunction):
            func = item.func
            items.append(CoreItem("import", root, func.name, "func",
                                  core_signature(resolve, func, "lower"), "func", None, func))
        elif isinstance(resolve.types[item.id].kind, wm.Resource):
            items.append(CoreItem("import", root, names.resource_drop(resolve.types[item.id].name),
                                  "func", drop, "resource-drop", None, resource=item.id))

    exports: list[CoreItem] = []
    extras: list[CoreItem] = []           # the async ABI's alternative forms

    def export_function(key, iface_name, func):
        name = names.export(iface_name, func.name)
        sig = core_signature(resolve, func, "lift")
        exports.append(CoreItem("export", None, name, "func", sig, "func", key, func))
        exports.append(CoreItem("export", None, names.post_return(name), "func",
                                FuncType(sig.results, ()), "post-return", key, func))
        if func.kind.startswith("async") and not names.standard:
            extras.append(CoreItem("export", None, f"[async-lift]{name}", "func",
                                   async_signature(resolve, func, "lift", callback=True),
                                   "async-lift", key, func, optional=True))
            extras.append(CoreItem("export", None, f"[callback][async-lift]{name}", "func",
                                   FuncType((I32, I32, I32), (I32,)), "callback", key, func,
                                   optional=True))
            extras.append(CoreItem("export", None, f"[async-lift-stackful]{name}", "func",
                                   async_signature(resolve, func, "lift"), "async-lift-stackful",
                                   key, func, optional=True))
            module = "[export]$root" if iface_name is None else f"[export]{iface_name}"
            extras.append(CoreItem("import", module, f"[task-return]{func.name}", "func",
                                   task_return_signature(resolve, func), "task-return", key,
                                   func, optional=True))
            extras.append(CoreItem("import", module, "[task-cancel]", "func", FuncType((), ()),
                                   "builtin", key, optional=True, builtin=(0x05, ())))
        if not names.standard:
            module = "[export]$root" if iface_name is None else f"[export]{iface_name}"
            extras.extend(stream_items(resolve, module, func, key))

    # world-level functions first, then interfaces (wit-component's dummy order)
    for item in world.exports.values():
        if isinstance(item, wm.WorldFunction):
            export_function(None, None, item.func)
    for key, item in world.exports.items():
        if isinstance(item, wm.WorldInterface):
            iface_name = _interface_name(resolve, key)
            for func in resolve.interfaces[item.id].functions.values():
                export_function(key, iface_name, func)
            module = names.export_intrinsics_module(iface_name)
            for tid, rname in _resources(resolve, item.id):
                items.append(CoreItem("import", module, names.export_intrinsic("drop", rname),
                                      "func", drop, "resource-drop", key, resource=tid))
                items.append(CoreItem("import", module, names.export_intrinsic("new", rname),
                                      "func", i32_to_i32, "resource-new", key, resource=tid))
                items.append(CoreItem("import", module, names.export_intrinsic("rep", rname),
                                      "func", i32_to_i32, "resource-rep", key, resource=tid))
                exports.append(CoreItem("export", None, names.export(iface_name, names.dtor(rname)),
                                        "func", drop, "dtor", key, resource=tid))
    exports.append(CoreItem("export", None, names.memory, "memory", None, "memory"))
    exports.append(CoreItem("export", None, names.realloc, "func",
                            FuncType((I32, I32, I32, I32), (I32,)), "realloc"))
    exports.append(CoreItem("export", None, names.initialize, "func", FuncType((), ()),
                            "initialize"))
    if not names.standard:
        for item in items[:]:
            if item.role == "func":
                extras.extend(stream_items(resolve, item.module, item.function, item.interface))
            if item.role == "func" and item.function.kind.startswith("async"):
                extras.append(CoreItem("import", item.module, f"[async-lower]{item.name}", "func",
                                       async_signature(resolve, item.function, "lower"),
                                       "async-lower", item.interface, item.function,
                                       optional=True))
        for name, (opcode, recipe, sig) in ASYNC_BUILTINS.items():
            extras.append(CoreItem("import", "$root", name, "func", sig, "builtin",
                                   optional=True, builtin=(opcode, recipe)))
    return items + exports + extras
