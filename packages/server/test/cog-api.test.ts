import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { TscogServer } from "../src/index.js";
import { parseSse, postJson, startFake } from "./helpers.js";

let server: TscogServer;
before(async () => {
  server = await startFake({}, { concurrency: 2 });
});
after(() => server.close({ graceMs: 100 }));

test("health-check is READY with setup details; probes give status codes", async () => {
  const res = await fetch(`${server.url}/health-check`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.status, "READY");
  assert.equal(body.setup.status, "succeeded");
  assert.match(body.setup.logs, /loading weights/);
  assert.ok(body.setup.started_at && body.setup.completed_at);
  assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
  assert.equal((await fetch(`${server.url}/livez`)).status, 200);
  const openapi = await (await fetch(`${server.url}/openapi.json`)).json();
  assert.ok(openapi.components.schemas.Input);
});

test("synchronous POST /predictions returns the finished prediction", async () => {
  const res = await postJson(`${server.url}/predictions`, { input: { mode: "tokens", n: 3 } });
  assert.equal(res.status, 200);
  const p = await res.json();
  assert.equal(p.status, "succeeded");
  assert.deepEqual(p.output, ["t0 ", "t1 ", "t2 "]);
  for (const k of ["id", "input", "logs", "error", "created_at", "started_at", "completed_at"]) assert.ok(k in p, k);
  assert.equal(typeof p.metrics.predict_time, "number");
});

test("Prefer: respond-async gives 202 and a starting prediction", async () => {
  const res = await postJson(`${server.url}/predictions`, { input: { mode: "echo" } }, { prefer: "respond-async" });
  assert.equal(res.status, 202);
  const p = await res.json();
  assert.equal(p.status, "starting");
  assert.ok(p.id);
});

test("Accept: text/event-stream streams start, output, log and completed", async () => {
  const res = await postJson(`${server.url}/predictions`, { input: { mode: "logs" } }, { accept: "text/event-stream" });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /text\/event-stream/);
  const events = parseSse(await res.text());
  assert.deepEqual(events.map((e) => e.event), ["start", "log", "output", "log", "output", "completed"]);
  assert.deepEqual(JSON.parse(events[2].data), { chunk: "a", index: 0 });
  assert.deepEqual(JSON.parse(events[4].data), { chunk: "b", index: 1 });
  assert.deepEqual(JSON.parse(events[1].data), { source: "stdout", data: "first log line\n" });
  const done = JSON.parse(events[5].data);
  assert.equal(done.status, "succeeded");
  assert.deepEqual(done.output, ["a", "b"]);
});

test("metrics the predictor records arrive as metric events and in the prediction's metrics", async () => {
  const res = await postJson(`${server.url}/predictions`, { input: { mode: "metrics" } }, { accept: "text/event-stream" });
  const events = parseSse(await res.text());
  assert.deepEqual(events.map((e) => e.event), ["start", "metric", "output", "metric", "completed"]);
  assert.deepEqual(JSON.parse(events[1].data), { name: "tokens", value: 1, mode: "replace" });
  assert.deepEqual(JSON.parse(events[3].data), { name: "tokens", value: 2, mode: "replace" });
  const done = JSON.parse(events[4].data);
  assert.equal(done.metrics.tokens, 2);
  assert.equal(typeof done.metrics.predict_time, "number");
});

test("PUT /predictions/{id} is idempotent and re-attaches with replay", async () => {
  const id = `put${Date.now()}`;
  const first = await fetch(`${server.url}/predictions/${id}`, {
    method: "PUT",
    headers: { "content-type": "application/json", prefer: "respond-async" },
    body: JSON.stringify({ input: { mode: "slow", n: 4, delay_ms: 40 } }),
  });
  assert.equal(first.status, 202);
  const again = await fetch(`${server.url}/predictions/${id}`, {
    method: "PUT",
    headers: { "content-type": "application/json", accept: "text/event-stream", "last-event-id": "0:1" },
    body: JSON.stringify({ input: { mode: "slow", n: 4, delay_ms: 40 } }),
  });
  const events = parseSse(await again.text());
  // Resumed after event 1 (start=0, s0=1): s1, s2, s3, completed.
  assert.deepEqual(events.filter((e) => e.event === "output").map((e) => JSON.parse(e.data).chunk), ["s1", "s2", "s3"]);
  assert.equal(events.at(-1)!.event, "completed");
});

/** Polls GET /predictions/{id} every 20 ms until it has `status`. */
async function waitForStatus(id: string, status: string, tries: number, failure: string): Promise<void> {
  for (let i = 0; i < tries; i++) {
    const p = await (await fetch(`${server.url}/predictions/${id}`)).json();
    if (p.status === status) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(failure);
}

test("cancel endpoint stops the generator and the status becomes canceled", async () => {
  const res = await postJson(`${server.url}/predictions`, { input: { mode: "slow", n: 1000, delay_ms: 20 } }, { prefer: "respond-async" });
  const { id } = await res.json();
  await new Promise((r) => setTimeout(r, 60));
  const c = await fetch(`${server.url}/predictions/${id}/cancel`, { method: "POST" });
  assert.equal(c.status, 200);
  await waitForStatus(id, "canceled", 50, "prediction was not canceled");
});

test("a client that disconnects from its stream cancels the prediction", async () => {
  const controller = new AbortController();
  const res = await fetch(`${server.url}/predictions`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ input: { mode: "slow", n: 1000, delay_ms: 10 } }),
    signal: controller.signal,
  });
  const reader = res.body!.getReader();
  const id = JSON.parse(parseSse(new TextDecoder().decode((await reader.read()).value))[0].data).id;
  controller.abort();
  await waitForStatus(id, "canceled", 100, "disconnect did not cancel");
});

