/**
 * The Node `http` bridge for an `App`: builds a `Request` (body read with a
 * size limit, aborted when the client goes away) and writes the `Response`,
 * respecting backpressure (`drain`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { TscogError } from "@tscog/sdk";
import type { App } from "./app.js";
import { errorResponse, PRE_READ, RAW_BODIES } from "./http-errors.js";

/** Node's `(req, res)` listener for an app. */
export function toNodeListener(app: App, options: { trustProxy?: boolean } = {}): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handle(app, req, res, options.trustProxy ?? false).catch((err) => {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ code: "INTERNAL", detail: String((err as Error)?.message ?? err) }));
      } else res.destroy();
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
        resolve(new TscogError("PAYLOAD_TOO_LARGE", `The request body is larger than the limit of ${limit} bytes; pass large files as URLs.`));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!done) resolve(Buffer.concat(chunks).toString("utf8"));
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

async function handle(app: App, req: IncomingMessage, res: ServerResponse, trustProxy: boolean): Promise<void> {
  const abort = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) abort.abort();
  });
  let url: URL;
  try {
    // Behind a TLS-terminating proxy, absolute URLs (Replicate's `urls`) must use the client's scheme and host.
    const proto = trustProxy && firstHeader(req.headers["x-forwarded-proto"]) === "https" ? "https" : "http";
    const host = (trustProxy && firstHeader(req.headers["x-forwarded-host"])) || req.headers.host || "localhost";
    url = new URL(req.url ?? "/", `${proto}://${host}`);
    if (!/^https?:$/.test(url.protocol)) throw new Error("bad scheme");
  } catch {
    return send(res, errorResponse(new TscogError("BAD_REQUEST", "The request's URL or Host header is malformed.")), abort.signal);
  }
  const method = req.method ?? "GET";
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    try {
      headers.append(raw[i], raw[i + 1]);
    } catch {
      // A header value undici rejects is dropped rather than failing the request.
    }
  }
  let body: string | undefined;
  if (method !== "GET" && method !== "HEAD") {
    const declared = Number(req.headers["content-length"] ?? 0);
    const result = declared > app.maxBodyBytes
      ? new TscogError("PAYLOAD_TOO_LARGE", `The request body is larger than the limit of ${app.maxBodyBytes} bytes; pass large files as URLs.`)
      : await readBody(req, app.maxBodyBytes);
    if (result instanceof TscogError) {
      res.shouldKeepAlive = false;
      return send(res, errorResponse(result, { connection: "close" }), abort.signal);
    }
    body = result;
  }
  const request = new Request(url, { method, headers, signal: abort.signal });
  if (body !== undefined) PRE_READ.set(request, body);
  const response = await app.fetch(request);
  await send(res, response, abort.signal);
}

async function send(res: ServerResponse, response: Response, signal: AbortSignal): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => (headers[key] = value));
  const raw = RAW_BODIES.get(response);
  if (raw !== undefined) {
    headers["content-length"] = String(Buffer.byteLength(raw));
    res.writeHead(response.status, headers);
    res.end(raw);
    return;
  }
  const stream = response.body;
  if (!stream) {
    res.writeHead(response.status, headers);
    res.end();
    return;
  }
  const isSse = (headers["content-type"] ?? "").startsWith("text/event-stream");
  const reader = stream.getReader();
  if (!isSse) {
    // Small JSON bodies: one write with a Content-Length.
    const parts: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
    const buf = Buffer.concat(parts);
    headers["content-length"] = String(buf.length);
    res.writeHead(response.status, headers);
    res.end(buf);
    return;
  }
  res.writeHead(response.status, headers);
  res.flushHeaders();
  res.socket?.setNoDelay(true);
  const onAbort = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
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
      if (signal.aborted) break;
    }
  } catch {
    // The stream failed mid-way; close the connection so the client sees it end.
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  if (signal.aborted) {
    await reader.cancel().catch(() => undefined);
    res.destroy();
  } else res.end();
}

export interface ListenOptions {
  host?: string;
  port?: number;
  /** Build request URLs from `X-Forwarded-Proto` / `X-Forwarded-Host` (behind a trusted proxy). */
  trustProxy?: boolean;
}

/** A listening server. */
export interface RunningServer {
  server: Server;
  /** `http://host:port`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves `app` over HTTP/1.1; resolves when listening. */
export function listen(app: App, options: ListenOptions = {}): Promise<RunningServer> {
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 30_000 }, toNodeListener(app, { trustProxy: options.trustProxy }));
  // Requests Node cannot parse still get a JSON error body.
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (err as { code?: string }).code === "ECONNRESET") return void socket.destroy();
    const tooBig = err.code === "HPE_HEADER_OVERFLOW";
    const body = JSON.stringify({ code: tooBig ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST", detail: `Malformed HTTP request (${err.code ?? "parse error"}).` });
    socket.end(`HTTP/1.1 ${tooBig ? "431 Request Header Fields Too Large" : "400 Bad Request"}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
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
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}
