import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { isDockerAvailable } from "@tscog/image";
import { makeProject, needComponent } from "@tscog/runtime/testing";
import { BIN, runCli } from "./run-cli.js";

const TAG = `tscog-cli-test-${process.pid}:latest`;

const containers = () => execFileSync("docker", ["ps", "-aq", "--filter", `ancestor=${TAG}`], { encoding: "utf8" }).trim();

test("tscog build, then tscog predict --image streams from the container and cleans up", { timeout: 300_000 }, async (t) => {
  if (!needComponent(t, await isDockerAvailable(), "no Docker engine is running (scripts/ci-services.sh starts one)")) return;
  const dir = makeProject({
    "cog.yaml": 'predict: "predict.ts:Predictor"\n',
    "predict.ts": `import { BasePredictor, Input, type ConcatenateIterator, type InputsOf } from "tscog";
const inputs = { word: Input.string(), n: Input.integer({ default: 2, le: 10 }) };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async *predict({ word, n }: InputsOf<typeof inputs>): ConcatenateIterator<string> {
    console.log("in the container");
    for (let i = 0; i < n; i++) yield word + i + " ";
  }
}
`,
  });
  t.after(() => {
    // Even when an assertion failed midway: no container or image of this test is left behind.
    const left = containers();
    if (left) execFileSync("docker", ["rm", "-f", ...left.split("\n")], { stdio: "ignore" });
    execFileSync("docker", ["rmi", "-f", TAG], { stdio: "ignore" });
  });
  const build = await runCli(["build", "-t", TAG, "--progress", "plain"], { cwd: dir });
  assert.equal(build.code, 0, build.stderr);

  const r = await runCli(["predict", "--image", TAG, "-i", "word=box", "-i", "n=3"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "box0 box1 box2 \n");
  assert.match(r.stderr, /in the container/);
  assert.equal(containers(), "", "the container is removed");

  const bad = await runCli(["predict", "--image", TAG, "-i", "word=x", "-i", "n=11"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /input "n" must be less than or equal to 10/);
  assert.equal(containers(), "");

  // tscog serve --image: the seed's flow against the container, then Ctrl-C.
  const child = spawn(process.execPath, [BIN, "serve", "--image", TAG, "--port", "0"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      const m = /is ready at (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on("exit", () => reject(new Error(`serve exited: ${stderr}`)));
  });
  const created = await fetch(`${url}/v1/predictions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ version: "x", input: { word: "sse", n: 2 }, stream: true }),
  });
  assert.equal(created.status, 201);
  const prediction = (await created.json()) as { urls: { stream: string } };
  const sse = await (await fetch(prediction.urls.stream, { headers: { accept: "text/event-stream" } })).text();
  assert.match(sse, /event: output\nid: \S+\ndata: sse0 \n\nevent: output\nid: \S+\ndata: sse1 \n/);
  assert.match(sse, /event: done\nid: \S+\ndata: \{\}/);
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  child.kill("SIGINT");
  assert.equal(await exited, 0);
  assert.equal(containers(), "");
});
