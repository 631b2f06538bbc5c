import { test } from "node:test";
import assert from "node:assert/strict";
import { takeAbortController } from "../src/index.js";

test("takeAbortController hands out a fresh controller each time, the next one made after the current task", async () => {
  const first = takeAbortController();
  await new Promise((resolve) => setImmediate(resolve));
  const second = takeAbortController();
  const third = takeAbortController();
  assert.notEqual(first, second);
  assert.notEqual(second, third);
  first.abort();
  assert.equal(first.signal.aborted, true);
  assert.equal(second.signal.aborted, false);
  assert.equal(third.signal.aborted, false);
});
