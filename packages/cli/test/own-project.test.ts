import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file runs from packages/cli/dist/test). */
const REPO = fileURLToPath(new URL("../../../../", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command as a user's shell would, with `bin` (the global install) first
 * on PATH and none of the npm_* variables `npm test` sets for its own run.
 */
function sh(command: string, args: string[], cwd: string, globalPrefix: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) || /^npm_config_cache$/i.test(k)) env[k] = v;
  env.npm_config_prefix = globalPrefix; // `npm install -g` goes here, not into the machine's global folder
  env.PATH = [join(globalPrefix, "bin"), dirname(process.execPath), process.env.PATH].join(delimiter);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test("a project of one's own outside the repository, as the README says: install, init, predict, check, build", { timeout: 300_000 }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), "tscog-own-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.ok(!root.startsWith(REPO), `${root} is outside the repository`);
  const globalPrefix = join(root, "global");
  const project = join(root, "my-model");

  // README: `npm install -g ./packages/cli` in the clone puts `tscog` on PATH, linked to the clone.
  const install = await sh("npm", ["install", "-g", join(REPO, "packages", "cli")], root, globalPrefix);
  assert.equal(install.code, 0, install.stderr);
  assert.doesNotMatch(install.stderr, /npm warn/i);

  const init = await sh("tscog", ["init", "my-model"], root, globalPrefix);
  assert.equal(init.code, 0, init.stderr);
  for (const file of ["predict.ts", "cog.yaml", "package.json", "tsconfig.json", ".gitignore", ".dockerignore"]) {
    assert.ok(existsSync(join(project, file)), `tscog init wrote ${file}`);
  }
  assert.match(init.stderr, /Next: cd my-model && npm install && tscog predict/);
  const pkg = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  assert.match(pkg.dependencies.tscog!, /^file:\//);
  assert.ok(pkg.devDependencies.typescript, "typescript is a devDependency (tsc, editors)");

  // Nothing is overwritten: a second init refuses, and --force leaves the setup files alone and says so.
  writeFileSync(join(project, ".gitignore"), "mine\n");
  const again = await sh("tscog", ["init"], project, globalPrefix);
  assert.equal(again.code, 2, again.stderr);
  assert.match(again.stderr, /cog\.yaml already exists/);
  const forced = await sh("tscog", ["init", "--force"], project, globalPrefix);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, /Kept existing files \(not overwritten\): package\.json, tsconfig\.json, \.gitignore, \.dockerignore\./);
  assert.equal(readFileSync(join(project, ".gitignore"), "utf8"), "mine\n");

  // README: `npm install` in the project (here from npm's cache: no registry needed).
  const deps = await sh("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], project, globalPrefix);
  assert.equal(deps.code, 0, deps.stderr);
  assert.doesNotMatch(deps.stderr, /npm warn/i);

  const predict = await sh("tscog", ["predict", "-i", "prompt=world", "-i", "repeat=2"], project, globalPrefix);
  assert.equal(predict.code, 0, predict.stderr);
  assert.equal(predict.stdout, "Hello, world! \nHello, world! \n");

  // The editor's view: `tsc` finds the "tscog" module and its types.
  const tsc = await sh("npx", ["tsc", "--noEmit"], project, globalPrefix);
  assert.equal(tsc.code, 0, tsc.stdout + tsc.stderr);
  const source = readFileSync(join(project, "predict.ts"), "utf8");
  writeFileSync(join(project, "predict.ts"), `${source}const n: number = "str";\n`);
  const line = source.split("\n").length;
  const check = await sh("tscog", ["check"], project, globalPrefix);
  assert.equal(check.code, 2, check.stderr);
  assert.match(check.stderr, new RegExp(`^predict\\.ts:${line}:7 Type 'string' is not assignable to type 'number'\\.`, "m"));
  assert.match(check.stderr, /TypeScript \d+\.\d+\.\d+, tsconfig\.json/);
  writeFileSync(join(project, "predict.ts"), source);

  // README: `tscog build --output oci:DIR` (the base comes from the local Node runtime; no registry, no Docker).
  const layout = join(root, "image");
  const build = await sh("tscog", ["build", "--output", `oci:${layout}`, "--progress", "plain"], project, globalPrefix);
  assert.equal(build.code, 0, build.stderr);
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as { manifests: { digest: string }[] };
  assert.equal(index.manifests[0]!.digest, build.stdout.trim());
  assert.ok(existsSync(join(layout, "blobs", "sha256", build.stdout.trim().slice("sha256:".length))));
});

test("the repository's npm setup: npx tscog prints no npm warnings, and every install script is reviewed", async (t) => {
  const root = mkdtempSync(join(tmpdir(), "tscog-npm-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const help = await sh("npx", ["tscog", "--help"], REPO, root);
  assert.equal(help.code, 0, help.stderr);
  assert.equal(help.stderr, "", "no npm warnings (e.g. an unknown .npmrc key) on every npx call");

  // npm 11's install-script policy (package.json "allowScripts"): nothing left for `npm ci` to warn about.
  const scripts = await sh("npm", ["install-scripts", "ls"], REPO, root);
  if (/Unknown command/i.test(scripts.stderr + scripts.stdout)) return t.skip("this npm has no install-script policy (npm 10 runs every script; ONNXRUNTIME_NODE_INSTALL=skip covers it)");
  assert.equal(scripts.code, 0, scripts.stderr);
  assert.match(scripts.stdout, /No packages with unreviewed install scripts/);
  const policy = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { allowScripts?: Record<string, boolean> }).allowScripts;
  assert.equal(policy?.["onnxruntime-node"], false, "onnxruntime-node's script downloads CUDA libraries: never run at install");
});
