import { test } from "node:test";
import assert from "node:assert/strict";
import { EventKind, InProcessPredictorHost, newPredictionId, Prediction, PredictionService, PredictionStore, predictionEventStream, renderReplicateEvents } from "../src/index.js";
import { load, stats } from "./fixtures/fake-predictor.js";
import { parseSse, readText } from "./helpers.js";

const outputs = (...chunks: string[]) => ({ kinds: null, values: chunks });
const types = (p: Prediction) => Array.from({ length: p.eventCount }, (_, seq) => p.event(seq).type);

test("state machine: starting → processing → succeeded, terminal is final", () => {
  const p = new Prediction({ id: "a", input: {}, outputKind: "iterator" });
  assert.equal(p.status, "starting");
  assert.equal(p.output, null);
  p.markStarted();
  p.append({ kinds: [EventKind.Output, EventKind.Log, EventKind.Metric], values: ["x", "hi\n", ["tokens", 1]] });
  assert.equal(p.status, "processing");
  assert.deepEqual(p.output, ["x"]);
  assert.equal(p.finish({ status: "succeeded" }), true);
  assert.equal(p.isTerminal(), true);
  assert.equal(p.finish({ status: "failed", error: "late" }), false);
  assert.equal(p.status, "succeeded");
  assert.equal(p.logs, "hi\n");
  assert.equal(typeof (p.toJSON().metrics as { predict_time: number }).predict_time, "number");
  assert.deepEqual(types(p), ["start", "output", "log", "metric", "completed"]);
  assert.deepEqual(p.event(3), { seq: 3, second: p.event(3).second, type: "metric", name: "tokens", value: 1 });
  assert.equal((p.toJSON().metrics as { tokens: number }).tokens, 1);
});

test("event ids are strictly increasing and Last-Event-ID resumes after them", () => {
  const p = new Prediction({ id: "a", input: {}, outputKind: "iterator" });
  p.append(outputs("0", "1", "2", "3", "4"));
  const ids = Array.from({ length: p.eventCount }, (_, seq) => Prediction.eventId(p.event(seq)));
  assert.equal(ids.length, 6);
  for (let i = 1; i < ids.length; i++) assert.ok(Number(ids[i].split(":")[1]) > Number(ids[i - 1].split(":")[1]));
  assert.equal(Prediction.resumeIndex(ids[2]), 3);
  assert.equal(Prediction.resumeIndex("garbage"), 0);
  assert.equal(Prediction.resumeIndex(null), 0);
});

test("a stream opened late replays, then follows live events, then ends with done", async () => {
  const p = new Prediction({ id: "a", input: {}, outputKind: "iterator" });
  p.append(outputs("a"));
  const stream = predictionEventStream({ prediction: p, render: renderReplicateEvents });
  setTimeout(() => {
    p.append(outputs("b\nc"));
    p.finish({ status: "succeeded" });
  }, 20);
  const text = await readText(stream);
  const events = parseSse(text);
  assert.deepEqual(events.map((e) => [e.event, e.data]), [["output", "a"], ["output", "b\nc"], ["done", "{}"]]);
});

test("service runs predictions in process, fails on throw, cancels generators", async () => {
  const service = new PredictionService({ host: new InProcessPredictorHost(() => load()), concurrency: 2 });
  await service.start();
  assert.equal(service.health().status, "READY");
  assert.match(service.health().setup.logs, /loading weights/);
  const ok = service.create({ input: { mode: "tokens", n: 3 } });
  await ok.done;
  assert.deepEqual(ok.output, ["t0 ", "t1 ", "t2 "]);
  const bad = service.create({ input: { mode: "throw" } });
  await bad.done;
  assert.equal(bad.status, "failed");
  assert.equal(bad.error, "the model exploded on purpose");
  const before = stats.returned;
  const slow = service.create({ input: { mode: "slow", n: 1000, delay_ms: 5 } });
  await new Promise((r) => setTimeout(r, 30));
  service.cancel(slow.id);
  await slow.done;
  assert.equal(slow.status, "canceled");
  assert.equal(stats.returned, before + 1);
  assert.throws(() => service.create({ input: { mode: "nope" } }), (e: any) => e.code === "INVALID_INPUT" && e.details.length === 1);
});

test("resuming from an id the log has not reached yet waits instead of replaying earlier events", async () => {
  const p = new Prediction({ id: "a", input: {}, outputKind: "iterator" });
  const stream = predictionEventStream({ prediction: p, render: renderReplicateEvents, from: Prediction.resumeIndex("0:1") });
  setTimeout(() => {
    p.append(outputs("s0"));
    p.append(outputs("s1"));
    p.finish({ status: "succeeded" });
  }, 10);
  const events = parseSse(await readText(stream));
  assert.deepEqual(events.map((e) => e.data), ["s1", "{}"]);
});

test("a finished prediction answers with what it kept: times, metrics, output, done", async () => {
  const p = new Prediction({ id: "a", input: { x: 1 }, outputKind: "iterator" });
  assert.deepEqual(p.timestamps().started_at, null);
  p.markStarted();
  assert.deepEqual(p.output, []);
  assert.deepEqual(p.metrics, {});
  const done = p.done;
  p.append({ kinds: [EventKind.Metric], values: [["tokens", 2]] });
  p.finish({ status: "succeeded" });
  await done;
  await p.done;
  const { created_at, started_at, completed_at } = p.timestamps();
  for (const t of [created_at, started_at, completed_at]) assert.match(String(t), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Date.parse(created_at) <= Date.parse(completed_at!));
  assert.equal(created_at, new Date(p.createdMs).toISOString());
  assert.equal(completed_at, new Date(p.completedMs!).toISOString());
  assert.deepEqual(Object.keys(p.metrics), ["tokens", "predict_time"]);
  // `metrics` is a fresh object: changing it changes nothing.
  p.metrics.tokens = 9;
  assert.equal(p.toJSON().metrics && (p.toJSON().metrics as { tokens: number }).tokens, 2);
  assert.deepEqual(types(p), ["start", "metric", "completed"]);
  assert.equal(new Prediction({ id: "b", input: {}, outputKind: "value" }).extra.model, undefined);
});

test("prediction ids are 26 base32 characters and do not repeat", () => {
  const ids = new Set(Array.from({ length: 1000 }, () => newPredictionId()));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.match(id, /^[a-z2-7]{26}$/);
});

test("the store keeps running predictions and the newest finished ones", async () => {
  const store = new PredictionStore({ maxFinished: 3 });
  const all = Array.from({ length: 2000 }, (_, i) => store.create({ id: `p${i}`, input: {}, outputKind: "value" }));
  assert.equal(store.running, 2000);
  for (const p of all.slice(0, 1998)) p.finish({ status: "succeeded", value: 1 });
  // Retired as they finish, not later.
  assert.equal(store.running, 2);
  assert.deepEqual(store.all().map((p) => p.id), ["p1995", "p1996", "p1997", "p1998", "p1999"]);
  assert.equal(store.get("p0"), undefined);
  assert.equal(store.active().length, 2);
});
