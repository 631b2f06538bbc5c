/**
 * Every `tscog` run registers all commands, so registration must stay cheap:
 * each command loads its implementation (@tscog/server, @tscog/image,
 * @tscog/runtime, the type checker...) only when it runs. Those packages are
 * ES modules, which leave no trace to inspect, but their CommonJS
 * dependencies (ajv, esbuild, redis, yaml...) land in require.cache when
 * loaded, so the packages found there tell what registration pulled in.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const MAIN = new URL("../src/main.js", import.meta.url).href;
/** Starts the probe's answer, after whatever the script itself printed (help text). */
const MARK = "loaded packages: ";

/** In a fresh process: the npm packages in require.cache after `script` ran (it may use `MAIN`). */
async function packagesLoadedBy(script: string): Promise<string[]> {
  const code = `
    import { createRequire } from "node:module";
    const MAIN = ${JSON.stringify(MAIN)};
    const MARK = ${JSON.stringify(MARK)};
    ${script}
    const cache = createRequire(import.meta.url).cache;
    const names = new Set(Object.keys(cache).map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean));
    process.stdout.write("\\n" + MARK + JSON.stringify([...names].sort()));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", code]);
  return JSON.parse(stdout.slice(stdout.lastIndexOf(MARK) + MARK.length)) as string[];
}

test("registering every command loads commander and nothing else from npm", async () => {
  const loaded = await packagesLoadedBy(`(await import(MAIN)).createProgram();`);
  assert.deepEqual(loaded, ["commander"]);
});

test("the help of a command loads no implementation", async () => {
  const loaded = await packagesLoadedBy(`
    const program = (await import(MAIN)).createProgram();
    await program.parseAsync(["node", "tscog", "deploy", "kubernetes", "--help"]).catch((err) => {
      if (err.code !== "commander.helpDisplayed") throw err;
    });
  `);
  assert.deepEqual(loaded, ["commander"]);
});

test("a command loads its implementation when it runs (the probe sees dependencies)", async () => {
  // tscog schema on a missing project: the runtime is imported, then the error is reported.
  const loaded = await packagesLoadedBy(`
    const code = await (await import(MAIN)).main(["node", "tscog", "schema", "-C", "/nonexistent-tscog-project"]);
    if (code !== 2) throw new Error("expected exit code 2, got " + code);
    process.exitCode = 0;
  `);
  assert.ok(loaded.includes("esbuild"), `esbuild (from @tscog/runtime) should be loaded by tscog schema; loaded: ${loaded.join(", ")}`);
});
