/**
 * Request bodies: JSON objects only, checked before they are parsed. The
 * `Content-Type` must say JSON (a `text/plain` or form POST from another site
 * skips the browser's CORS preflight, so it must never be acted on), and one
 * linear scan bounds nesting depth and the number of values, so a hostile
 * body is refused in milliseconds instead of stalling every client while
 * `JSON.parse` builds it.
 */
import { TscogError } from "@tscog/sdk";
import type { HttpRequest } from "./http.js";

/** Limits on a JSON body. */
export interface JsonBodyLimits {
  /** Bytes. */
  maxBytes: number;
  /** Nested objects and arrays. Default 64. */
  maxDepth?: number;
  /** Values (strings, numbers, objects, ...) in all. Default 100,000. */
  maxValues?: number;
  /** Object members (name: value pairs) in all: objects with many names are what `JSON.parse` builds slowest. Default 10,000. */
  maxMembers?: number;
}

/** A parsed body and its size. */
export interface JsonBody {
  body: Record<string, unknown>;
  bytes: number;
}

/** The error for a body over `limit` bytes. */
export function payloadTooLarge(limit: number): TscogError {
  return new TscogError("PAYLOAD_TOO_LARGE", `The request body is larger than the limit of ${limit} bytes; pass large files as URLs.`);
}

/** True when a `Content-Type` names JSON (`application/json`, `application/*+json`). */
export function isJsonType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/** Reads a JSON object body. UNSUPPORTED_MEDIA_TYPE / PAYLOAD_TOO_LARGE / BAD_REQUEST on problems; `{}` when empty. */
export async function readJson(request: HttpRequest, limits: JsonBodyLimits): Promise<JsonBody> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limits.maxBytes) throw payloadTooLarge(limits.maxBytes);
  const text = await request.text().catch(() => {
    throw new TscogError("BAD_REQUEST", "The request body could not be read.");
  });
  const bytes = Buffer.byteLength(text);
  if (bytes > limits.maxBytes) throw payloadTooLarge(limits.maxBytes);
  const type = request.headers.get("content-type");
  if (type !== null && !isJsonType(type)) {
    throw new TscogError("UNSUPPORTED_MEDIA_TYPE", `The request body must be JSON sent with Content-Type: application/json, got Content-Type: ${type.slice(0, 100)}.`);
  }
  if (text.trim() === "") return { body: {}, bytes };
  if (type === null) {
    throw new TscogError("UNSUPPORTED_MEDIA_TYPE", "The request has a body but no Content-Type; send it as JSON with Content-Type: application/json.");
  }
  checkShape(text, limits.maxDepth ?? 64, limits.maxValues ?? 100_000, limits.maxMembers ?? 10_000);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new TscogError("BAD_REQUEST", `The request body is not valid JSON: ${(err as Error).message}.`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new TscogError("BAD_REQUEST", "The request body must be a JSON object such as {\"input\": {...}}.");
  }
  return { body: body as Record<string, unknown>, bytes };
}

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const OPEN_BRACKET = 91;
const CLOSE_BRACE = 125;
const CLOSE_BRACKET = 93;
const COMMA = 44;
const COLON = 58;

/**
 * One pass over JSON text, skipping strings: nesting depth, the number of
 * values (one per comma, plus one per container) and of object members (one
 * per colon), without parsing.
 */
function checkShape(text: string, maxDepth: number, maxValues: number, maxMembers: number): void {
  let depth = 0;
  let values = 1;
  let members = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Skip the string (escapes included); a string is one value.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) throw new TscogError("BAD_REQUEST", `The request body nests deeper than ${maxDepth} levels of objects and arrays.`);
      values++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    } else if (c === COLON) {
      if (++members > maxMembers) {
        throw new TscogError("PAYLOAD_TOO_LARGE", `The request body holds more than ${maxMembers} named fields; inputs are a handful of named values.`);
      }
    } else if (c === COMMA) {
      if (++values > maxValues) {
        throw new TscogError("PAYLOAD_TOO_LARGE", `The request body holds more than ${maxValues} values; pass large data as a file URL.`);
      }
    }
  }
}
