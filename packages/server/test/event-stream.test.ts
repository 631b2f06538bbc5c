/**
 * The event stream alone (no HTTP): which log ranges it renders, in what pieces,
 * when it ends, its preamble, heartbeats (on a mocked clock, so no test waits
 * 15 s or depends on timing) and disconnects.
 */
import { mock, test } from "node:test";
import assert from "node:assert/strict";
// Modules, not the package index: the mutation target reruns this file per mutant, and the index loads the whole server.
import { Prediction } from "../src/predictions/prediction.js";
import { predictionEventStream, SSE_HEADERS } from "../src/predictions/event-stream.js";
import { renderReplicateEvents } from "../src/dialects/replicate/events.js";

// A mocked clock for the whole file: heartbeats fire only when a test ticks, and a stream
// stuck waiting (a bug) fails its test at once instead of pinging after 15 s.
mock.timers.enable({ apis: ["setTimeout"] });

const PENDING = "pending";
type Step = IteratorResult<string, undefined> | typeof PENDING;

/** The promise's value if it settles once all pending work has run (microtasks first), else "pending". */
function settled(promise: Promise<IteratorResult<string, undefined>>): Promise<Step> {
  return Promise.race([promise, new Promise<typeof PENDING>((resolve) => setImmediate(() => resolve(PENDING)))]);
}

/** A renderer that names the ranges it was asked for, and records them. */
function rangeRenderer() {
  const ranges: [number, number][] = [];
  const render = (_p: Prediction, from: number, to: number) => {
    ranges.push([from, to]);
    return `[${from},${to})`;
  };
  return { ranges, render };
}

function newPrediction(): Prediction {
  return new Prediction({ id: "p", input: {}, outputKind: "iterator" });
}

/** Every piece until the stream ends. */
async function drain(stream: AsyncIterableIterator<string>): Promise<string[]> {
  const pieces: string[] = [];
  for (let step = await stream.next(); !step.done; step = await stream.next()) pieces.push(step.value);
  return pieces;
}

const piece = (value: string): Step => ({ done: false, value });
const DONE: Step = { done: true, value: undefined };

test("a long finished log replays in pieces of at most 1024 events, then ends; ending is not a disconnect", async () => {
  const p = newPrediction();
  p.append({ kinds: null, values: Array.from({ length: 2500 }, (_, i) => i) });
  p.finish({ status: "succeeded" });
  assert.equal(p.eventCount, 2502); // start, 2500 outputs, completed
  const { ranges, render } = rangeRenderer();
  let disconnects = 0;
  const stream = predictionEventStream({ prediction: p, render, onDisconnect: () => disconnects++ });
  assert.equal(stream[Symbol.asyncIterator](), stream);
  assert.deepEqual(await drain(stream), ["[0,1024)", "[1024,2048)", "[2048,2502)"]);
  assert.deepEqual(ranges, [[0, 1024], [1024, 2048], [2048, 2502]]);
  assert.deepEqual(await stream.next(), DONE);
  assert.deepEqual(await stream.return!(), DONE);
  assert.equal(disconnects, 0);
});

test("a range that renders to nothing is skipped, not sent as an empty piece, and the stream goes on past it", async () => {
  const p = newPrediction();
  p.append({ kinds: null, values: Array.from({ length: 1100 }, (_, i) => i) });
  p.finish({ status: "succeeded" });
  // Nothing to say about the first 1024 entries (like a dialect that drops some event types).
  const stream = predictionEventStream({ prediction: p, render: (_p, from, to) => (from === 0 ? "" : `[${from},${to})`) });
  assert.deepEqual(await drain(stream), ["[1024,1102)"]);
});

test("a live log: a range that renders to nothing is skipped while the stream waits for more", async () => {
  const p = newPrediction();
  p.append({ kinds: null, values: ["a", "b"] });
  const stream = predictionEventStream({ prediction: p, render: (prediction, from, to) => (prediction.isTerminal() ? `[${from},${to})` : "") });
  const first = stream.next();
  assert.equal(await settled(first), PENDING);
  p.finish({ status: "succeeded" });
  assert.deepEqual(await first, piece("[3,4)"));
  assert.deepEqual(await stream.next(), DONE);
});

