/**
 * Chunks with CR, CRLF, LF, empty and multi-byte text through both dialects'
 * streams, parsed by a spec-exact SSE parser (eventsource-parser), and resumed
 * with a Last-Event-ID read off each stream.
 */
import assert from "node:assert/strict";
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
