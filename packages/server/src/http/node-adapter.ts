/**
 * The Node `http` bridge for an `App`: a light `HttpRequest` over the
 * `IncomingMessage` (body read with a size limit, or left unread for a route to
 * stream when it is `multipart/form-data`; a signal that aborts when the client
 * goes away) and the reply written straight to the socket, streams of text or
 * bytes respecting backpressure (`drain`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { TscogError } from "@tscog/sdk";
import type { App } from "../app.js";
import { Cancellation } from "../predictions/cancellation.js";
import type { BodyStream, HttpReply, HttpRequest } from "./http.js";
import { errorReply, jsonReply } from "./http-errors.js";
import { payloadTooLarge } from "./json-body.js";
import { isMultipart } from "./negotiate.js";

/** Node's `(req, res)` listener for an app. */
export function toNodeListener(
  app: App,
  options: { trustProxy?: boolean; isDraining?: () => boolean } = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const trustProxy = options.trustProxy ?? false;
  const isDraining = options.isDraining ?? (() => false);
  return (req, res) => {
    void handle(app, req, res, trustProxy, isDraining).catch((err) => {
      if (!res.headersSent) write(res, errorReply(err));
      else res.destroy();
    });
  };
}

function readBody(req: IncomingMessage, limit: number): Promise<string | TscogError> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        resolve(payloadTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!done) resolve(chunks.length === 1 ? chunks[0].toString("utf8") : Buffer.concat(chunks).toString("utf8"));
      done = true;
    });
    req.on("error", () => {
      if (!done) resolve(new TscogError("BAD_REQUEST", "The request body could not be read."));
      done = true;
    });
  });
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v?.split(",")[0]?.trim() || undefined;
}

/** `Headers.get` over Node's parsed headers. */
class NodeHeaders {
  constructor(private readonly headers: IncomingMessage["headers"]) {}

  get(name: string): string | null {
    const value = this.headers[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
  }
}

/** An `HttpRequest` over Node's `IncomingMessage`. */
class NodeRequest implements HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: NodeHeaders;
  /** Aborted when the client goes away before the reply was finished. */
  readonly signal = new Cancellation();
  /** The unread body (a multipart upload), else null. */
  readonly body: IncomingMessage | null;
  readonly #text: string;
  readonly #limit: number;

  constructor(req: IncomingMessage, url: string, body: string | { unread: number }) {
    this.method = req.method ?? "GET";
    this.url = url;
    this.headers = new NodeHeaders(req.headers);
    this.body = typeof body === "string" ? null : req;
    this.#text = typeof body === "string" ? body : "";
    this.#limit = typeof body === "string" ? 0 : body.unread;
  }

  async text(): Promise<string> {
    if (!this.body) return this.#text;
    const result = await readBody(this.body, this.#limit);
    if (result instanceof TscogError) throw result;
    return result;
  }
}

async function handle(app: App, req: IncomingMessage, res: ServerResponse, trustProxy: boolean, isDraining: () => boolean): Promise<void> {
  if (isDraining()) res.shouldKeepAlive = false;
  if (!req.headers.host && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) {
    return write(res, errorReply(new TscogError("BAD_REQUEST", "An HTTP/1.1 request needs a Host header.")));
  }
  // Behind a TLS-terminating proxy, absolute URLs (Replicate's `urls`) must use the client's scheme and host.
  // The app parses the URL (and answers 400 when it is malformed).
  const proto = trustProxy && firstHeader(req.headers["x-forwarded-proto"]) === "https" ? "https" : "http";
  const host = (trustProxy && firstHeader(req.headers["x-forwarded-host"])) || req.headers.host || "localhost";
  const target = req.url ?? "/";
  const url = target.startsWith("/") ? `${proto}://${host}${target}` : target;
  const method = req.method ?? "GET";
  let body: string | { unread: number } = "";
  if (isMultipart(req.headers["content-type"]) && method === "POST") {
    // The route reads it as it arrives, with its own limits (an upload streams to disk).
    body = { unread: app.maxBodyBytes };
  } else if (method !== "GET" && method !== "HEAD") {
    const declared = Number(req.headers["content-length"] ?? 0);
    const result = declared > app.maxBodyBytes ? payloadTooLarge(app.maxBodyBytes) : await readBody(req, app.maxBodyBytes);
    if (result instanceof TscogError) {
      res.shouldKeepAlive = false;
      return write(res, errorReply(result, { connection: "close" }));
    }
    body = result;
  }
  const request = new NodeRequest(req, url, body);
  res.on("close", () => {
    if (!res.writableFinished) request.signal.abort();
  });
  const reply = await app.handle(request);
  if (request.body && !req.complete) {
    // Answered before the whole upload arrived (an error): close instead of reading the rest.
    res.shouldKeepAlive = false;
    reply.headers.connection = "close";
  }
  if (reply.body === null || typeof reply.body === "string") return write(res, reply);
  await writeStream(res, reply, reply.body);
}

/** Writes a whole reply (a text body with its Content-Length). */
function write(res: ServerResponse, reply: HttpReply): void {
  const text = typeof reply.body === "string" ? reply.body : undefined;
  if (text !== undefined) reply.headers["content-length"] = String(Buffer.byteLength(text));
  res.writeHead(reply.status, reply.headers);
  res.end(text);
}

/** Writes a streamed reply (text or bytes) as it is produced; stops the stream when the client goes away. */
async function writeStream(res: ServerResponse, reply: HttpReply, body: BodyStream): Promise<void> {
  res.writeHead(reply.status, reply.headers);
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  const iterator = body[Symbol.asyncIterator]();
  let gone = false;
  const stop = () => {
    gone = true;
    void iterator.return?.();
  };
  res.once("close", stop);
  try {
    for (;;) {
      const { done, value } = await iterator.next();
      if (done || gone) break;
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          const ok = () => {
            res.off("close", ok);
            res.off("drain", ok);
            resolve();
          };
          res.once("drain", ok);
          res.once("close", ok);
        });
      }
    }
  } catch {
    // The stream failed mid-way; close the connection so the client sees it end.
    gone = true;
  } finally {
    res.off("close", stop);
  }
  if (gone) {
    await iterator.return?.();
    res.destroy();
  } else res.end();
}