test("the preamble comes first and once: with the first events when there are some", async () => {
  const p = newPrediction();
  p.append({ kinds: null, values: ["a"] });
  const { render } = rangeRenderer();
  const stream = predictionEventStream({ prediction: p, render, preamble: "retry: 1000\n\n" });
  assert.deepEqual(await stream.next(), piece("retry: 1000\n\n[0,2)"));
  p.finish({ status: "succeeded" });
  assert.deepEqual(await drain(stream), ["[2,3)"]);
});

test("the preamble is sent at once, alone, when the log is still empty", async () => {
  const p = newPrediction();
  const { render } = rangeRenderer();
  const stream = predictionEventStream({ prediction: p, render, preamble: "retry: 1000\n\n" });
  assert.deepEqual(await settled(stream.next()), piece("retry: 1000\n\n"));
  const next = stream.next();
  assert.equal(await settled(next), PENDING);
  p.markStarted();
  assert.deepEqual(await next, piece("[0,1)"));
  p.finish({ status: "canceled" });
  assert.deepEqual(await drain(stream), ["[1,2)"]);
});

test("no preamble: nothing is sent before the first events", async () => {
  const p = newPrediction();
  const { render } = rangeRenderer();
  const stream = predictionEventStream({ prediction: p, render });
  const next = stream.next();
  assert.equal(await settled(next), PENDING);
  p.markStarted();
  assert.deepEqual(await next, piece("[0,1)"));
});

test("a negative `from` replays from the start", async () => {
  const p = newPrediction();
  p.append({ kinds: null, values: ["a", "b"] });
  p.finish({ status: "succeeded" });
  const { ranges, render } = rangeRenderer();
  assert.deepEqual(await drain(predictionEventStream({ prediction: p, render, from: -5 })), ["[0,4)"]);
  assert.deepEqual(ranges, [[0, 4]]);
});

test("resuming past the end of a finished log ends at once, and is not a disconnect", async () => {
  const p = newPrediction();
  p.append({ kinds: null, values: ["a"] });
  p.finish({ status: "failed", error: "x" });
  const { ranges, render } = rangeRenderer();
  let disconnects = 0;
  const stream = predictionEventStream({ prediction: p, render, from: 10, preamble: "retry: 5\n\n", onDisconnect: () => disconnects++ });
  assert.deepEqual(await settled(stream.next()), DONE);
  await stream.return!();
  assert.equal(disconnects, 0);
  assert.deepEqual(ranges, []);
});

test("idle streams send a heartbeat comment after heartbeatMs (15 s by default), and only then", async () => {
  for (const heartbeatMs of [undefined, 40]) {
    const p = newPrediction();
    p.markStarted();
    const { render } = rangeRenderer();
    const stream = predictionEventStream({ prediction: p, render, heartbeatMs });
    assert.deepEqual(await stream.next(), piece("[0,1)"));
    const next = stream.next();
    assert.equal(await settled(next), PENDING);
    mock.timers.tick((heartbeatMs ?? 15_000) - 1);
    assert.equal(await settled(next), PENDING);
    mock.timers.tick(1);
    assert.deepEqual(await settled(next), piece(": ping\n\n"));
    // The stream goes on after a ping.
    const after = stream.next();
    p.finish({ status: "succeeded" });
    assert.deepEqual(await after, piece("[1,2)"));
    assert.deepEqual(await stream.next(), DONE);
  }
});

test("when events and the heartbeat are both due, the events are sent and the ping is not", async () => {
  const p = newPrediction();
  const { render } = rangeRenderer();
  const stream = predictionEventStream({ prediction: p, render, heartbeatMs: 10 });
  const next = stream.next();
  assert.equal(await settled(next), PENDING);
  p.markStarted();
  mock.timers.tick(10);
  assert.deepEqual(await next, piece("[0,1)"));
});

