import { test } from "node:test";
import assert from "node:assert/strict";
import { StopSequenceFilter } from "../src/index.js";

function run(stops: string[], chunks: string[]): { out: string[]; stopped: boolean } {
  const f = new StopSequenceFilter(stops);
  const out: string[] = [];
  for (const c of chunks) {
    out.push(f.push(c));
    if (f.stopped) break;
  }
  out.push(f.flush());
  return { out: out.filter(Boolean), stopped: f.stopped };
}

test("stops before a stop sequence inside one chunk", () => {
  assert.deepEqual(run(["END"], ["hello END world"]), { out: ["hello "], stopped: true });
});

test("catches a stop sequence split across chunks and never emits part of it", () => {
  const r = run(["\n\n"], ["one", ".\n", "\ntwo"]);
  assert.equal(r.out.join(""), "one.");
  assert.ok(r.stopped);
  assert.ok(!r.out.some((c) => c.includes("\n")));
});

test("releases held-back text that turned out not to be a stop sequence", () => {
  const r = run(["STOP"], ["a ST", "ART b"]);
  assert.equal(r.out.join(""), "a START b");
  assert.ok(!r.stopped);
});

test("earliest of several stop sequences wins", () => {
  assert.equal(run(["world", "lo"], ["hello world"]).out.join(""), "hel");
});

test("no stop sequences passes text through", () => {
  assert.deepEqual(run([], ["a", "b"]).out, ["a", "b"]);
});
