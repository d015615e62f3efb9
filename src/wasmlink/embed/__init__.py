"""`wasmlink component embed`: a WIT world's type, recorded where the linker and `component new`
find it (a custom section of a module, or a relocatable object that carries one)."""
