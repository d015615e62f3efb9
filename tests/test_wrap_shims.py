"""The shim and fixup modules that break the instantiation cycle of a component's core code
(wasmlink.wrap.shims): valid modules, wired so that a call into the shim reaches the function
the fixup put in the table, checked by running them in Wasmtime."""
import pytest

from wasmlink.binary.types import F64, I32, I64, FuncType
from wasmlink.wrap.shims import TABLE_EXPORT, fixup_module, shim_module

wasmtime = pytest.importorskip("wasmtime")

SIGS = [FuncType((I32, I32), (I32,)), FuncType((I64,), ()), FuncType((I32, I32), (I32,)),
        FuncType((F64, I32), (F64,))]


def test_the_shim_exports_one_function_per_slot_and_the_table():
    engine = wasmtime.Engine()
    module = wasmtime.Module(engine, shim_module(SIGS, ["a", "b", "c", "d"]))
    exports = [(e.name, str(e.type)) for e in module.exports]
    assert [name for name, _ in exports] == ["0", "1", "2", "3", TABLE_EXPORT]
    limits = module.exports[4].type.limits
    assert (limits.min, limits.max) == (4, 4)


def test_calls_through_the_shim_reach_the_functions_the_fixup_installs():
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    shim = wasmtime.Instance(store, wasmtime.Module(engine, shim_module(SIGS)), [])
    seen = []
    actual = [
        wasmtime.Func(store, wasmtime.FuncType([wasmtime.ValType.i32()] * 2, [wasmtime.ValType.i32()]),
                      lambda a, b: a - b),
        wasmtime.Func(store, wasmtime.FuncType([wasmtime.ValType.i64()], []),
                      lambda x: seen.append(x)),
        wasmtime.Func(store, wasmtime.FuncType([wasmtime.ValType.i32()] * 2, [wasmtime.ValType.i32()]),
                      lambda a, b: a * b),
        wasmtime.Func(store, wasmtime.FuncType([wasmtime.ValType.f64(), wasmtime.ValType.i32()],
                                               [wasmtime.ValType.f64()]), lambda x, n: x * n),
    ]
    table = shim.exports(store)[TABLE_EXPORT]
    fixup = wasmtime.Module(engine, fixup_module(SIGS))
    wasmtime.Instance(store, fixup, [*actual, table])
    exports = shim.exports(store)
    assert exports["0"](store, 10, 3) == 7
    assert exports["2"](store, 10, 3) == 30
    exports["1"](store, 1 << 40)
    assert seen == [1 << 40]
    assert exports["3"](store, 1.5, 4) == 6.0


def test_before_the_fixup_a_call_through_the_shim_traps():
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    shim = wasmtime.Instance(store, wasmtime.Module(engine, shim_module(SIGS)), [])
    with pytest.raises(wasmtime.Trap):
        shim.exports(store)["0"](store, 1, 2)