test("a synchronous client that goes away cancels its prediction", async () => {
  const id = `sync${Date.now()}`;
  const controller = new AbortController();
  const pending = fetch(`${server.url}/predictions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ id, input: { mode: "slow", n: 1000, delay_ms: 10 } }),
    signal: controller.signal,
  }).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 100));
  controller.abort();
  await pending;
  await waitForStatus(id, "canceled", 100, "disconnect did not cancel");
});

test("a predictor that throws fails that prediction and the server goes on", async () => {
  const p = await (await postJson(`${server.url}/predictions`, { input: { mode: "throw" } })).json();
  assert.equal(p.status, "failed");
  assert.equal(p.error, "the model exploded on purpose");
  assert.deepEqual(p.output, ["partial"]);
  const ok = await (await postJson(`${server.url}/predictions`, { input: { mode: "echo", text: "still here" } })).json();
  assert.deepEqual(ok.output, ["still here"]);
});

test("bad requests: 400, 422 with detail, 404, 405, 413 — all JSON", async () => {
  const malformed = await fetch(`${server.url}/predictions`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
  assert.equal(malformed.status, 400);
  assert.equal((await malformed.json()).code, "BAD_REQUEST");
  const invalid = await postJson(`${server.url}/predictions`, { input: { mode: "nope", n: "three", extra: 1 } });
  assert.equal(invalid.status, 422);
  const detail = (await invalid.json()).detail;
  assert.ok(Array.isArray(detail));
  const fields = detail.map((d: { loc: string[] }) => d.loc.join("."));
  for (const f of ["body.input.mode", "body.input.n", "body.input.extra"]) assert.ok(fields.includes(f), `${f} in ${fields}`);
  const missing = await fetch(`${server.url}/predictions/nosuchid`);
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).code, "NOT_FOUND");
  const wrong = await fetch(`${server.url}/predictions`, { method: "DELETE" });
  assert.equal(wrong.status, 405);
  assert.match(wrong.headers.get("allow")!, /POST/);
  assert.equal((await wrong.json()).code, "METHOD_NOT_ALLOWED");
  const huge = await fetch(`${server.url}/predictions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: { text: "x".repeat(17 * 1024 * 1024) } }) });
  assert.equal(huge.status, 413);
  assert.equal((await huge.json()).code, "PAYLOAD_TOO_LARGE");
});

test("beyond concurrency.max: 409 with Retry-After, without waiting for a slot", async () => {
  const ids = await Promise.all(
    [1, 2].map(async () => (await (await postJson(`${server.url}/predictions`, { input: { mode: "hang" } }, { prefer: "respond-async" })).json()).id),
  );
  const res = await postJson(`${server.url}/predictions`, { input: { mode: "echo" } });
  assert.equal(res.status, 409);
  // Answered while both slots are still taken: the request did not wait for one.
  for (const id of ids) assert.equal((await (await fetch(`${server.url}/predictions/${id}`)).json()).status, "processing");
  assert.equal(res.headers.get("retry-after"), "1");
  assert.equal((await fetch(`${server.url}/health-check`).then((r) => r.json())).status, "BUSY");
  assert.equal((await fetch(`${server.url}/readyz`)).status, 503);
  await Promise.all(ids.map((id) => fetch(`${server.url}/predictions/${id}/cancel`, { method: "POST" })));
  for (let i = 0; i < 100 && (await fetch(`${server.url}/health-check`).then((r) => r.json())).status !== "READY"; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
});

test("health-check answers while the predictor saturates its thread", async () => {
  // 300 chunks of 20 ms busy loops: the predictor's thread is never idle for 6 s.
  const res = await postJson(`${server.url}/predictions`, { input: { mode: "spin", n: 300, delay_ms: 20 } }, { prefer: "respond-async" });
  const { id } = await res.json();
  for (let i = 0; i < 20; i++) assert.ok(["READY", "BUSY"].includes((await (await fetch(`${server.url}/health-check`)).json()).status));
  // Event order, not time: those answers came back while the prediction was still computing
  // (speed under load is measured in scripts/bench-server.mjs).
  const during = await (await fetch(`${server.url}/predictions/${id}`)).json();
  assert.equal(during.status, "processing");
  assert.ok(during.output.length < 300);
  await fetch(`${server.url}/predictions/${id}/cancel`, { method: "POST" });
});

test("a prediction stuck in synchronous code is canceled by restarting its thread", async () => {
  const stuck = await startFake({}, { cancelTimeoutMs: 300 });
  try {
    const { id } = await (await postJson(`${stuck.url}/predictions`, { input: { mode: "stuck" } }, { prefer: "respond-async" })).json();
    await new Promise((r) => setTimeout(r, 100));
    await fetch(`${stuck.url}/predictions/${id}/cancel`, { method: "POST" });
    let p: any;
    for (let i = 0; i < 100; i++) {
      p = await (await fetch(`${stuck.url}/predictions/${id}`)).json();
      if (p.status !== "processing") break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(p.status, "canceled");
    for (let i = 0; i < 200 && (await (await fetch(`${stuck.url}/health-check`)).json()).status !== "READY"; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const ok = await (await postJson(`${stuck.url}/predictions`, { input: { mode: "echo", text: "back" } })).json();
    assert.deepEqual(ok.output, ["back"]);
  } finally {
    await stuck.close({ graceMs: 100 });
  }
});
