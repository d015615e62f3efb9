// Validates a component with wasmparser and every proposal enabled (what wit-component's own
// harness does), through the wasm-tools that jco-transpile carries: its `componentWit` decodes
// the component, which validates it first. The runners use it where Wasmtime cannot: a feature
// wasmtime-py does not let us enable (all_features.py beside it says which).
// node validate_all_features.mjs COMPONENT   (JCO_MODULES: the node_modules holding jco)
import { readFile } from "node:fs/promises";
const { componentWit } = await import(
  `${process.env.JCO_MODULES}/@bytecodealliance/jco-transpile/dist/wasm-tools.js`);
try {
  await componentWit(await readFile(process.argv[2]));
} catch (e) {
  process.stderr.write(`${String(e.message ?? e).trim().split("\n").pop()}\n`);
  process.exit(1);
}
