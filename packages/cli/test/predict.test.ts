import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject as tempProject } from "@tscog/runtime/testing";
import { runCli } from "./run-cli.js";

const COG = 'predict: "predict.ts:Predictor"\n';
const PREDICTOR = `import { BasePredictor, Input, type ConcatenateIterator, type InputsOf, type PredictContext } from "tscog";
import { existsSync } from "node:fs";
const inputs = {
  prompt: Input.string({ description: "what to echo" }),
  times: Input.integer({ default: 1, ge: 1, le: 5 }),
  words: Input.list(Input.string(), { default: [] }),
  mode: Input.string({ choices: ["upper", "lower"], default: "lower" }),
  token: Input.secret({ optional: true }),
  gate: Input.string({ optional: true, description: "wait for this file after the first chunk" }),
};
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async setup() { console.log("setup done"); }
  async *predict(input: InputsOf<typeof inputs>, { signal }: PredictContext): ConcatenateIterator<string> {
    console.log("token is", input.token);
    const text = input.mode === "upper" ? input.prompt.toUpperCase() : input.prompt;
    for (let i = 0; i < input.times; i++) {
      yield text;
      if (input.gate) while (!existsSync(input.gate) && !signal.aborted) await new Promise((r) => setTimeout(r, 10));
    }
    for (const w of input.words) yield " " + w;
  }
}
`;

const project = () => tempProject({ "cog.yaml": COG, "predict.ts": PREDICTOR });

test("streams chunks to stdout while the predictor is still running; logs go to stderr", async () => {
  const dir = project();
  const gate = join(dir, "gate");
  const r = await runCli(["predict", "-i", "prompt=hi", "-i", "times=2", "-i", `gate=${gate}`], {
    cwd: dir,
    onStdout: (d) => {
      // The predictor waits for this file after its first chunk: if output were buffered, this would never run.
      if (d.includes("hi")) writeFileSync(gate, "");
    },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "hihi\n");
  assert.match(r.stderr, /setup done\ntoken is undefined\n/);
});

test("repeated -i builds a list, -C points at the project, --json prints the prediction", async () => {
  const dir = project();
  const r = await runCli(["predict", "-C", dir, "--json", '{"prompt": "a", "token": "xyzzy"}', "-i", "words=b", "-i", "words=c", "-i", "mode=upper"]);
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  assert.equal(p.status, "succeeded");
  assert.deepEqual(p.output, ["A", " b", " c"]);
  assert.deepEqual(p.input, { prompt: "a", token: "**********", words: ["b", "c"], mode: "upper" });
  assert.match(p.logs, /token is Secret\(\*{10}\)/);
  assert.doesNotMatch(r.stdout + r.stderr, /xyzzy/);
  assert.equal(typeof p.metrics.predict_time, "number");
});

test("--json @- reads standard input; -i name=@file reads a file; -o writes the output", async () => {
  const dir = project();
  writeFileSync(join(dir, "prompt.txt"), "from file");
  const out = join(dir, "out.txt");
  const r = await runCli(["predict", "-i", "prompt=@prompt.txt", "-o", out], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(out, "utf8"), "from file");
  const r2 = await runCli(["predict", "--json", "@-"], { cwd: dir, input: '{"prompt": "stdin"}' });
  assert.equal(JSON.parse(r2.stdout).output.join(""), "stdin");
});

for (const [name, args, pattern] of [
  ["missing required input", [], /input "prompt" is required/],
  ["unknown input name", ["-i", "prompt=x", "-i", "promtp=y"], /"promtp" is not an input of this predictor \(did you mean "prompt"\?\); allowed inputs: prompt, times/],
  ["wrong type", ["-i", "prompt=x", "-i", "times=two"], /Input "times" must be an integer, got "two"/],
  ["out of range", ["-i", "prompt=x", "-i", "times=9"], /input "times" must be less than or equal to 5 \(got 9\)/],
  ["not a choice", ["-i", "prompt=x", "-i", "mode=loud"], /input "mode" must be one of: "upper", "lower"/],
  ["malformed -i", ["-i", "prompt"], /-i expects name=value/],
  ["missing @file", ["-i", "prompt=@nope.txt"], /Input "prompt": cannot read nope\.txt .*no such file/],
  ["bad --json", ["--json", "{nope"], /--json is not valid JSON/],
  ["unknown flag", ["--nope"], /unknown option '--nope'/],
] as const) {
  test(`bad input: ${name} → exit 2, one clear message, no stack trace`, async () => {
    const r = await runCli(["predict", ...args], { cwd: project() });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.doesNotMatch(r.stderr, /setup done/, "setup() does not run for bad input");
  });
}

test("bad config and predictor problems exit 2 with the file and line", async () => {
  const typo = tempProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\nbuild:\n  gpus: true\n', "predict.ts": PREDICTOR });
  let r = await runCli(["predict", "-i", "prompt=x"], { cwd: typo });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cog\.yaml:3: unknown key "gpus" under "build" \(did you mean "gpu"\?\)/);
  r = await runCli(["predict"], { cwd: tempProject({ "cog.yaml": 'predict: "predict.ts:Nope"\n', "predict.ts": PREDICTOR }) });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /predict\.ts does not export "Nope"\. Predictor classes it exports: Predictor/);
  r = await runCli(["predict"], { cwd: tempProject({ "cog.yaml": COG }) });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /names predict\.ts, which does not exist/);
  r = await runCli(["predict"], { cwd: tempProject({}) });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /No cog\.yaml found/);
});