test("return() mid-wait ends the pending next() at once and counts as one disconnect", async () => {
  const p = newPrediction();
  p.markStarted();
  let disconnects = 0;
  const { render } = rangeRenderer();
  const stream = predictionEventStream({ prediction: p, render, heartbeatMs: 10, onDisconnect: () => disconnects++ });
  assert.deepEqual(await stream.next(), piece("[0,1)"));
  const next = stream.next();
  assert.equal(await settled(next), PENDING);
  // The heartbeat falls due as the client leaves (before the stream wakes up): nothing is sent.
  const ended = stream.return!();
  mock.timers.tick(10);
  assert.deepEqual(await ended, DONE);
  assert.deepEqual(await settled(next), DONE);
  assert.equal(disconnects, 1);
  assert.deepEqual(await stream.return!(), DONE);
  assert.equal(disconnects, 1);
  p.append({ kinds: null, values: ["late"] });
  assert.deepEqual(await stream.next(), DONE);
});

test("return() before the first read is a disconnect, and the stream sends nothing after it", async () => {
  const p = newPrediction();
  p.markStarted();
  let disconnects = 0;
  const stream = predictionEventStream({ prediction: p, render: renderReplicateEvents, onDisconnect: () => disconnects++ });
  await stream.return!();
  assert.equal(disconnects, 1);
  assert.deepEqual(await stream.next(), DONE);
});

test("a consumer that breaks out of for-await disconnects; one that reads to the end does not", async () => {
  const p = newPrediction();
  p.append({ kinds: null, values: ["a", "b\nc"] }, 1_000);
  p.finish({ status: "succeeded" }, 1_000);
  let disconnects = 0;
  const onDisconnect = () => disconnects++;
  let text = "";
  for await (const piece of predictionEventStream({ prediction: p, render: renderReplicateEvents, onDisconnect })) text += piece;
  assert.equal(text, "event: output\nid: 1:1\ndata: a\n\nevent: output\nid: 1:2\ndata: b\ndata: c\n\nevent: done\nid: 1:3\ndata: {}\n\n");
  assert.equal(disconnects, 0);

  const live = newPrediction();
  live.append({ kinds: null, values: ["x"] });
  for await (const piece of predictionEventStream({ prediction: live, render: renderReplicateEvents, onDisconnect })) {
    assert.match(piece, /data: x/);
    break;
  }
  assert.equal(disconnects, 1);
});

test("SSE response headers: event-stream content type, no caching or transforms, no proxy buffering", () => {
  assert.deepEqual(SSE_HEADERS, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
  });
});

test("the piece that carries `completed` ends the stream: stopping after it is not a disconnect", async () => {
  const p = newPrediction();
  p.append({ kinds: null, values: ["a"] });
  p.finish({ status: "succeeded" });
  let disconnects = 0;
  const { render } = rangeRenderer();
  const stream = predictionEventStream({ prediction: p, render, onDisconnect: () => disconnects++ });
  assert.deepEqual(await stream.next(), piece("[0,3)"));
  // The consumer has the whole log and closes without asking for more.
  await stream.return!();
  assert.equal(disconnects, 0);
});

test("a stream resumed ahead of the log is woken by each append but sends nothing (no early ping) until the log reaches it", async () => {
  const p = newPrediction();
  const { render } = rangeRenderer();
  const stream = predictionEventStream({ prediction: p, render, from: 3 });
  const next = stream.next();
  p.markStarted(); // entry 0
  p.append({ kinds: null, values: ["a"] }); // 1
  assert.equal(await settled(next), PENDING);
  p.append({ kinds: null, values: ["b", "c"] }); // 2, 3
  assert.deepEqual(await next, piece("[3,4)"));
});

test("return() works without an onDisconnect callback", async () => {
  const p = newPrediction();
  p.markStarted();
  const { render } = rangeRenderer();
  const stream = predictionEventStream({ prediction: p, render });
  assert.deepEqual(await stream.next(), piece("[0,1)"));
  assert.deepEqual(await stream.return!(), DONE);
  assert.deepEqual(await stream.next(), DONE);
});
