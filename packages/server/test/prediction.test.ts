import { test } from "node:test";
import assert from "node:assert/strict";
import { EventKind, InProcessPredictorHost, isTerminal, newPredictionId, Prediction, PredictionService, PredictionStore, predictionEventStream, renderReplicateEvents } from "../src/index.js";
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

test("which statuses are terminal, and which moves are allowed from starting and processing", () => {
  assert.deepEqual(
    (["starting", "processing", "succeeded", "failed", "canceled"] as const).map((s) => isTerminal(s)),
    [false, false, true, true, true],
  );
  // Straight from starting: failed and canceled log no start; succeeded starts first.
  for (const status of ["failed", "canceled", "succeeded"] as const) {
    const p = new Prediction({ id: status, input: {}, outputKind: "iterator" });
    assert.equal(p.finish(status === "failed" ? { status, error: "e" } : { status }, 7_000), true);
    assert.equal(p.status, status);
    assert.deepEqual(types(p), status === "succeeded" ? ["start", "completed"] : ["completed"]);
    assert.equal(p.startedMs, status === "succeeded" ? 7_000 : undefined);
    assert.equal(p.completedMs, 7_000);
  }
  // From processing: every terminal status; starting twice is a no-op.
  for (const status of ["failed", "canceled", "succeeded"] as const) {
    const p = new Prediction({ id: status, input: {}, outputKind: "iterator" });
    p.markStarted(1_000);
    p.markStarted(2_000);
    assert.equal(p.status, "processing");
    assert.equal(p.startedMs, 1_000);
    assert.equal(p.finish(status === "failed" ? { status, error: "e" } : { status }, 3_000), true);
    assert.equal(p.status, status);
    assert.deepEqual(types(p), ["start", "completed"]);
    // Nothing moves a finished prediction, and nothing more is logged.
    p.markStarted(4_000);
    p.append(outputs("late"), 4_000);
    assert.equal(p.finish({ status: "succeeded" }), false);
    assert.equal(p.status, status);
    assert.deepEqual(types(p), ["start", "completed"]);
    assert.deepEqual(p.output, []);
  }
});

