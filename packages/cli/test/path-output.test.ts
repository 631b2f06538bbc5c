import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { isDockerAvailable } from "@tscog/image";
import { makeProject, needComponent } from "@tscog/runtime/testing";
import { runCli } from "./run-cli.js";

const COG = 'predict: "predict.ts:Predictor"\n';
const HEAD = `import { BasePredictor, Input, type InputsOf, type Path } from "tscog";
import { mkdtemp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
async function file(name: string, text: string): Promise<Path> {
  const f = join(await mkdtemp(join(tmpdir(), "tscog-path-out-")), name);
  await writeFile(f, text);
  return f as Path;
}
const inputs = { text: Input.string({ default: "hello" }) };
`;
const ONE = `${HEAD}export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ text }: InputsOf<typeof inputs>): Promise<Path> { return file("picture.png", text); }
}
`;
const LIST = `${HEAD}export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ text }: InputsOf<typeof inputs>): Promise<Path[]> { return [await file("a.txt", text + "0"), await file("b.txt", text + "1")]; }
}
`;
const STREAM = `${HEAD}export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async *predict({ text }: InputsOf<typeof inputs>): AsyncGenerator<Path> {
    for (let i = 0; i < 3; i++) yield file("frame.wav", text + i);
  }
}
`;

test("a Path output is written to output.<ext> in the current directory, and stderr says where", async () => {
  const dir = makeProject({ "cog.yaml": COG, "predict.ts": ONE });
  const r = await runCli(["predict", "-i", "text=pixels"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(dir, "output.png"), "utf8"), "pixels");
  assert.match(r.stderr, /Written output to output\.png/);
  assert.doesNotMatch(r.stdout, /tscog-path-out-/, "no temp path on stdout");

  const named = await runCli(["predict", "-i", "text=x", "-o", "named.png"], { cwd: dir });
  assert.equal(named.code, 0, named.stderr);
  assert.equal(readFileSync(join(dir, "named.png"), "utf8"), "x");
});

test("several file outputs become output.0.ext, output.1.ext…; -o PATH.ext gives PATH.0.ext…; --output-format json lists the paths", async () => {
  const dir = makeProject({ "cog.yaml": COG, "predict.ts": LIST });
  const r = await runCli(["predict", "-i", "text=t"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(dir, "output.0.txt"), "utf8"), "t0");
  assert.equal(readFileSync(join(dir, "output.1.txt"), "utf8"), "t1");

  const json = await runCli(["predict", "-i", "text=j", "-o", "res.txt", "--output-format", "json"], { cwd: dir });
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout).output, ["res.0.txt", "res.1.txt"]);
  assert.equal(readFileSync(join(dir, "res.1.txt"), "utf8"), "j1");

  const stream = makeProject({ "cog.yaml": COG, "predict.ts": STREAM });
  const s = await runCli(["predict"], { cwd: stream });
  assert.equal(s.code, 0, s.stderr);
  assert.deepEqual([0, 1, 2].map((i) => readFileSync(join(stream, `output.${i}.wav`), "utf8")), ["hello0", "hello1", "hello2"]);
  assert.equal(s.stdout, "");
});

test("-o onto a directory or into a missing directory is a clear CANNOT_WRITE error (exit 8) before anything runs", async () => {
  const dir = makeProject({ "cog.yaml": COG, "predict.ts": ONE.replace("async predict", "async setup() { console.log('SETUP RAN'); }\n  async predict") });
  mkdirSync(join(dir, "existing"));
  const onDir = await runCli(["predict", "-o", "existing"], { cwd: dir });
  assert.equal(onDir.code, 8, onDir.stderr);
  assert.match(onDir.stderr, /error: -o existing is a directory; the output is a file\.\nGive a file name, e\.g\. -o existing\/output\.png\./);
  assert.doesNotMatch(onDir.stderr, /bug in tscog|SETUP RAN/);

  const missing = await runCli(["predict", "-o", "nowhere/out.png"], { cwd: dir });
  assert.equal(missing.code, 8, missing.stderr);
  assert.match(missing.stderr, /error: -o nowhere\/out\.png: the directory .*nowhere does not exist\./);
  assert.equal(existsSync(join(dir, "nowhere")), false);

  // The default name taken by a directory: said plainly too.
  mkdirSync(join(dir, "output.png"));
  const taken = await runCli(["predict"], { cwd: dir });
  assert.equal(taken.code, 8, taken.stderr);
  assert.match(taken.stderr, /the output file output\.png is a directory/);
});

test("text outputs still print to stdout, and -o also writes them", async () => {
  const dir = makeProject({
    "cog.yaml": COG,
    "predict.ts": `import { BasePredictor, Input, type InputsOf } from "tscog";
const inputs = { text: Input.string() };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ text }: InputsOf<typeof inputs>): Promise<string> { return text.toUpperCase(); }
}
`,
  });
  writeFileSync(join(dir, "old.txt"), "old");
  const r = await runCli(["predict", "-i", "text=abc", "-o", "old.txt"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "ABC\n");
  assert.equal(readFileSync(join(dir, "old.txt"), "utf8"), "ABC");
});

test("predict --image writes a Path output to output.<ext> instead of printing its data: URI; -e reaches the container", { timeout: 600_000 }, async (t) => {
  if (!needComponent(t, await isDockerAvailable(), "no Docker engine is running (scripts/ci-services.sh starts one)")) return;
  const tag = `tscog-path-output-${process.pid}:latest`;
  const dir = makeProject({
    "cog.yaml": COG,
    "predict.ts": ONE.replace("return file(\"picture.png\", text);", "return file(\"picture.png\", text + \":\" + (process.env.FLAVOR ?? \"none\"));"),
  });
  t.after(() => execFileSync("docker", ["rmi", "-f", tag], { stdio: "ignore" }));
  const build = await runCli(["build", "-t", tag, "--progress", "quiet"], { cwd: dir });
  assert.equal(build.code, 0, build.stderr);
  const out = makeProject({});
  const r = await runCli(["predict", "--image", tag, "-i", "text=boxed", "-e", "FLAVOR=mint"], { cwd: out });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(join(out, "output.png"), "utf8"), "boxed:mint");
  assert.doesNotMatch(r.stdout + r.stderr, /data:/);
  assert.match(r.stderr, /Written output to output\.png/);

  const json = await runCli(["predict", "--image", tag, "-o", "pic.png", "--output-format", "json"], { cwd: out });
  assert.equal(json.code, 0, json.stderr);
  assert.equal(JSON.parse(json.stdout).output, "pic.png");
  assert.equal(readFileSync(join(out, "pic.png"), "utf8"), "hello:none");
});
