"""Run a dynlink LinkPlan with Wasmtime's core API, no components involved.

The main module is instantiated first, then each library in ``plan.order`` with every import
taken from where ``plan.wiring`` says, then the init module. "world" imports are host functions
from ``world`` ((module, name) -> callable(ctx, *args), ``ctx`` having ``store`` and the shared
``memory``), or functions that raise when called.
"""
from __future__ import annotations


def _trap(module, name):
    def f(*args):
        raise RuntimeError(f"world function {module}.{name} called")
    return f


class Context:
    def __init__(self, store, memory):
        self.store = store
        self.memory = memory

    def write(self, address: int, raw: bytes) -> None:
        self.memory.write(self.store, raw, address)

    def read(self, address: int, size: int) -> bytes:
        return bytes(self.memory.read(self.store, address, address + size))


def instantiate_plan(plan, libraries, world=None, engine=None):
    """(store, {name: Instance} including "main" and "__init") for a plan of ``libraries``
    (the same (name, bytes, path) list given to plan_link)."""
    import wasmtime

    world = world or {}
    engine = engine or wasmtime.Engine()
    store = wasmtime.Store(engine)
    instances = {"main": wasmtime.Instance(store, wasmtime.Module(engine, plan.main_module), [])}
    blobs = {name: data for name, data, _ in libraries}
    ctx = Context(store, instances["main"].exports(store)["memory"])

    def extern(inst_name, export):
        found = instances[inst_name].exports(store).get(export)
        if found is None:
            raise KeyError(f"{inst_name} has no export {export}")
        return found

    def instantiate(name, data, wiring):
        module = wasmtime.Module(engine, data)
        args = []
        for imp in module.imports:
            src = wiring[(imp.module, imp.name)]
            if src.kind in ("main", "stub"):
                args.append(extern("main", src.name))
            elif src.kind == "library":
                args.append(extern(src.library, src.name))
            else:
                fn = world.get((imp.module, imp.name))
                host = _trap(imp.module, imp.name) if fn is None else (
                    lambda *a, fn=fn: fn(ctx, *a))
                args.append(wasmtime.Func(store, imp.type, host))
        instances[name] = wasmtime.Instance(store, module, args)

    for name in plan.order:
        data = blobs[name]
        instantiate(name, data, plan.wiring[name])
    instantiate("__init", plan.init_module, plan.init_wiring)
    return store, instances


def call(store, instances, library, export, *args):
    return instances[library].exports(store)[export](store, *args)
