/** JSON replies, including errors; statuses come from `ERROR_CODES` through `TscogError.httpStatus`. */
import { TscogError, toTscogError } from "@tscog/sdk";
import type { HttpReply } from "./http.js";

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
  if (e.code === "QUEUE_FULL") extra["retry-after"] ??= "5";
  if (e.code === "UNAUTHORIZED") extra["www-authenticate"] ??= 'Bearer realm="tscog"';
  return jsonReply(e.httpStatus, e.toJSON(), extra);
}
