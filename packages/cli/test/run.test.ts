/**
 * `tscog run -- CMD…` as `cog run`: the command in the project's image with
 * the project mounted at /src (Docker), or with --local on this machine.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isDockerAvailable } from "@tscog/image";
import { makeProject, needComponent } from "@tscog/runtime/testing";
import { runImageName } from "../src/commands/run.js";
import { runCli } from "./run-cli.js";

const PROJECT = {
  "cog.yaml": 'predict: "predict.ts:Predictor"\nenvironment:\n  - FROM_COG_YAML=yes\n',
  "predict.ts": `import { BasePredictor } from "tscog";
export class Predictor extends BasePredictor {
  async predict(): Promise<string> { return "ok"; }
}
`,
  "marker.txt": "from the project dir",
};

const SCRIPT = `const fs = require("fs");
console.log([process.cwd(), process.env.FROM_COG_YAML, process.env.EXTRA, fs.readFileSync("marker.txt", "utf8")].join("|"));
fs.writeFileSync("written.txt", "by the command");
process.exit(7);`;

test("tscog run --local: runs in the project directory with cog.yaml's environment and -e; the exit code is the command's", async () => {
  const dir = makeProject(PROJECT);
  const r = await runCli(["run", "--local", "-C", dir, "-e", "EXTRA=flag", "--", process.execPath, "-e", SCRIPT]);
  assert.equal(r.code, 7, r.stderr);
  assert.equal(r.stdout, `${dir}|yes|flag|from the project dir\n`);
  assert.equal(readFileSync(join(dir, "written.txt"), "utf8"), "by the command");

  // Options after the command belong to it, even without "--".
  const passthrough = await runCli(["run", "--local", "-C", dir, process.execPath, "-e", "console.log(process.argv.length)"]);
  assert.equal(passthrough.code, 0, passthrough.stderr);
  assert.equal(passthrough.stdout, "1\n");

  const missing = await runCli(["run", "--local", "-C", dir, "--", "no-such-command-tscog"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot start "no-such-command-tscog": no such command/);
});

test("tscog run: the command runs in the project's image, /src is the project directory, -e and cog.yaml environment are set", { timeout: 600_000 }, async (t) => {
  if (!needComponent(t, await isDockerAvailable(), "no Docker engine is running (scripts/ci-services.sh starts one)")) return;
  const dir = makeProject(PROJECT);
  t.after(() => execFileSync("docker", ["rmi", "-f", runImageName(dir)], { stdio: "ignore" }));
  const r = await runCli(["run", "-C", dir, "-e", "EXTRA=flag", "--", "node", "-e", SCRIPT]);
  assert.equal(r.code, 7, r.stderr);
  assert.equal(r.stdout, "/src|yes|flag|from the project dir\n");
  assert.match(r.stderr, /Running 'node -e .*' in tscog-.*-run:latest with .* mounted at \/src/s);
  // The mount is the project directory itself: what the command writes is there afterwards.
  assert.equal(readFileSync(join(dir, "written.txt"), "utf8"), "by the command");
  // The image's Node and architecture, not this process.
  const arch = await runCli(["run", "-C", dir, "--", "node", "-p", "process.arch + ' ' + process.env.TSCOG_PROJECT_DIR"]);
  assert.equal(arch.code, 0, arch.stderr);
  assert.equal(arch.stdout.trim(), `${process.arch} /src`);
});
