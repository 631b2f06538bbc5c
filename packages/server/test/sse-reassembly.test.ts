/**
 * Chunks with CR, CRLF, LF, empty and multi-byte text through both dialects'
 * streams, parsed by a spec-exact SSE parser (eventsource-parser), and resumed
 * with a Last-Event-ID read off each stream.
 */
import assert from "node:assert/strict";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { ServerResponse } from "node:http";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import type { TscogServer } from "../src/index.js";
import { TRICKY_CHUNKS } from "./fixtures/fake-predictor.js";
import { postJson, startFake } from "./helpers.js";

let server: TscogServer;
before(async () => {
  server = await startFake();
});
after(() => server.close({ graceMs: 100 }));

/** Every message of an SSE body, as a browser's EventSource would see them. */
async function messages(res: Response): Promise<EventSourceMessage[]> {
  const out: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (m) => out.push(m) });
  const decoder = new TextDecoder();
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(bytes, { stream: true }));
  return out;
}

test("Cog stream: every chunk reassembles byte for byte (JSON data), and resumes after an id read off it", async () => {
  const res = await fetch(`${server.url}/predictions`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ id: "cog-line-breaks", input: { mode: "line-breaks" } }),
  });
  const all = await messages(res);
  const outputs = all.filter((m) => m.event === "output").map((m) => JSON.parse(m.data) as { chunk: string; index: number });
  assert.deepEqual(outputs.map((o) => o.chunk), TRICKY_CHUNKS);
  assert.deepEqual(outputs.map((o) => o.index), TRICKY_CHUNKS.map((_, i) => i));
  assert.equal(all.at(-1)!.event, "completed");
  // Re-attach with the id of the third output: exactly what followed it.
  const third = all.filter((m) => m.event === "output")[2]!;
  const resumed = await messages(
    await fetch(`${server.url}/predictions/cog-line-breaks`, {
      method: "PUT",
      headers: { "content-type": "application/json", accept: "text/event-stream", "last-event-id": third.id! },
      body: JSON.stringify({ input: { mode: "line-breaks" } }),
    }),
  );
  const after = all.slice(all.indexOf(third) + 1);
  assert.deepEqual(resumed.map((m) => [m.event, m.id, m.data]), after.map((m) => [m.event, m.id, m.data]));
});

test("Replicate stream: text reassembles exactly up to SSE's own line-break rule, and resumes after an id read off it", async () => {
  const p = await (await postJson(`${server.url}/v1/predictions`, { input: { mode: "line-breaks" } }, { prefer: "wait" })).json();
  const all = await messages(await fetch(p.urls.stream));
  const outputs = all.filter((m) => m.event === "output");
  // SSE data cannot carry a CR: every line break (CR, LF, CRLF) arrives as LF, as EventSource defines it.
  // Nothing is lost or cut short (a lone CR sent raw once cut the chunk at the CR).
  assert.deepEqual(outputs.map((m) => m.data), TRICKY_CHUNKS.map((c) => c.replace(/\r\n|\r/g, "\n")));
  assert.equal(all.at(-1)!.event, "done");
  const fourth = outputs[3]!;
  const resumed = await messages(await fetch(p.urls.stream, { headers: { "last-event-id": fourth.id! } }));
  const rest = all.slice(all.indexOf(fourth) + 1);
  assert.deepEqual(resumed.map((m) => [m.event, m.id, m.data]), rest.map((m) => [m.event, m.id, m.data]));
});

test("a reader that stops reading mid-stream: others are served meanwhile, the server buffers little for it, and after it resumes nothing is lost or reordered", async () => {
  const n = 200_000;
  // The server side of each request (Node's own diagnostics channel), to read what it buffers for the paused reader.
  const responses: ServerResponse[] = [];
  const onRequest = (message: unknown) => responses.push((message as { response: ServerResponse }).response);
  subscribe("http.server.request.start", onRequest);
  const p = await (await postJson(`${server.url}/v1/predictions`, { input: { mode: "tokens", n } })).json();
  const path = new URL(p.urls.stream).pathname;
  const outputs: string[] = [];
  let last = "";
  let bodyBytes = 0;
  const parser = createParser({ onEvent: (m) => (m.event === "output" ? outputs.push(m.data) : (last = m.event ?? "")) });
  const socket = connect(server.port, "127.0.0.1");
  socket.setEncoding("utf8");
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n`);
  let head = "";
  let inBody = false;
  const ended = new Promise<void>((resolve) => socket.on("end", resolve));
  // Chunked transfer encoding: the parser gets the body with chunk-size lines removed.
  let pending = "";
  const feedChunked = (text: string) => {
    pending += text;
    for (;;) {
      const eol = pending.indexOf("\r\n");
      if (eol < 0) return;
      const size = parseInt(pending.slice(0, eol), 16);
      if (pending.length < eol + 2 + size + 2) return;
      const chunk = pending.slice(eol + 2, eol + 2 + size);
      bodyBytes += Buffer.byteLength(chunk);
      parser.feed(chunk);
      pending = pending.slice(eol + 2 + size + 2);
    }
  };
  socket.on("data", (text: string) => {
    if (inBody) return feedChunked(text);
    head += text;
    const i = head.indexOf("\r\n\r\n");
    if (i < 0) return;
    inBody = true;
    assert.match(head, /transfer-encoding: chunked/i);
    feedChunked(head.slice(i + 4));
  });
  // Stop reading: the socket's buffers fill and the server must wait.
  await new Promise((r) => setTimeout(r, 50));
  socket.pause();
  const seenWhilePaused = outputs.length;
  for (let i = 0; i < 5; i++) assert.equal((await fetch(`${server.url}/health-check`)).status, 200);
  // Let the prediction finish while the reader sleeps: all of its output now exists on the server.
  for (let status = ""; status !== "succeeded"; await new Promise((r) => setTimeout(r, 20))) {
    status = (await (await fetch(`${server.url}/v1/predictions/${p.id}`)).json()).status;
  }
  unsubscribe("http.server.request.start", onRequest);
  const stream = responses.find((r) => r.req.url === path);
  assert.ok(stream, "the stream's server response was seen");
  const buffered = stream.writableLength;
  assert.equal(outputs.length, seenWhilePaused, "nothing arrived while paused");
  assert.ok(seenWhilePaused < n, `paused at ${seenWhilePaused} of ${n} outputs`);
  socket.resume();
  await ended;
  assert.equal(outputs.length, n);
  for (let i = 0; i < n; i += 997) assert.equal(outputs[i], `t${i} `);
  assert.equal(last, "done");
  // The server held back instead of queueing the rest of the stream in memory for the sleeping reader:
  // what it buffered in user space is a small fraction of the body (the kernel's socket buffers hold some more).
  assert.ok(bodyBytes > 8 * 1024 * 1024, `the body is ${bodyBytes} bytes`);
  assert.ok(buffered < 1024 * 1024, `${buffered} bytes buffered for a paused reader of a ${bodyBytes}-byte stream`);
});
