// `jco embed` through its API, with the host filesystem preopened: the jco CLI of this version
// preopens nothing, so its wasm-tools cannot read the WIT path it is given (ENOENT).
// node jco_embed.mjs WIT WORLD ENCODING OUT [MODULE]   (no MODULE: --dummy); JCO_MODULES=node_modules dir
import { readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
const base = process.env.JCO_MODULES;
// the shim instance jco-transpile's wasm-tools imports: nested under it, or hoisted by npm
const shimPath = [
  `${base}/@bytecodealliance/jco-transpile/node_modules/@bytecodealliance/preview2-shim/dist/nodejs/filesystem.js`,
  `${base}/@bytecodealliance/preview2-shim/dist/nodejs/filesystem.js`,
].find(existsSync);
const shim = await import(shimPath);
shim._setPreopens({ "/": "/" });
const { componentEmbed } = await import(`${base}/@bytecodealliance/jco-transpile/dist/wasm-tools.js`);
const [wit, world, encoding, out, module] = process.argv.slice(2);
const opts = { witPath: resolve(wit), stringEncoding: encoding };
if (world) opts.world = world;
if (module) opts.binary = await readFile(module); else opts.dummy = true;
await writeFile(out, await componentEmbed(opts));
