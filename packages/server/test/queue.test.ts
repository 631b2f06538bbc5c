/**
 * The prediction queue: Replicate's routes never answer 409 for being busy,
 * predictions wait in order (status `starting`, their streams open), a queued
 * cancel leaves at once, a full queue is a 429; Cog's routes keep Cog's 409.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import Replicate from "replicate";
import type { TscogServer } from "../src/index.js";
import { parseSse, postJson, startFake } from "./helpers.js";

let server: TscogServer;

before(async () => {
  server = await startFake({}, { concurrency: 1, queueMax: 3 });
});

after(async () => {
  await server.close({ graceMs: 100 });
});

test("three parallel replicate.run calls on one slot all succeed, in order", async () => {
  const replicate = new Replicate({ auth: "unused", baseUrl: `${server.url}/v1` });
  const outputs = await Promise.all(
    ["a", "b", "c"].map((text) => replicate.run("acme/echo", { input: { mode: "slow", n: 3, delay_ms: 30, text } }) as Promise<string[]>),
  );
  for (const output of outputs) assert.deepEqual(output, ["s0", "s1", "s2"]);
});

test("a queued prediction waits as starting; its stream opens at once and streams once it runs", async () => {
  const first = await (await postJson(`${server.url}/v1/predictions`, { input: { mode: "slow", n: 5, delay_ms: 40 } })).json();
  const second = await (await postJson(`${server.url}/v1/predictions`, { input: { mode: "tokens", n: 3 } })).json();
  assert.equal(second.status, "starting");
  const health = await (await fetch(`${server.url}/health-check`)).json();
  assert.equal(health.status, "BUSY");
  assert.deepEqual(health.predictions, { running: 1, queued: 1, concurrency: 1, queue_max: 3 });
  const stream = await fetch(second.urls.stream, { headers: { accept: "text/event-stream" } });
  assert.equal(stream.status, 200);
  const events = parseSse(await stream.text());
  assert.deepEqual(events.map((e) => e.event), ["output", "output", "output", "done"]);
  assert.equal(events.map((e) => e.data).slice(0, 3).join(""), "t0 t1 t2 ");
  const firstDone = await (await fetch(first.urls.get)).json();
  const secondDone = await (await fetch(second.urls.get)).json();
  assert.equal(firstDone.status, "succeeded");
  assert.ok(secondDone.started_at >= firstDone.completed_at, "FIFO: the second started after the first finished");
});

test("canceling a queued prediction removes it at once, with a done event on its stream", async () => {
  const running = await (await postJson(`${server.url}/v1/predictions`, { input: { mode: "slow", n: 20, delay_ms: 50 } })).json();
  const queued = await (await postJson(`${server.url}/v1/predictions`, { input: { mode: "echo", text: "never" } })).json();
  const stream = fetch(queued.urls.stream).then((r) => r.text());
  const canceled = await (await fetch(queued.urls.cancel, { method: "POST" })).json();
  assert.equal(canceled.status, "canceled");
  const events = parseSse(await stream);
  assert.deepEqual(events.map((e) => [e.event, e.data]), [["done", '{"reason":"canceled"}']]);
  assert.equal((await (await fetch(`${server.url}/health-check`)).json()).predictions.queued, 0);
  await fetch(running.urls.cancel, { method: "POST" });
});

test("a full queue answers 429 with Retry-After; Cog's route answers 409 at capacity", async () => {
  const running = await (await postJson(`${server.url}/v1/predictions`, { input: { mode: "hang" } })).json();
  const waiting = [];
  for (let i = 0; i < 3; i++) waiting.push(await (await postJson(`${server.url}/v1/predictions`, { input: { mode: "echo" } })).json());
  const full = await postJson(`${server.url}/v1/predictions`, { input: { mode: "echo" } });
  assert.equal(full.status, 429);
  assert.equal(full.headers.get("retry-after"), "5");
  const body = await full.json();
  assert.equal(body.code, "QUEUE_FULL");
  assert.match(body.detail, /queue is full: 3 waiting \(concurrency.queue_max is 3\)/);
  const cog = await postJson(`${server.url}/predictions`, { input: { mode: "echo" } });
  assert.equal(cog.status, 409);
  await fetch(running.urls.cancel, { method: "POST" });
  for (const w of waiting) {
    const done = await (await fetch(w.urls.get, { headers: { prefer: "wait=5" } })).json();
    assert.ok(["starting", "processing", "succeeded"].includes(done.status));
  }
});
