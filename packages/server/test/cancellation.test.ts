import { test } from "node:test";
import assert from "node:assert/strict";
import { Cancellation, Prediction, predictionEventStream, renderReplicateEvents } from "../src/index.js";

test("Cancellation fires its listeners once, and its AbortSignal follows it", () => {
  const c = new Cancellation();
  let fired = 0;
  const removed = () => fired++;
  c.addEventListener("abort", () => fired++);
  c.addEventListener("abort", removed);
  c.removeEventListener("abort", removed);
  const signal = c.signal;
  assert.equal(signal.aborted, false);
  c.abort();
  c.abort();
  assert.equal(fired, 1);
  assert.equal(c.aborted, true);
  assert.equal(signal.aborted, true);
  assert.equal(new Cancellation().signal.aborted, false);
  const late = new Cancellation();
  late.abort();
  assert.equal(late.signal.aborted, true);
});

test("stopping an event stream while it waits ends it at once and reports the disconnect", async () => {
  const p = new Prediction({ id: "a", input: {}, outputKind: "concatenate" });
  let disconnects = 0;
  const stream = predictionEventStream({ prediction: p, render: renderReplicateEvents, onDisconnect: () => disconnects++ });
  p.append({ text: "x", ends: [1] });
  assert.match((await stream.next()).value as string, /data: x/);
  const waiting = stream.next();
  await stream.return!();
  assert.deepEqual(await waiting, { done: true, value: undefined });
  assert.equal(disconnects, 1);
  // A stream that reached `done` is not a disconnect.
  const q = new Prediction({ id: "b", input: {}, outputKind: "concatenate" });
  q.finish({ status: "succeeded" });
  const finished = predictionEventStream({ prediction: q, render: renderReplicateEvents, onDisconnect: () => disconnects++ });
  for await (const _ of finished);
  await finished.return!();
  assert.equal(disconnects, 1);
});
