"""`component new` and `[task-return]f`, the built-in an async export returns its result
through: it names the exported function f, whose types are the export's. The expected worlds
are what wit-component (jco's `new`) makes of the same modules."""
from pathlib import Path

from component_new.runner import embedded
from support.all_features import validate
from wasmlink.wit.decode import decode_component_world
from wasmlink.wit.printer import print_package
from wasmlink.wrap.new import new_component


def component_world(directory: Path, wit: str, wat: str) -> tuple[bytes, str]:
    (directory / "module.wit").write_text(wit)
    (directory / "module.wat").write_text(wat)
    component = new_component(embedded(directory, directory / "module.wat"), path="m.wasm")
    resolve, world = decode_component_world(component)
    return component, print_package(resolve, resolve.worlds[world].package)


def test_an_async_export_returning_its_interfaces_record_defines_that_type(tmp_path):
    # the record is the exported interface's: task.return, made before the module is
    # instantiated, needs it defined in the component (it was "type r is not reachable")
    component, world = component_world(tmp_path, """package foo:foo;

interface bar {
  record r { a: string }
  foo: async func(s: string) -> r;
}

world module {
  export bar;
}
""", """(module
  (import "[export]foo:foo/bar" "[task-return]foo" (func (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "[async-lift-stackful]foo:foo/bar#foo") (param i32 i32) unreachable)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) unreachable)
)""")
    assert validate(component)[0] is None
    assert world == "package root:component;\n\nworld root {\n  export foo:foo/bar;\n}\n"
    # and defines it once, as wit-component does (the interface's export reuses it)
    from wasmlink.component import decode_component
    from wasmlink.component import model as cm
    records = [t for s in decode_component(component).sections
               if isinstance(s, cm.TypeSection) for t in s.items if type(t).__name__ == "RecordType"]
    assert len(records) == 1


def test_an_exports_task_return_does_not_import_the_function_of_the_same_name(tmp_path):
    component, world = component_world(tmp_path, """package foo:foo;

world module {
  import foo: async func(s: string) -> string;
  export foo: async func(s: string) -> string;
}
""", """(module
  (import "[export]$root" "[task-return]foo" (func (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "[async-lift-stackful]foo") (param i32 i32) unreachable)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) unreachable)
)""")
    assert validate(component)[0] is None
    assert world == ("package root:component;\n\nworld root {\n"
                     "  export foo: async func(s: string) -> string;\n}\n")
