/**
 * Errors in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`,
 * for every reply on the OpenAI routes (the other dialects answer `{code, detail}`).
 */
import { TscogError, toTscogError, type ErrorCode } from "@tscog/sdk";
import type { HttpReply } from "../../http/http.js";
import { errorReply, jsonReply } from "../../http/http-errors.js";

/** OpenAI's error object. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** OpenAI's status and error type per tscog code (the status is OpenAI's where it differs from ours). */
const BY_CODE: Partial<Record<ErrorCode, { status?: number; type: string; code: string | null }>> = {
  INVALID_INPUT: { status: 400, type: "invalid_request_error", code: "invalid_value" },
  BAD_REQUEST: { type: "invalid_request_error", code: null },
  PAYLOAD_TOO_LARGE: { type: "invalid_request_error", code: "request_too_large" },
  UNSUPPORTED_MEDIA_TYPE: { type: "invalid_request_error", code: "unsupported_media_type" },
  NOT_FOUND: { type: "invalid_request_error", code: "not_found" },
  METHOD_NOT_ALLOWED: { type: "invalid_request_error", code: "method_not_allowed" },
  UNAUTHORIZED: { type: "authentication_error", code: "invalid_api_key" },
  FORBIDDEN: { type: "permission_error", code: "forbidden" },
  QUEUE_FULL: { type: "rate_limit_error", code: "rate_limit_exceeded" },
  CONFLICT: { type: "rate_limit_error", code: "rate_limit_exceeded" },
  CANCELED: { type: "invalid_request_error", code: "canceled" },
  REQUEST_TIMEOUT: { type: "invalid_request_error", code: "timeout" },
  TIMEOUT: { type: "server_error", code: "timeout" },
  NOT_READY: { type: "server_error", code: "model_not_ready" },
  SETUP_FAILED: { type: "server_error", code: "model_not_ready" },
};

/** True for paths the OpenAI routes own (`/v1/models/{owner}/{name}/predictions` stays Replicate's). */
export function isOpenAiPath(path: string): boolean {
  return /^\/v1\/(?:chat\/completions|completions|models(?:\/[^/]+){0,2})\/?$/.test(path);
}

/** `isOpenAiPath` for a request's absolute URL. */
export function isOpenAiUrl(url: string): boolean {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return false;
  const end = url.indexOf("?", start);
  return isOpenAiPath(end < 0 ? url.slice(start) : url.slice(start, end));
}

/** The OpenAI error body for `err`; `param` defaults to the error's field (an OpenAI parameter name). */
export function openAiError(err: unknown, param?: string | null): { status: number; body: OpenAiErrorBody; headers: Record<string, string> } {
  const e = err instanceof TscogError ? err : toTscogError(err, "INTERNAL");
  const known = BY_CODE[e.code] ?? { type: "server_error", code: e.code === "INTERNAL" ? "internal_error" : e.code.toLowerCase() };
  // The status and the headers (Retry-After, WWW-Authenticate) the server gives this error anyway.
  const base = errorReply(e);
  return {
    status: known.status ?? base.status,
    headers: base.headers,
    body: { error: { message: e.message, type: known.type, param: param ?? e.field ?? null, code: known.code } },
  };
}

/** A JSON reply with the OpenAI error body for `err` (`param` overrides the error's field; `headers` are added). */
export function openAiErrorReply(err: unknown, options: { param?: string | null; headers?: Record<string, string> } = {}): HttpReply {
  const { status, body, headers } = openAiError(err, options.param);
  return jsonReply(status, body, { ...headers, ...options.headers });
}
