/**
 * Bytes in and out for the files API on a Node server. The Node adapter reads
 * request bodies as text and writes text replies; uploads (`multipart/form-data`
 * POSTs) and file downloads need bytes, so this listener takes exactly those
 * requests, gives the app a request whose `body` is the incoming stream, and
 * streams file replies from disk. Everything else goes to the adapter as before;
 * the app's routing, auth, CORS and observability apply to both.
 */
import { createReadStream } from "node:fs";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import type { App } from "../app.js";
import type { HttpReply, TextStream } from "../http/http.js";
import { errorReply } from "../http/http-errors.js";
import { Cancellation } from "../predictions/cancellation.js";
import { FILE_BODY, isFileReply } from "./file-reply.js";
import { isMultipart, type StreamingRequest } from "./multipart-upload.js";

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value)?.split(",")[0]?.trim() || undefined;

/** True for the requests this listener takes: multipart POSTs to `/v1/files`, GETs of a file's content. */
function takes(req: IncomingMessage): boolean {
  const path = (req.url ?? "").split("?")[0]!.replace(/\/+$/, "");
  if (req.method === "POST") return path === "/v1/files" && isMultipart(req.headers["content-type"] ?? null);
  return (req.method === "GET" || req.method === "HEAD") && /^\/v1\/files\/[^/]+\/content$/.test(path);
}

/** Routes upload and download requests of `server` (made by `listen(app)`) through `app` with byte bodies. */
export function serveFilesOverNode(server: Server, app: App, options: { trustProxy?: boolean } = {}): void {
  const adapter = server.listeners("request") as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners("request");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (!takes(req)) {
      for (const listener of adapter) listener.call(server, req, res);
      return;
    }
    void handle(app, req, res, options.trustProxy ?? false).catch((err) => {
      if (!res.headersSent) send(res, errorReply(err));
      else res.destroy();
    });
  });
}

async function handle(app: App, req: IncomingMessage, res: ServerResponse, trustProxy: boolean): Promise<void> {
  const proto = trustProxy && first(req.headers["x-forwarded-proto"]) === "https" ? "https" : "http";
  const host = (trustProxy && first(req.headers["x-forwarded-host"])) || req.headers.host || "localhost";
  const signal = new Cancellation();
  res.on("close", () => {
    if (!res.writableFinished) signal.abort();
  });
  const request: StreamingRequest = {
    method: req.method ?? "GET",
    url: `${proto}://${host}${req.url ?? "/"}`,
    headers: {
      get: (name: string) => {
        const value = req.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
    signal,
    text: () => Promise.resolve(""),
    body: req.method === "POST" ? req : null,
  };
  const reply = await app.handle(request);
  // A reply sent before the whole upload arrived (an error) closes the connection: the rest of the body is not read.
  if (!req.complete) {
    res.shouldKeepAlive = false;
    reply.headers.connection = "close";
  }
  if (isFileReply(reply) && req.method !== "HEAD") {
    res.writeHead(reply.status, reply.headers);
    try {
      await pipeline(createReadStream(reply[FILE_BODY]), res);
    } finally {
      // Ends the text body the app's observers wrapped (they count and log the request when it ends).
      await (reply.body as TextStream)[Symbol.asyncIterator]().return?.();
    }
    return;
  }
  send(res, reply);
}

/** Writes a reply with a text body (or none). */
function send(res: ServerResponse, reply: HttpReply): void {
  const text = typeof reply.body === "string" ? reply.body : undefined;
  if (text !== undefined) reply.headers["content-length"] = String(Buffer.byteLength(text));
  res.writeHead(reply.status, reply.headers);
  res.end(text);
}
