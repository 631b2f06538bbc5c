/**
 * A prediction's event log on fixed clocks (`atMs`): which second each entry
 * is stamped with, that `forEachEvent` (the streams' fast path) agrees with
 * `event(seq)` over every range, waiting for events, and `Last-Event-ID` parsing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
// Modules, not the package index: the mutation target reruns this file per mutant, and the index loads the whole server.
import { EventKind } from "../src/predictions/event-batch.js";
import { Prediction, type PredictionEvent } from "../src/predictions/prediction.js";

const outputs = (...values: unknown[]) => ({ kinds: null, values });
const text = (...chunks: string[]) => {
  const ends: number[] = [];
  let end = 0;
  for (const c of chunks) ends.push((end += c.length));
  return { text: chunks.join(""), ends };
};
const newPrediction = () => new Prediction({ id: "p", input: {}, outputKind: "iterator" });
const allEvents = (p: Prediction) => Array.from({ length: p.eventCount }, (_, seq) => p.event(seq));

/** forEachEvent's view of [from, to), in the shape `event(seq)` returns, with each entry's id. */
function viaForEach(p: Prediction, from: number, to: number): (PredictionEvent & { id: string })[] {
  const out: (PredictionEvent & { id: string })[] = [];
  p.forEachEvent(
    from,
    to,
    (chunk, index, id) => {
      const [second, seq] = id.split(":").map(Number);
      out.push({ seq, second, type: "output", chunk, index, id });
    },
    (event) => out.push({ ...event, id: Prediction.eventId(event) }),
  );
  return out;
}

/** A log over four seconds: runs of outputs (text and values) with marks between and inside them. */
function loggedOverSeconds(): Prediction {
  const p = newPrediction();
  p.markStarted(1_000); // seq 0, second 1
  p.append(outputs("a", "b"), 1_500); // 1, 2
  p.append(outputs({ c: 1 }), 2_100); // 3 (second 2)
  p.append(text("d", "", "ef"), 2_900); // 4, 5, 6
  p.append({ kinds: [EventKind.Log, EventKind.Output, EventKind.Metric, EventKind.Output], values: ["note\n", "g", ["tokens", 7], null] }, 3_000); // 7-10 (second 3)
  p.append(text("h"), 4_000); // 11 (second 4)
  p.append(outputs("i", "j"), 4_500); // 12, 13
  p.finish({ status: "succeeded" }, 5_250); // 14 (second 5)
  return p;
}

test("each entry is stamped with the second it was logged in, and its id is `second:seq`", () => {
  const p = loggedOverSeconds();
  const events = allEvents(p);
  assert.deepEqual(events.map((e) => Prediction.eventId(e)), ["1:0", "1:1", "1:2", "2:3", "2:4", "2:5", "2:6", "3:7", "3:8", "3:9", "3:10", "4:11", "4:12", "4:13", "5:14"]);
  assert.deepEqual(
    events.map((e) => (e.type === "output" ? [e.index, e.chunk] : e.type)),
    ["start", [0, "a"], [1, "b"], [2, { c: 1 }], [3, "d"], [4, ""], [5, "ef"], "log", [6, "g"], "metric", [7, null], [8, "h"], [9, "i"], [10, "j"], "completed"],
  );
  assert.deepEqual(events[7], { seq: 7, second: 3, type: "log", data: "note\n" });
  assert.deepEqual(events[9], { seq: 9, second: 3, type: "metric", name: "tokens", value: 7 });
  assert.deepEqual(events[14], { seq: 14, second: 5, type: "completed" });
  assert.deepEqual(p.output, ["a", "b", { c: 1 }, "d", "", "ef", "g", null, "h", "i", "j"]);
  // Random access in any order gives the same entries (the lookup hint is only a hint).
  for (const seq of [14, 0, 13, 3, 12, 4, 11, 2, 7, 1]) assert.deepEqual(p.event(seq), events[seq]);
});

test("forEachEvent gives exactly event(seq) for every range [from, to), with the same ids", () => {
  const p = loggedOverSeconds();
  const expected = allEvents(p).map((e) => ({ ...e, id: Prediction.eventId(e) }));
  for (let from = 0; from <= p.eventCount; from++) {
    for (let to = from; to <= p.eventCount; to++) assert.deepEqual(viaForEach(p, from, to), expected.slice(from, to), `[${from}, ${to})`);
  }
  // Ranges read backwards (as resuming streams do) use the same ids.
  for (let from = p.eventCount - 1; from >= 0; from--) assert.deepEqual(viaForEach(p, from, from + 1), [expected[from]]);
});

