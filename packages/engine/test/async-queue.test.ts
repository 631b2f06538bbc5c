import { test } from "node:test";
import assert from "node:assert/strict";
import { AsyncQueue } from "../src/async-queue.js";

test("values come out in order, then the result; a waiting consumer is woken", async () => {
  const q = new AsyncQueue<number, string>();
  q.push(1);
  assert.equal(q.size, 1);
  assert.deepEqual(await q.next(), { done: false, value: 1 });
  assert.equal(q.waiting, false);
  const pending = q.next();
  assert.equal(q.waiting, true);
  q.push(2);
  assert.deepEqual(await pending, { done: false, value: 2 });
  q.push(3);
  q.end("done");
  q.push(4); // ignored after the end
  assert.deepEqual(await q.next(), { done: false, value: 3 });
  assert.deepEqual(await q.next(), { done: true, value: "done" });
});

test("a failed queue hands out what was pushed, then rejects", async () => {
  const q = new AsyncQueue<number, string>();
  q.push(1);
  q.fail(new Error("boom"));
  q.end("ignored");
  assert.deepEqual(await q.next(), { done: false, value: 1 });
  await assert.rejects(q.next(), /boom/);
});
