/**
 * Server-sent event encoding (WHATWG HTML "server-sent events" wire format).
 * Pure functions plus a `TransformStream`, so each piece is testable alone.
 */

/** One server-sent event. `data` may contain newlines; it is split over `data:` lines. */
export interface SseMessage {
  event?: string;
  id?: string;
  data: string;
  retry?: number;
}

const LINE_BREAK = /\r\n|\r|\n/;

/** True when `text` has a CR or LF (so it cannot be one SSE field line). */
export function hasLineBreak(text: string): boolean {
  return text.includes("\n") || text.includes("\r");
}

function checkField(name: string, value: string): void {
  if (hasLineBreak(value)) {
    throw new TypeError(`SSE ${name} must not contain CR or LF; got ${JSON.stringify(value)}`);
  }
}

/**
 * Formats one event. Every line of `data` becomes its own `data:` line, so a
 * conforming client reassembles the exact text (a chunk "a\nb" arrives as "a\nb").
 *
 * @example formatSseEvent({ event: "output", id: "1:0", data: "hi" }) // "event: output\nid: 1:0\ndata: hi\n\n"
 */
export function formatSseEvent(message: SseMessage): string {
  let out = "";
  if (message.event !== undefined) {
    checkField("event", message.event);
    out += `event: ${message.event}\n`;
  }
  if (message.id !== undefined) {
    checkField("id", message.id);
    if (message.id.includes("\0")) throw new TypeError("SSE id must not contain NUL");
    out += `id: ${message.id}\n`;
  }
  if (message.retry !== undefined) out += `retry: ${Math.max(0, Math.floor(message.retry))}\n`;
  const data = message.data;
  if (hasLineBreak(data)) {
    for (const line of data.split(LINE_BREAK)) out += `data: ${line}\n`;
  } else {
    out += `data: ${data}\n`;
  }
  return out + "\n";
}

/** A comment line (ignored by clients); used as a heartbeat through proxies. */
export function formatSseComment(text = ""): string {
  checkField("comment", text);
  return `: ${text}\n\n`;
}

/**
 * Transform from batches of messages to UTF-8 bytes. A batch becomes one
 * write, which keeps syscalls low when a generator yields many tiny chunks.
 */
export class SseEncoder extends TransformStream<SseMessage | SseMessage[], Uint8Array> {
  constructor() {
    const encoder = new TextEncoder();
    super({
      transform(batch, controller) {
        const list = Array.isArray(batch) ? batch : [batch];
        let text = "";
        for (const message of list) text += formatSseEvent(message);
        if (text) controller.enqueue(encoder.encode(text));
      },
    });
  }
}
