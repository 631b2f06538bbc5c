import { test } from "node:test";
import assert from "node:assert/strict";
import { EventBatcher, EventKind, isTextBatch, splitTextBatch } from "../src/predictions/event-batch.js";
import { Prediction } from "../src/predictions/prediction.js";
import { ChunkLog } from "../src/predictions/chunk-log.js";

test("text chunks travel as one joined string; a log or a non-string chunk switches the batch to values", () => {
  const batcher = new EventBatcher();
  assert.equal(batcher.take(), undefined);
  batcher.output("a");
  batcher.output("");
  batcher.output("bc\n");
  const text = batcher.take()!;
  assert.ok(isTextBatch(text));
  assert.deepEqual(text, { text: "abc\n", ends: [1, 1, 4] });
  assert.deepEqual(splitTextBatch(text), ["a", "", "bc\n"]);

  batcher.output("x");
  batcher.log("hello\n");
  batcher.output({ n: 1 });
  batcher.metric("tokens", 2);
  assert.equal(batcher.size, 4);
  assert.deepEqual(batcher.take(), {
    kinds: [EventKind.Output, EventKind.Log, EventKind.Output, EventKind.Metric],
    values: ["x", "hello\n", { n: 1 }, ["tokens", 2]],
  });
  batcher.output(7);
  assert.deepEqual(batcher.take(), { kinds: null, values: [7] });
});

test("ChunkLog gives chunks back by index across text and value segments, in any order", () => {
  const log = new ChunkLog();
  log.appendText({ text: "t0 t1 ", ends: [3, 6] });
  log.appendValues([{ a: 1 }, null]);
  log.appendText({ text: "", ends: [] });
  log.appendText({ text: "é🙂", ends: [1, 3] });
  assert.equal(log.length, 6);
  const all = ["t0 ", "t1 ", { a: 1 }, null, "é", "🙂"];
  assert.deepEqual(log.toArray(), all);
  for (const i of [5, 0, 3, 1, 4, 2]) assert.deepEqual(log.get(i), all[i]);
  log.appendValues(["more"]);
  assert.deepEqual(log.toArray(), [...all, "more"]);
});

test("a prediction's log interleaves text batches, logs and metrics with consecutive ids", () => {
  const p = new Prediction({ id: "p", input: {}, outputKind: "concatenate" });
  p.append({ text: "ab", ends: [1, 2] });
  p.append({ kinds: [EventKind.Log, EventKind.Output, EventKind.Metric], values: ["note\n", "c", ["n", 3]] });
  p.append({ text: "d", ends: [1] });
  p.finish({ status: "succeeded" });
  const events = Array.from({ length: p.eventCount }, (_, seq) => p.event(seq));
  assert.deepEqual(
    events.map((e) => [e.seq, e.type, e.type === "output" ? `${e.index}:${e.chunk}` : e.type === "log" ? e.data : ""]),
    [[0, "start", ""], [1, "output", "0:a"], [2, "output", "1:b"], [3, "log", "note\n"], [4, "output", "2:c"], [5, "metric", ""], [6, "output", "3:d"], [7, "completed", ""]],
  );
  assert.deepEqual(p.output, ["a", "b", "c", "d"]);
  assert.equal(p.logs, "note\n");
  assert.equal(p.metrics.n, 3);
  const second = Math.floor(Date.now() / 1000);
  for (const e of events) assert.ok(Math.abs(e.second - second) <= 2);
});
