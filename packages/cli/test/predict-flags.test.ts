import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { makeProject } from "@tscog/runtime/testing";
import { BIN, runCli } from "./run-cli.js";

const ENV_PROJECT = {
  "cog.yaml": 'predict: "predict.ts:Predictor"\nenvironment:\n  - GREETING=from-cog-yaml\n  - OTHER=kept\n',
  "predict.ts": `import { BasePredictor, Input, type InputsOf } from "tscog";
const inputs = { name: Input.string({ default: "GREETING" }) };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ name }: InputsOf<typeof inputs>): Promise<string> {
    return name + "=" + (process.env[name] ?? "(unset)");
  }
}
`,
};

test("predict -e NAME=value sets the predictor's environment over cog.yaml's; a malformed -e is a usage error", async () => {
  const dir = makeProject(ENV_PROJECT);
  const r = await runCli(["predict", "-e", "GREETING=from-flag", "-e", "EXTRA=x=y"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "GREETING=from-flag\n");
  const extra = await runCli(["predict", "-i", "name=EXTRA", "-e", "EXTRA=x=y"], { cwd: dir });
  assert.equal(extra.stdout, "EXTRA=x=y\n", "only the first = splits");
  const kept = await runCli(["predict", "-i", "name=OTHER", "-e", "GREETING=z"], { cwd: dir });
  assert.equal(kept.stdout, "OTHER=kept\n");

  const bad = await runCli(["predict", "-e", "1BAD=v"], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /error: -e "1BAD=v": expected NAME=value/);
});

test("--output-format json prints the prediction object for -i inputs; --json with --output-format text prints the plain output", async () => {
  const dir = makeProject(ENV_PROJECT);
  const json = await runCli(["predict", "-i", "name=OTHER", "--output-format", "json"], { cwd: dir });
  assert.equal(json.code, 0, json.stderr);
  const prediction = JSON.parse(json.stdout);
  assert.equal(prediction.status, "succeeded");
  assert.equal(prediction.output, "OTHER=kept");
  assert.deepEqual(prediction.input, { name: "OTHER" });

  const asCog = await runCli(["predict", "--json", '{"name": "OTHER"}'], { cwd: dir });
  assert.equal(JSON.parse(asCog.stdout).output, "OTHER=kept", "--json alone prints the prediction object, as cog predict --json does");

  const text = await runCli(["predict", "--json", '{"name": "OTHER"}', "--output-format", "text"], { cwd: dir });
  assert.equal(text.stdout, "OTHER=kept\n");

  const wrong = await runCli(["predict", "--output-format", "yaml"], { cwd: dir });
  assert.equal(wrong.code, 2);
});

test("predict --setup-timeout fails a setup() that takes too long with TIMEOUT, and the process ends", { timeout: 120_000 }, async () => {
  const dir = makeProject({
    "cog.yaml": 'predict: "predict.ts:Predictor"\n',
    "predict.ts": `import { BasePredictor } from "tscog";
export class Predictor extends BasePredictor {
  async setup() {
    console.log("loading forever");
    await new Promise((r) => setInterval(() => {}, 1000));
  }
  async predict(): Promise<string> { return "never"; }
}
`,
  });
  const r = await runCli(["predict", "--setup-timeout", "1"], { cwd: dir });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /loading forever/);
  assert.match(r.stderr, /error: setup\(\) did not finish within 1 s\.\nRaise it with --setup-timeout SECONDS/);
  const bad = await runCli(["predict", "--setup-timeout", "soon"], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--setup-timeout must be a number of seconds >= 0/);
});

test("serve -e NAME=value reaches the predictor's thread, over cog.yaml's environment as in predict", { timeout: 120_000 }, async (t) => {
  const dir = makeProject(ENV_PROJECT);
  const child = spawn(process.execPath, [BIN, "serve", "-C", dir, "--port", "0", "-e", "EXTRA=served", "-e", "GREETING=from-flag"], { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  t.after(async () => {
    child.kill("SIGTERM");
    await exited;
  });
  let stderr = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m && stderr.includes("ready")) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  const output = async (name: string) => {
    const res = await fetch(`${url}/predictions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: { name } }) });
    return ((await res.json()) as { output: string }).output;
  };
  assert.equal(await output("EXTRA"), "EXTRA=served");
  assert.equal(await output("GREETING"), "GREETING=from-flag");
  assert.equal(await output("OTHER"), "OTHER=kept");
});
