import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { TscogServer } from "../src/index.js";
import { postJson, startFake } from "./helpers.js";

interface Hit {
  body: any;
  auth?: string;
  status: number;
}
let hook: Server;
let hookUrl = "";
let hits: Hit[] = [];
let failCompletedTimes = 0;
let server: TscogServer;

before(async () => {
  hook = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8").on("data", (c) => (text += c)).on("end", () => {
      const body = JSON.parse(text);
      let status = 200;
      if (["succeeded", "failed", "canceled"].includes(body.status) && failCompletedTimes > 0) {
        failCompletedTimes--;
        status = 503;
      }
      hits.push({ body, auth: req.headers.authorization, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
  hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
  server = await startFake({}, { concurrency: 4, webhook: { authToken: "hook-secret", allowedHosts: ["127.0.0.1"], throttleMs: 100, retryDelaysMs: [20, 20, 20] } });
});
after(async () => {
  await server.close({ graceMs: 100 });
  hook.close();
});

async function waitFor(pred: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) assert.fail("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("async prediction: start, throttled output, completed; bearer token sent", async () => {
  hits = [];
  const res = await postJson(`${server.url}/predictions`, { input: { mode: "tokens", n: 50, delay_ms: 10 }, webhook: hookUrl }, { prefer: "respond-async" });
  assert.equal(res.status, 202);
  await waitFor(() => hits.some((h) => h.body.status === "succeeded"));
  // Cog sends the start webhook when the prediction starts running.
  assert.equal(hits[0].body.status, "processing");
  assert.ok(hits[0].body.started_at);
  assert.ok(hits.every((h) => h.auth === "Bearer hook-secret"));
  const last = hits.at(-1)!.body;
  assert.equal(last.status, "succeeded");
  assert.equal(last.output.length, 50);
  // 50 chunks over ~500 ms with a 100 ms throttle: a handful of output webhooks, not 50.
  const progress = hits.filter((h) => h.body.status === "processing").length;
  assert.ok(progress >= 1 && progress <= 10, `progress webhooks: ${progress}`);
});

test("webhook_events_filter limits events; the terminal webhook is retried on 5xx", async () => {
  hits = [];
  failCompletedTimes = 2;
  await postJson(`${server.url}/predictions`, { input: { mode: "tokens", n: 5 }, webhook: hookUrl, webhook_events_filter: ["completed"] }, { prefer: "respond-async" });
  await waitFor(() => hits.some((h) => h.status === 200));
  assert.deepEqual(hits.map((h) => h.status), [503, 503, 200]);
  assert.ok(hits.every((h) => h.body.status === "succeeded"));
});

test("Replicate dialect webhooks carry urls; bad webhook fields are 422", async () => {
  hits = [];
  await postJson(`${server.url}/v1/predictions`, { input: { mode: "echo" }, webhook: hookUrl, webhook_events_filter: ["completed"] });
  await waitFor(() => hits.length > 0);
  assert.match(hits[0].body.urls.stream, /\/v1\/predictions\/.+\/stream$/);
  const bad = await postJson(`${server.url}/predictions`, { input: {}, webhook: "ftp://x", webhook_events_filter: ["nope"] });
  assert.equal(bad.status, 422);
  assert.equal((await bad.json()).detail.length, 2);
});
