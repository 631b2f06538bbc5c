/**
 * The SSE encoder's exact bytes at the edges: each kind of line break in data,
 * field order, `retry`, rejected ids and comments, and empty batches.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
// The module, not the package index: the mutation target reruns this file per mutant, and the index loads the whole server.
import { formatSseComment, formatSseEvent, hasLineBreak, SseEncoder, type SseMessage } from "../src/http/sse-encoder.js";

test("CR, LF and CRLF each end one data line (a CRLF is one break, not two)", () => {
  assert.equal(formatSseEvent({ data: "a\rb" }), "data: a\ndata: b\n\n");
  assert.equal(formatSseEvent({ data: "a\nb" }), "data: a\ndata: b\n\n");
  assert.equal(formatSseEvent({ data: "a\r\nb" }), "data: a\ndata: b\n\n");
  assert.equal(formatSseEvent({ data: "a\n\rb" }), "data: a\ndata: \ndata: b\n\n");
  assert.equal(formatSseEvent({ data: "\r" }), "data: \ndata: \n\n");
  assert.equal(formatSseEvent({ data: "" }), "data: \n\n");
});

test("hasLineBreak sees a lone CR and a lone LF", () => {
  assert.deepEqual(["", "ab", "a\rb", "a\nb", "\r\n", "\u2028"].map(hasLineBreak), [false, false, true, true, true, false]);
});

test("fields come in order event, id, retry, data; absent fields are left out", () => {
  assert.equal(formatSseEvent({ event: "e", id: "1:2", retry: 3000, data: "d" }), "event: e\nid: 1:2\nretry: 3000\ndata: d\n\n");
  assert.equal(formatSseEvent({ data: "d" }), "data: d\n\n");
  assert.equal(formatSseEvent({ event: "", id: "", data: "d" }), "event: \nid: \ndata: d\n\n");
});

test("retry is a whole number of milliseconds, never negative", () => {
  assert.equal(formatSseEvent({ retry: 1500.9, data: "" }), "retry: 1500\ndata: \n\n");
  assert.equal(formatSseEvent({ retry: -20, data: "" }), "retry: 0\ndata: \n\n");
  assert.equal(formatSseEvent({ retry: 0, data: "" }), "retry: 0\ndata: \n\n");
});

test("event, id and comment text must be one line; an id must not hold NUL (clients would drop it)", () => {
  const message = (field: string, value: string) => ({ name: "TypeError", message: `SSE ${field} must not contain CR or LF; got ${JSON.stringify(value)}` });
  assert.throws(() => formatSseEvent({ event: "a\rb", data: "" }), message("event", "a\rb"));
  assert.throws(() => formatSseEvent({ id: "1\n", data: "" }), message("id", "1\n"));
  assert.throws(() => formatSseComment("a\nb"), message("comment", "a\nb"));
  assert.throws(() => formatSseEvent({ id: "1\u00002", data: "" }), { name: "TypeError", message: "SSE id must not contain NUL" });
  // NUL is fine in data and event names.
  assert.equal(formatSseEvent({ event: "a\u0000", data: "\u0000" }), "event: a\u0000\ndata: \u0000\n\n");
});

test("comments: `: text` and a blank line; an empty comment by default", () => {
  assert.equal(formatSseComment("ping"), ": ping\n\n");
  assert.equal(formatSseComment(), ": \n\n");
});

test("SseEncoder: one UTF-8 chunk per non-empty batch, nothing for an empty one", async () => {
  const batches: (SseMessage | SseMessage[])[] = [[], { data: "é" }, [{ event: "a", data: "1" }, { data: "2" }], []];
  const source = new ReadableStream<SseMessage | SseMessage[]>({
    start(controller) {
      for (const b of batches) controller.enqueue(b);
      controller.close();
    },
  });
  const chunks: Uint8Array[] = [];
  for await (const c of source.pipeThrough(new SseEncoder()) as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
  assert.equal(chunks.length, 2);
  assert.deepEqual(Array.from(chunks[0]), Array.from(new TextEncoder().encode("data: é\n\n")));
  assert.equal(new TextDecoder().decode(chunks[1]), "event: a\ndata: 1\n\ndata: 2\n\n");
});