test("finish keeps what the result says: a value only for value predictors, the error with its code and details", async () => {
  const value = new Prediction({ id: "v", input: {}, outputKind: "value" });
  assert.equal(value.output, null);
  value.finish({ status: "succeeded", value: { n: 1 } });
  assert.deepEqual(value.output, { n: 1 });
  const none = new Prediction({ id: "n", input: {}, outputKind: "value" });
  none.finish({ status: "succeeded" });
  assert.equal(none.value, null);
  const chunks = new Prediction({ id: "c", input: {}, outputKind: "iterator" });
  chunks.append(outputs("a"));
  chunks.finish({ status: "succeeded", value: "ignored" });
  assert.equal(chunks.value, null);
  assert.deepEqual(chunks.output, ["a"]);

  const seen: string[] = [];
  const failed = new Prediction({ id: "f", input: {}, outputKind: "iterator", onFinish: (p) => seen.push(`${p.id} ${p.status}`) });
  let resolved = false;
  const done = failed.done.then(() => (resolved = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(resolved, false);
  failed.finish({ status: "failed", error: "boom", code: "PREDICTION_FAILED", details: [1] });
  failed.finish({ status: "canceled" });
  await done;
  assert.deepEqual([failed.error, failed.errorCode, failed.errorDetails], ["boom", "PREDICTION_FAILED", [1]]);
  assert.deepEqual(seen, ["f failed"]);
  const canceled = new Prediction({ id: "x", input: {}, outputKind: "iterator" });
  canceled.finish({ status: "canceled" });
  assert.deepEqual([canceled.error, canceled.errorCode, canceled.errorDetails], [null, undefined, undefined]);
});

test("times: ISO strings to the millisecond, and predict_time from start to finish", () => {
  for (const ms of [0, 5, 10, 50, 100, 999, 1_000, 1_700_000_000_007, 1_700_000_000_070, 1_700_000_000_700, 1_700_000_001_000, 1_700_000_000_009]) {
    const p = new Prediction({ id: "t", input: {}, outputKind: "value", createdMs: ms });
    assert.equal(p.timestamps().created_at, new Date(ms).toISOString());
  }
  const p = new Prediction({ id: "t", input: {}, outputKind: "value", createdMs: 1_700_000_000_000 });
  assert.equal(p.createdMs, 1_700_000_000_000);
  assert.deepEqual(p.metrics, {});
  p.markStarted(1_700_000_001_250);
  assert.deepEqual(p.metrics, {});
  p.finish({ status: "succeeded", value: 1 }, 1_700_000_003_750);
  assert.deepEqual(p.timestamps(), { created_at: "2023-11-14T22:13:20.000Z", started_at: "2023-11-14T22:13:21.250Z", completed_at: "2023-11-14T22:13:23.750Z" });
  assert.deepEqual(p.metrics, { predict_time: 2.5 });
  // A prediction that never started has no predict_time.
  const failed = new Prediction({ id: "f", input: {}, outputKind: "value" });
  failed.finish({ status: "failed", error: "e" });
  assert.deepEqual(failed.metrics, {});
  assert.equal(failed.timestamps().started_at, null);
});

test("toJSON: public input, webhook fields only when set, extra fields; later metrics replace earlier ones", () => {
  const p = new Prediction({
    id: "j",
    input: { secret: "s3cret" },
    publicInput: { secret: "**********" },
    outputKind: "iterator",
    webhook: "http://hook.example/",
    webhookEventsFilter: ["completed"],
    extra: { model: "m", version: "v" },
    createdMs: 1_000,
  });
  p.append({ kinds: [EventKind.Metric, EventKind.Output, EventKind.Log, EventKind.Metric, EventKind.Log], values: [["tokens", 1], "a", "one\n", ["tokens", 2], "two\n"] }, 2_000);
  p.finish({ status: "succeeded" }, 2_500);
  assert.deepEqual(p.toJSON(), {
    id: "j",
    input: { secret: "**********" },
    output: ["a"],
    logs: "one\ntwo\n",
    error: null,
    status: "succeeded",
    created_at: "1970-01-01T00:00:01.000Z",
    started_at: "1970-01-01T00:00:02.000Z",
    completed_at: "1970-01-01T00:00:02.500Z",
    metrics: { tokens: 2, predict_time: 0.5 },
    webhook: "http://hook.example/",
    webhook_events_filter: ["completed"],
    model: "m",
    version: "v",
  });
  assert.deepEqual(p.input, { secret: "s3cret" });
  const plain = new Prediction({ id: "k", input: { a: 1 }, outputKind: "value" }).toJSON();
  assert.deepEqual(plain.input, { a: 1 });
  assert.deepEqual(Object.keys(plain), ["id", "input", "output", "logs", "error", "status", "created_at", "started_at", "completed_at", "metrics"]);
});

test("approxBytes counts input bytes, output, logs and error", () => {
  const value = new Prediction({ id: "a", input: {}, outputKind: "value", inputBytes: 100 });
  assert.equal(value.inputBytes, 100);
  // The null value still costs its 16 bytes.
  assert.equal(value.approxBytes, 1024 + 100 + 16);
  value.append({ kinds: [EventKind.Log], values: ["abc"] });
  value.finish({ status: "succeeded", value: "xyz" });
  assert.equal(value.approxBytes, 1024 + 100 + (3 * 2 + 16) + 3 * 2);
  const chunks = new Prediction({ id: "b", input: {}, outputKind: "iterator" });
  assert.equal(chunks.inputBytes, 0);
  assert.equal(chunks.approxBytes, 1024);
  chunks.append(outputs("ab"));
  chunks.finish({ status: "failed", error: "boom" });
  assert.equal(chunks.approxBytes, 1024 + (2 * 2 + 16) + 4 * 2);
});
