import { test } from "node:test";
import assert from "node:assert/strict";
import { formatSseComment, formatSseEvent, SseEncoder } from "../src/index.js";
import { parseSse } from "./helpers.js";

test("formats event, id and data", () => {
  assert.equal(formatSseEvent({ event: "output", id: "1692041342:0", data: "Sure" }), "event: output\nid: 1692041342:0\ndata: Sure\n\n");
});

test("splits multi-line data so a spec parser reassembles it exactly", () => {
  for (const chunk of ["a\nb", "a\r\nb", "line\n", "\n", "", "x\n\ny", "data: z\n\nevent: q"]) {
    const text = formatSseEvent({ event: "output", data: chunk });
    const [parsed] = parseSse(text);
    assert.equal(parsed.data, chunk.replace(/\r\n/g, "\n"));
    assert.equal(parsed.event, "output");
  }
});

test("rejects CR/LF in event and id", () => {
  assert.throws(() => formatSseEvent({ event: "a\nb", data: "" }), TypeError);
  assert.throws(() => formatSseEvent({ id: "1\r", data: "" }), TypeError);
});

test("comments are ignored by parsers", () => {
  assert.deepEqual(parseSse(formatSseComment("ping") + formatSseEvent({ data: "x" })), [{ event: "message", data: "x" }]);
});

test("SseEncoder turns batches into one chunk of bytes", async () => {
  const batches = [[{ event: "a", data: "1" }, { event: "b", data: "2" }], { data: "3" }];
  const source = new ReadableStream({
    start(controller) {
      for (const b of batches) controller.enqueue(b);
      controller.close();
    },
  });
  const stream = source.pipeThrough(new SseEncoder());
  const chunks: string[] = [];
  for await (const c of stream) chunks.push(new TextDecoder().decode(c));
  assert.equal(chunks.length, 2);
  assert.deepEqual(parseSse(chunks.join("")).map((e) => e.data), ["1", "2", "3"]);
});
