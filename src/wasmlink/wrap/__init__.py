"""`wasmlink component new`: wrapping a core module (and its adapters) into a component
(Linking.md: "a single Core WebAssembly module can be trivially wrapped into a component")."""
