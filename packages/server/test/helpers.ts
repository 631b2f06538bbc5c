/** Shared test helpers: start a server on a fake predictor, read SSE. */
import { serve, type ServeOptions, type TscogServer } from "../src/index.js";
import type { FakeOptions } from "./fixtures/fake-predictor.js";

export const FAKE_URL = new URL("./fixtures/fake-predictor.js", import.meta.url).href;

/** Serves the fake predictor in a worker thread on 127.0.0.1:0 and waits for READY. */
export async function startFake(fake: FakeOptions = {}, options: ServeOptions = {}): Promise<TscogServer> {
  const server = await serve({ source: { kind: "module", url: FAKE_URL, exportName: "load", options: fake }, ...options });
  await server.ready;
  return server;
}

export interface ParsedEvent {
  event: string;
  data: string;
  id?: string;
}

/** Parses SSE text per the spec (multi-line data joined with \n, comments dropped). */
export function parseSse(text: string): ParsedEvent[] {
  const out: ParsedEvent[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (!block.trim()) continue;
    let event = "message";
    const data: string[] = [];
    let id: string | undefined;
    let any = false;
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(":")) continue;
      const i = line.indexOf(":");
      const field = i < 0 ? line : line.slice(0, i);
      let value = i < 0 ? "" : line.slice(i + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") (event = value), (any = true);
      else if (field === "data") data.push(value), (any = true);
      else if (field === "id") id = value;
    }
    if (any) out.push({ event, data: data.join("\n"), ...(id !== undefined ? { id } : {}) });
  }
  return out;
}

/** Everything a text stream yields, joined. */
export async function readText(stream: AsyncIterable<string>): Promise<string> {
  let text = "";
  for await (const piece of stream) text += piece;
  return text;
}

/** POSTs JSON. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

/** Polls `check` every 50 ms until it returns a value other than undefined (or fails after `timeoutMs`). */
export async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
