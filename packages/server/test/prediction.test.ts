import { test } from "node:test";
import assert from "node:assert/strict";
import { InProcessPredictorHost, Prediction, PredictionService, predictionEventStream, renderReplicateEvent } from "../src/index.js";
import { load, stats } from "./fixtures/fake-predictor.js";
import { parseSse } from "./helpers.js";

test("state machine: starting → processing → succeeded, terminal is final", () => {
  const p = new Prediction({ id: "a", input: {}, outputKind: "iterator" });
  assert.equal(p.status, "starting");
  assert.equal(p.output, null);
  p.markStarted();
  p.append([{ type: "output", chunk: "x" }, { type: "log", data: "hi\n" }]);
  assert.equal(p.status, "processing");
  assert.deepEqual(p.output, ["x"]);
  assert.equal(p.finish({ status: "succeeded" }), true);
  assert.equal(p.isTerminal(), true);
  assert.equal(p.finish({ status: "failed", error: "late" }), false);
  assert.equal(p.status, "succeeded");
  assert.equal(p.logs, "hi\n");
  assert.equal(typeof (p.toJSON().metrics as { predict_time: number }).predict_time, "number");
  assert.deepEqual(p.events.map((e) => e.type), ["start", "output", "log", "completed"]);
});

test("event ids are strictly increasing and Last-Event-ID resumes after them", () => {
  const p = new Prediction({ id: "a", input: {}, outputKind: "iterator" });
  p.append(Array.from({ length: 5 }, (_, i) => ({ type: "output" as const, chunk: String(i) })));
  const ids = p.events.map((e) => Prediction.eventId(e));
  for (let i = 1; i < ids.length; i++) assert.ok(Number(ids[i].split(":")[1]) > Number(ids[i - 1].split(":")[1]));
  assert.equal(Prediction.resumeIndex(ids[2]), 3);
  assert.equal(Prediction.resumeIndex("garbage"), 0);
  assert.equal(Prediction.resumeIndex(null), 0);
});

test("a stream opened late replays, then follows live events, then ends with done", async () => {
  const p = new Prediction({ id: "a", input: {}, outputKind: "iterator" });
  p.append([{ type: "output", chunk: "a" }]);
  const stream = predictionEventStream({ prediction: p, render: renderReplicateEvent });
  setTimeout(() => {
    p.append([{ type: "output", chunk: "b\nc" }]);
    p.finish({ status: "succeeded" });
  }, 20);
  const text = await new Response(stream).text();
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
  const stream = predictionEventStream({ prediction: p, render: renderReplicateEvent, from: Prediction.resumeIndex("0:1") });
  setTimeout(() => {
    p.append([{ type: "output", chunk: "s0" }]);
    p.append([{ type: "output", chunk: "s1" }]);
    p.finish({ status: "succeeded" });
  }, 10);
  const events = parseSse(await new Response(stream).text());
  assert.deepEqual(events.map((e) => e.data), ["s1", "{}"]);
});
