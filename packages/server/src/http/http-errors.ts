/** JSON replies, including errors; statuses come from `ERROR_CODES` through `TscogError.httpStatus`. */
import { TscogError, toTscogError } from "@tscog/sdk";
import type { HttpReply, HttpRequest } from "./http.js";

const JSON_TYPE = "application/json; charset=utf-8";

/** A JSON reply. */
export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): HttpReply {
  // `headers` becomes the reply's (callers pass a fresh object).
  headers["content-type"] = JSON_TYPE;
  return { status, headers, body: JSON.stringify(body) };
}

/** The JSON reply for any error: TscogErrors keep their code and status, others become INTERNAL (500). */
export function errorReply(err: unknown, headers: Record<string, string> = {}): HttpReply {
  const e = err instanceof TscogError ? err : toTscogError(err, "INTERNAL");
  const extra: Record<string, string> = { ...headers };
  if (e.code === "CONFLICT" || e.code === "NOT_READY") extra["retry-after"] ??= "1";
  return jsonReply(e.httpStatus, e.toJSON(), extra);
}

/** The error for a body over `limit` bytes. */
export function payloadTooLarge(limit: number): TscogError {
  return new TscogError("PAYLOAD_TOO_LARGE", `The request body is larger than the limit of ${limit} bytes; pass large files as URLs.`);
}

/** Reads a JSON object body, enforcing `limit` bytes. BAD_REQUEST / PAYLOAD_TOO_LARGE on problems. */
export async function readJsonBody(request: HttpRequest, limit: number): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw payloadTooLarge(limit);
  const text = await request.text().catch(() => {
    throw new TscogError("BAD_REQUEST", "The request body could not be read.");
  });
  if (Buffer.byteLength(text) > limit) throw payloadTooLarge(limit);
  if (text.trim() === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new TscogError("BAD_REQUEST", `The request body is not valid JSON: ${(err as Error).message}.`);
  }
  if (nestingDepth(body) > MAX_DEPTH) {
    throw new TscogError("BAD_REQUEST", `The request body nests deeper than ${MAX_DEPTH} levels of objects and arrays.`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new TscogError("BAD_REQUEST", "The request body must be a JSON object such as {\"input\": {...}}.");
  }
  return body as Record<string, unknown>;
}

const MAX_DEPTH = 64;

/** Depth of nested objects/arrays, computed without recursion (hostile bodies nest thousands deep). */
function nestingDepth(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (d + 1 > max) max = d + 1;
    if (max > MAX_DEPTH) return max;
    for (const child of Object.values(v)) if (child !== null && typeof child === "object") stack.push([child, d + 1]);
  }
  return max;
}
