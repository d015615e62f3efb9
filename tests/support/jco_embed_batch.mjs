// `jco embed --dummy` for many worlds in one node process (see jco_embed.mjs for why the API):
// node jco_embed_batch.mjs JOBS.json   with JOBS [{wit, world|null, encoding, out}];
// a job that fails writes OUT.error with the message instead.
import { readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
const base = process.env.JCO_MODULES;
const shimPath = [
  `${base}/@bytecodealliance/jco-transpile/node_modules/@bytecodealliance/preview2-shim/dist/nodejs/filesystem.js`,
  `${base}/@bytecodealliance/preview2-shim/dist/nodejs/filesystem.js`,
].find(existsSync);
const shim = await import(shimPath);
shim._setPreopens({ "/": "/" });
const { componentEmbed } = await import(`${base}/@bytecodealliance/jco-transpile/dist/wasm-tools.js`);
const jobs = JSON.parse(await readFile(process.argv[2], "utf8"));
for (const job of jobs) {
  const opts = { witPath: resolve(job.wit), stringEncoding: job.encoding, dummy: true };
  if (job.world) opts.world = job.world;
  try {
    await writeFile(job.out, await componentEmbed(opts));
  } catch (e) {
    await writeFile(job.out + ".error", String(e && e.message || e));
  }
}
