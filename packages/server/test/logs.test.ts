/**
 * The server's log lines: one per request and per finished prediction, the
 * predictor's output and crash reports prefixed with the prediction id, setup
 * output, text and JSON formats, levels, and secrets never appearing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeProject } from "@tscog/runtime/testing";
import { Logger, serve } from "../src/index.js";
import { postJson, startFake } from "./helpers.js";

const SECRET = "sk-live-DO-NOT-LOG-4242";

/** A logger that keeps its lines. */
function capture(format: "text" | "json", level: "debug" | "info" | "warn" | "error" = "info") {
  const lines: string[] = [];
  return { lines, logger: new Logger({ format, level, write: (line) => lines.push(line) }) };
}

const json = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

test("Logger: text and JSON lines, one per call; levels filter", () => {
  const text = capture("text", "info");
  text.logger.debug("hidden");
  text.logger.info("hello world", { route: "/predictions", status: 200, note: "two words", none: undefined });
  text.logger.error("multi\nline");
  assert.equal(text.lines.length, 2);
  assert.match(text.lines[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  hello world route=\/predictions status=200 note="two words"\n$/);
  assert.match(text.lines[1], /ERROR multi\\nline\n$/);

  const j = capture("json", "warn");
  j.logger.info("hidden");
  j.logger.warn("careful", { id: "abc", n: 1, ok: true });
  assert.equal(j.lines.length, 1);
  const entry = JSON.parse(j.lines[0]);
  assert.equal(entry.level, "warn");
  assert.equal(entry.msg, "careful");
  assert.deepEqual([entry.id, entry.n, entry.ok], ["abc", 1, true]);
  assert.ok(!Number.isNaN(Date.parse(entry.time)));
  assert.ok(j.lines[0].endsWith("}\n") && !j.lines[0].slice(0, -1).includes("\n"));

  assert.equal(new Logger({ isTerminal: true }).format, "text");
  assert.equal(new Logger({ isTerminal: false }).format, "json");
});

test("one line per request (route, status, duration; no query string) and per finished prediction", async () => {
  const { lines, logger } = capture("json", "info");
  const token = "log-token-7";
  const server = await startFake({}, { token, observability: { logger } });
  try {
    const auth = { authorization: `Bearer ${token}` };
    const first = lines.length;
    const sync = await (await postJson(`${server.url}/predictions`, { input: { mode: "tokens", n: 3, api_key: SECRET } }, auth)).json();
    const created = await (await postJson(`${server.url}/v1/predictions`, { version: "v", input: { mode: "tokens", n: 4 }, stream: true }, auth)).json();
    assert.match(created.urls.stream, /\?token=/);
    await (await fetch(created.urls.stream, { headers: { accept: "text/event-stream" } })).text();
    await fetch(`${server.url}/health-check`);
    await fetch(`${server.url}/predictions/nope`, { headers: auth });
    const entries = json(lines.slice(first));

    const requests = entries.filter((e) => e.msg === "request");
    assert.deepEqual(
      requests.map((e) => `${e.method} ${e.route} ${e.status}`),
      ["POST /predictions 200", "POST /v1/predictions 201", `GET /v1/predictions/:id/stream 200`, "GET /predictions/:id 404"],
      "health checks are logged at debug level only",
    );
    for (const r of requests) assert.equal(typeof r.duration_ms, "number");
    assert.equal(requests[2].path, `/v1/predictions/${created.id}/stream`);

    const predictions = entries.filter((e) => e.msg === "prediction");
    assert.deepEqual(
      predictions.map((e) => [e.id, e.status, e.dialect, e.chunks]),
      [
        [sync.id, "succeeded", "cog", 3],
        [created.id, "succeeded", "replicate", 4],
      ],
    );
    for (const p of predictions) {
      assert.equal(typeof p.duration_ms, "number");
      assert.equal(typeof p.queue_ms, "number");
      assert.equal(typeof p.first_output_ms, "number");
    }
    const all = lines.join("");
    assert.doesNotMatch(all, new RegExp(SECRET), "inputs are never logged");
    assert.doesNotMatch(all, /token=|log-token-7/, "the stream token never appears");
    assert.match(all, /"level":"info","msg":"setup succeeded"/);
  } finally {
    await server.close({ graceMs: 100 });
  }
});

const PREDICT = `import { BasePredictor, Input, type InputsOf } from "tscog";
const inputs = {
  key: Input.secret({ description: "API key" }),
  mode: Input.string({ default: "ok", choices: ["ok", "fail", "crash"] }),
};
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async setup() { console.log("loading the model"); console.log("model loaded"); }
  async predict({ key, mode }: InputsOf<typeof inputs>): Promise<string> {
    console.log("using key " + key.value);
    console.log("step one\\nstep two");
    if (mode === "fail") throw new Error("the key " + key.value + " was refused");
    if (mode === "crash") { setTimeout(() => process.exit(9), 1); await new Promise((r) => setTimeout(r, 2000)); }
    return "done";
  }
}
`;

test("a real project: setup output, the predictor's output prefixed with its id, failures and crash reports, secrets masked", async () => {
  const { lines, logger } = capture("text", "info");
  const dir = makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\n', "predict.ts": PREDICT });
  const server = await serve({ dir, observability: { logger } });
  try {
    await server.ready;
    assert.equal(server.service.health().status, "READY", server.service.health().setup.logs);
    const ok = await (await postJson(`${server.url}/predictions`, { input: { key: SECRET } })).json();
    assert.equal(ok.status, "succeeded");
    const failed = await (await postJson(`${server.url}/predictions`, { input: { key: SECRET, mode: "fail" } })).json();
    assert.equal(failed.status, "failed");
    const crashed = await (await postJson(`${server.url}/predictions`, { input: { key: SECRET, mode: "crash" } })).json();
    assert.equal(crashed.status, "failed");
    for (let i = 0; i < 200 && server.service.health().status !== "READY"; i++) await new Promise((r) => setTimeout(r, 50));

    const text = lines.join("");
    assert.match(text, /INFO  \[setup\] loading the model\n/);
    assert.match(text, /INFO  \[setup\] model loaded\n/);
    assert.match(text, /INFO  setup succeeded duration_ms=\d+/);
    assert.match(text, new RegExp(`INFO  \\[${ok.id}\\] using key \\*{10}\\n`));
    assert.match(text, new RegExp(`INFO  \\[${ok.id}\\] step one\\n.*INFO  \\[${ok.id}\\] step two\\n`));
    assert.match(text, new RegExp(`INFO  prediction id=${ok.id} status=succeeded dialect=cog duration_ms=\\d+ queue_ms=\\d+ chunks=0\\n`));
    assert.match(text, new RegExp(`WARN  prediction id=${failed.id} status=failed .*error=".*the key \\*{10} was refused`));
    assert.match(text, new RegExp(`WARN  prediction id=${crashed.id} status=failed`));
    assert.match(text, /ERROR predictor crashed; restarting it reason=/);
    assert.equal(text.match(/\[setup\] loading the model/g)?.length, 2, "setup output again after the restart");
    assert.doesNotMatch(text, new RegExp(SECRET));
    for (const line of lines) assert.ok(line.endsWith("\n") && !line.slice(0, -1).includes("\n"), `one line: ${JSON.stringify(line)}`);
  } finally {
    await server.close({ graceMs: 100 });
  }
});