export interface ListenOptions {
  host?: string;
  port?: number;
  /** Time for a client to send its request headers, ms; then 408. Default 10 s. */
  headersTimeoutMs?: number;
  /** Time for a client to send its whole request (headers and body), ms; then 408. SSE replies are not limited. Default 30 s. */
  requestTimeoutMs?: number;
  /** Open connections at most; more are refused. Default 4096. */
  maxConnections?: number;
  /** Build request URLs from `X-Forwarded-Proto` / `X-Forwarded-Host` (behind a trusted proxy). */
  trustProxy?: boolean;
}

/** A listening server. */
export interface RunningServer {
  server: Server;
  /** `http://host:port`. */
  url: string;
  port: number;
  /** Stops accepting and closes idle keep-alive connections now and each connection after its current reply. */
  drain(): void;
  close(): Promise<void>;
}

/** Serves `app` over HTTP/1.1; resolves when listening. */
export function listen(app: App, options: ListenOptions = {}): Promise<RunningServer> {
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  // Once shutting down, replies close their connection instead of keeping it alive.
  let draining = false;
  const server = createServer(
    {
      // Above the 60 s idle timeout of common load balancers, so they never reuse a connection we just closed.
      keepAliveTimeout: 65_000,
      headersTimeout,
      requestTimeout: Math.max(headersTimeout, options.requestTimeoutMs ?? 30_000),
      // How often Node checks those timeouts (its default, 30 s, lets slow clients stay that much longer).
      connectionsCheckingInterval: 1_000,
      // Answered by the app with a JSON body instead of Node's bare 400.
      requireHostHeader: false,
    },
    toNodeListener(app, { trustProxy: options.trustProxy, isDraining: () => draining }),
  );
  server.maxConnections = options.maxConnections ?? 4096;
  // Requests Node cannot parse, or that come too slowly, still get a JSON error body.
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (err as { code?: string }).code === "ECONNRESET") return void socket.destroy();
    const [status, code, detail] =
      err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? ["408 Request Timeout", "REQUEST_TIMEOUT", "The request was not received in time."]
        : err.code === "HPE_HEADER_OVERFLOW"
          ? ["431 Request Header Fields Too Large", "PAYLOAD_TOO_LARGE", "The request headers are too large."]
          : ["400 Bad Request", "BAD_REQUEST", `Malformed HTTP request (${err.code ?? "parse error"}).`];
    const body = JSON.stringify({ code, detail });
    socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  // `Expect` other than 100-continue: Node would answer a bare 417.
  server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
    const detail = `Unsupported Expect header ${JSON.stringify(String(req.headers.expect).slice(0, 100))}; only 100-continue is supported.`;
    write(res, jsonReply(417, { code: "BAD_REQUEST", detail }, { connection: "close" }));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      const addr = server.address() as AddressInfo;
      const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
      resolve({
        server,
        url: `http://${host}:${addr.port}`,
        port: addr.port,
        drain: () => {
          draining = true;
          server.close();
          server.closeIdleConnections();
        },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}