test("a failing prediction exits 1 with the author's file:line; setup failure exits 3", async () => {
  const failing = tempProject({
    "cog.yaml": COG,
    "predict.ts": `import { BasePredictor } from "tscog";\nexport class Predictor extends BasePredictor {\n  predict(): string {\n    throw new Error("bad model");\n  }\n}\n`,
  });
  let r = await runCli(["predict"], { cwd: failing });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /predict\.ts:4:\d+: predict\(\) failed: bad model/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  r = await runCli(["predict", "--debug"], { cwd: failing });
  assert.match(r.stderr, /\n\s+at /, "--debug shows the stack");
  const setup = tempProject({
    "cog.yaml": COG,
    "predict.ts": `import { BasePredictor } from "tscog";\nexport class Predictor extends BasePredictor {\n  async setup() { throw new Error("no gpu"); }\n  predict() { return 1; }\n}\n`,
  });
  r = await runCli(["predict"], { cwd: setup });
  assert.equal(r.code, 3);
  assert.match(r.stderr, /predict\.ts:3:\d+: setup\(\) failed: no gpu/);
});

test("schema prints the OpenAPI document without running setup()", async () => {
  const r = await runCli(["schema"], { cwd: project() });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /setup done/);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.components.schemas.Output, {
    title: "Output",
    type: "array",
    items: { type: "string" },
    "x-cog-array-type": "iterator",
    "x-cog-array-display": "concatenate",
  });
  assert.deepEqual(doc.components.schemas.Input.required, ["prompt"]);
  assert.deepEqual(Object.keys(doc.components.schemas.Input.properties), ["prompt", "times", "words", "mode", "token", "gate"]);
  for (const key of ["PredictionRequest", "PredictionResponse", "mode"]) assert.ok(doc.components.schemas[key], key);
});

test("init scaffolds a template that runs, and refuses to overwrite", async () => {
  const dir = join(tempProject({}), "proj");
  let r = await runCli(["init", dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(dir, "cog.yaml")) && existsSync(join(dir, "predict.ts")));
  r = await runCli(["predict", "-i", "prompt=there", "-i", "repeat=1"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "Hello, there! \n");
  r = await runCli(["init", dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /already exists; use --force/);
  r = await runCli(["init", dir, "--template", "helo"]);
  assert.match(r.stderr, /no template "helo" \(did you mean "hello"\?\)/);
});

test("Ctrl-C cancels a running prediction: the generator stops, exit 130", async () => {
  const { spawn } = await import("node:child_process");
  const { BIN } = await import("./run-cli.js");
  const dir = tempProject({
    "cog.yaml": COG,
    "predict.ts": `import { BasePredictor, type ConcatenateIterator, type PredictContext } from "tscog";
export class Predictor extends BasePredictor {
  async *predict(_: {}, { signal }: PredictContext): ConcatenateIterator<string> {
    try {
      for (let i = 0; ; i++) { yield "t" + i + " "; await new Promise((r) => setTimeout(r, 20)); }
    } finally { console.log("generator closed, aborted=" + signal.aborted); }
  }
}
`,
  });
  const child = spawn(process.execPath, [BIN, "predict"], { cwd: dir });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdout.once("data", () => child.kill("SIGINT"));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /generator closed, aborted=true/);
  assert.match(stderr, /The prediction was canceled/);
});
