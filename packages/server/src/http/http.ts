/**
 * The request and reply types the app's core works with. `HttpRequest` is the
 * part of the web-standard `Request` the routes read, so a real `Request`
 * fits as is; an adapter may pass something lighter (the Node adapter does,
 * and skips building undici `Request`/`Response` objects per request).
 */

import type { CancelSignal } from "../predictions/cancellation.js";

/** What the routes read from a request. A web `Request` is one. */
export interface HttpRequest {
  readonly method: string;
  /** Absolute URL (scheme and host as the client used them). */
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  /** Aborts when the client goes away. */
  readonly signal: CancelSignal;
  /** The body as text (adapters enforce the size limit while reading). */
  text(): Promise<string>;
  /**
   * The body as bytes, as they arrive, for routes that stream it to disk (uploads). A web
   * `Request`'s body is one; the Node adapter leaves `multipart/form-data` bodies unread for it.
   */
  readonly body?: AsyncIterable<Uint8Array> | null;
}

/** A body sent as it is produced (SSE): `return()` on its iterator stops it. */
export type TextStream = AsyncIterable<string>;

/** A streamed body of text (SSE) or bytes (a file): `return()` on its iterator stops it. */
export type BodyStream = AsyncIterable<string | Uint8Array>;

/** What the routes answer. */
export interface HttpReply {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** A whole body (JSON), a stream of text or bytes, or none. */
  body: string | BodyStream | null;
}

/** A reply with no body. */
export function emptyReply(status: number, headers: Record<string, string> = {}): HttpReply {
  return { status, headers, body: null };
}

/** The reply as a web `Response` (text in streams becomes UTF-8 bytes). */
export function toResponse(reply: HttpReply): Response {
  const { status, headers, body } = reply;
  if (body === null || typeof body === "string") return new Response(body, { status, headers });
  const iterator = body[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await iterator.next();
        if (done) controller.close();
        else controller.enqueue(typeof value === "string" ? encoder.encode(value) : value);
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(stream, { status, headers });
}