test("a run of outputs that spans seconds gives each chunk its own second, in every range", () => {
  const p = newPrediction();
  p.append(outputs("a"), 10_000); // start at 10, output at 10
  p.append(outputs("b"), 11_000);
  p.append(outputs("c"), 11_999);
  p.append(outputs("d"), 12_000);
  p.append({ kinds: [EventKind.Log], values: ["x"] }, 12_000);
  p.append(outputs("e"), 13_000);
  assert.deepEqual(viaForEach(p, 0, p.eventCount).map((e) => e.id), ["10:0", "10:1", "11:2", "11:3", "12:4", "12:5", "13:6"]);
  assert.deepEqual(viaForEach(p, 2, 4).map((e) => e.id), ["11:2", "11:3"]);
  assert.deepEqual(viaForEach(p, 3, 7).map((e) => e.id), ["11:3", "12:4", "12:5", "13:6"]);
});

test("without atMs, entries are stamped with the current second", () => {
  const p = newPrediction();
  const before = Math.floor(Date.now() / 1000);
  p.append(outputs("a"));
  p.finish({ status: "succeeded" });
  const after = Math.floor(Date.now() / 1000);
  for (const e of allEvents(p)) assert.ok(e.second >= before && e.second <= after, `${e.second} in [${before}, ${after}]`);
});

test("waitForEvents resolves at once when the log is already longer, the prediction ended or the signal aborted", async () => {
  const p = newPrediction();
  p.append(outputs("a")); // 2 entries
  assert.equal(await state(p.waitForEvents(1)), "resolved");
  assert.equal(await state(p.waitForEvents(0)), "resolved");
  assert.equal(await state(p.waitForEvents(2)), "pending");
  assert.equal(await state(p.waitForEvents(2, AbortSignal.abort())), "resolved");
  assert.equal(await state(p.waitForEvents(2, new AbortController().signal)), "pending");
  p.finish({ status: "canceled" });
  assert.equal(await state(p.waitForEvents(99)), "resolved");
});

test("waitForEvents wakes every waiter on the next append, once per batch, and on finish", async () => {
  const p = newPrediction();
  const first = p.waitForEvents(0);
  const second = p.waitForEvents(0);
  p.markStarted();
  assert.deepEqual(await Promise.all([state(first), state(second)]), ["resolved", "resolved"]);
  const onAppend = p.waitForEvents(1);
  assert.equal(await state(onAppend), "pending");
  p.append({ kinds: [EventKind.Log], values: ["hi\n"] });
  assert.equal(await state(onAppend), "resolved");
  const onFinish = p.waitForEvents(2);
  p.finish({ status: "succeeded" });
  assert.equal(await state(onFinish), "resolved");
});

test("waitForEvents wakes on abort, and a wait woken by events leaves no listener on the signal", async () => {
  const p = newPrediction();
  const controller = new AbortController();
  const aborted = p.waitForEvents(0, controller.signal);
  assert.equal(getEventListeners(controller.signal, "abort").length, 1);
  controller.abort();
  assert.equal(await state(aborted), "resolved");

  const kept = new AbortController();
  const woken = p.waitForEvents(0, kept.signal);
  p.markStarted();
  assert.equal(await state(woken), "resolved");
  assert.equal(getEventListeners(kept.signal, "abort").length, 0);
});

test("Last-Event-ID: `second:seq` or a bare seq resumes at seq + 1; anything else starts over", () => {
  const cases: [string | null | undefined, number][] = [
    ["1692041342:0", 1],
    ["5:41", 42],
    ["41", 42],
    [" 7:3 \r", 4],
    ["0", 1],
    ["1:123456789012", 123456789013],
    ["1:1234567890123", 0],
    ["12:", 0],
    [":5", 0],
    ["x5:7", 0],
    ["5:7x", 0],
    ["5:-7", 0],
    ["5:7:8", 0],
    ["a:7", 0],
    ["", 0],
    [undefined, 0],
    [null, 0],
  ];
  for (const [id, index] of cases) assert.equal(Prediction.resumeIndex(id), index, JSON.stringify(id));
});

/** Whether the promise has settled once pending microtasks have run. */
function state(promise: Promise<void>): Promise<"resolved" | "pending"> {
  return Promise.race([promise.then(() => "resolved" as const), new Promise<"pending">((resolve) => setImmediate(() => resolve("pending")))]);
}
