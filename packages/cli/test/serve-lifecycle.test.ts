/**
 * `tscog serve` as an operator runs it: `POST /shutdown` exits 0, SIGTERM ends
 * open streams with a terminal event within the grace period, and a second
 * Ctrl-C exits at once even when a predictor ignores its cancel.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { test } from "node:test";
import { makeProject } from "@tscog/runtime/testing";
import { BIN } from "./run-cli.js";

const PROJECT = {
  "cog.yaml": 'predict: "predict.ts:Predictor"\nconcurrency:\n  max: 2\n',
  "predict.ts": `import { BasePredictor, Input, type ConcatenateIterator, type InputsOf } from "tscog";
const inputs = { mode: Input.string({ default: "echo" }) };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async *predict({ mode }: InputsOf<typeof inputs>): ConcatenateIterator<string> {
    yield "started ";
    // "stubborn" never looks at its signal and never ends.
    if (mode === "stubborn") await new Promise(() => {});
    yield "done";
  }
}
`,
};

/** Starts `tscog serve` on a free port; resolves with its URL once it is ready. */
function startServe(dir: string, args: string[] = []): Promise<{ child: ChildProcess; url: string; exit: Promise<{ code: number | null; ms: number }>; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, "serve", "-C", dir, "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let signaledAt = 0;
  const originalKill = child.kill.bind(child);
  child.kill = (signal?: NodeJS.Signals | number) => ((signaledAt ||= performance.now()), originalKill(signal));
  const exit = new Promise<{ code: number | null; ms: number }>((resolve) => child.on("exit", (code) => resolve({ code, ms: performance.now() - signaledAt })));
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url && stderr.includes("ready")) resolve({ child, url, exit, stderr: () => stderr });
    });
    child.on("exit", (code) => reject(new Error(`tscog serve exited ${code}: ${stderr}`)));
  });
}

test("POST /shutdown ends tscog serve with exit code 0", { timeout: 120_000 }, async () => {
  const dir = makeProject(PROJECT);
  const server = await startServe(dir);
  const res = await fetch(`${server.url}/shutdown`, { method: "POST" });
  assert.equal(res.status, 200);
  const { code } = await server.exit;
  assert.equal(code, 0, server.stderr());
});

test("a second Ctrl-C exits at once while a predictor ignores its cancel", { timeout: 120_000 }, async () => {
  const dir = makeProject(PROJECT);
  const server = await startServe(dir, ["--grace", "30"]);
  const created = await (
    await fetch(`${server.url}/v1/predictions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: { mode: "stubborn" } }) })
  ).json();
  const stream = await fetch(created.urls.stream, { headers: { accept: "text/event-stream" } });
  const reader = stream.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  assert.match(first, /event: output\nid: [^\n]+\ndata: started /);
  server.child.kill("SIGINT");
  await new Promise((r) => setTimeout(r, 300));
  // The grace period is 30 s and the predictor ignores its cancel: only the second signal ends it now.
  server.child.kill("SIGINT");
  const { code, ms } = await server.exit;
  assert.equal(code, 130, server.stderr());
  assert.ok(ms < 10_000, `exited ${ms.toFixed(0)} ms after the first signal`);
  assert.match(server.stderr(), /second signal, exiting without waiting/);
});

test("SIGTERM with a short grace: the stubborn prediction fails and its stream ends with an error and done", { timeout: 120_000 }, async () => {
  const dir = makeProject(PROJECT);
  const server = await startServe(dir, ["--grace", "0.2"]);
  const created = await (
    await fetch(`${server.url}/v1/predictions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: { mode: "stubborn" } }) })
  ).json();
  const text = fetch(created.urls.stream, { headers: { accept: "text/event-stream" } }).then((r) => r.text());
  await new Promise((r) => setTimeout(r, 300));
  server.child.kill("SIGTERM");
  const body = await text;
  assert.match(body, /event: done\nid: [^\n]+\ndata: \{"reason":"(error|canceled)"\}/);
  const { code } = await server.exit;
  assert.equal(code, 0, server.stderr());
});
