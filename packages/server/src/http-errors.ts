/** JSON error responses; statuses come from `ERROR_CODES` through `TscogError.httpStatus`. */
import { TscogError, toTscogError } from "@tscog/sdk";

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

/** A JSON response. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const text = JSON.stringify(body);
  const response = new Response(text, { status, headers: { ...JSON_HEADERS, ...headers } });
  RAW_BODIES.set(response, text);
  return response;
}

/** The text of responses made by `jsonResponse`, so an adapter can write it without streaming the body. */
export const RAW_BODIES = new WeakMap<Response, string>();

/** The JSON response for any error: TscogErrors keep their code and status, others become INTERNAL (500). */
export function errorResponse(err: unknown, headers: Record<string, string> = {}): Response {
  const e = err instanceof TscogError ? err : toTscogError(err, "INTERNAL");
  const extra: Record<string, string> = { ...headers };
  if (e.code === "CONFLICT" || e.code === "NOT_READY") extra["retry-after"] ??= "1";
  return jsonResponse(e.httpStatus, e.toJSON(), extra);
}

/** Reads a JSON object body, enforcing `limit` bytes. BAD_REQUEST / PAYLOAD_TOO_LARGE on problems. */
export async function readJsonBody(request: Request, limit: number): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw tooLarge(limit);
  let text: string;
  const pre = PRE_READ.get(request);
  if (pre !== undefined) {
    text = pre;
  } else {
    const bytes = new Uint8Array(await request.arrayBuffer().catch(() => {
      throw new TscogError("BAD_REQUEST", "The request body could not be read.");
    }));
    if (bytes.byteLength > limit) throw tooLarge(limit);
    text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  }
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

function tooLarge(limit: number): TscogError {
  return new TscogError("PAYLOAD_TOO_LARGE", `The request body is larger than the limit of ${limit} bytes; pass large files as URLs.`);
}

/** Bodies an adapter has already read (and size-checked), keyed by request, so they are not re-streamed. */
export const PRE_READ = new WeakMap<Request, string>();
