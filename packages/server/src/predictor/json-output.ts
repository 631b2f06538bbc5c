/**
 * Output as JSON can carry it, checked where the predictor produces it: a
 * value that JSON cannot encode fails that prediction with a clear error
 * instead of failing later in a webhook, a list or an SSE renderer, where it
 * would take other clients (or the process) down with it.
 */
import { TscogError } from "@tscog/sdk";

/** Deepest nesting an output value may have. */
const MAX_DEPTH = 256;

/**
 * Returns `value` as plain JSON data: BigInts become numbers when they are
 * safe integers and decimal strings otherwise (int64 tensors from
 * onnxruntime-node arrive as BigInt), objects with `toJSON` are replaced by
 * its result, non-finite numbers become null (as `JSON.stringify` does).
 * Throws INVALID_OUTPUT for `undefined`, functions, symbols and cycles.
 * `what` names the value in the error ("chunk 3", "the return value").
 */
export function toJsonOutput(value: unknown, what: string): unknown {
  // The hot path of a token stream: one string per chunk.
  if (typeof value === "string") return value;
  return convert(value, what, "", new Set(), 0);
}

function convert(value: unknown, what: string, path: string, seen: Set<object>, depth: number): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : null;
    case "bigint":
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
    case "undefined":
    case "function":
    case "symbol":
      throw invalid(what, path, `is ${typeof value === "undefined" ? "undefined" : `a ${typeof value}`}, which JSON cannot carry`);
  }
  if (value === null) return null;
  const object = value as Record<string, unknown>;
  if (typeof object.toJSON === "function") return convert(object.toJSON(), what, path, seen, depth);
  if (seen.has(object)) throw invalid(what, path, "refers back to itself (a cycle), which JSON cannot carry");
  if (depth >= MAX_DEPTH) throw invalid(what, path, `nests deeper than ${MAX_DEPTH} levels`);
  seen.add(object);
  let out: unknown;
  if (Array.isArray(object)) {
    out = object.map((item, i) => (item === undefined ? null : convert(item, what, `${path}[${i}]`, seen, depth + 1)));
  } else if (ArrayBuffer.isView(object)) {
    // Typed arrays (tensor data) as lists of numbers, as JSON.stringify would not.
    out = Array.from(object as unknown as ArrayLike<number | bigint>, (item, i) => convert(item, what, `${path}[${i}]`, seen, depth + 1));
  } else {
    const record: Record<string, unknown> = {};
    for (const key of Object.keys(object)) {
      const item = object[key];
      if (item === undefined || typeof item === "function" || typeof item === "symbol") continue; // as JSON.stringify drops them
      record[key] = convert(item, what, `${path}.${key}`, seen, depth + 1);
    }
    out = record;
  }
  seen.delete(object);
  return out;
}

function invalid(what: string, path: string, problem: string): TscogError {
  return new TscogError("INVALID_OUTPUT", `The predictor's output is not JSON: ${what}${path ? ` at ${path.replace(/^\./, "")}` : ""} ${problem}. Yield or return strings, numbers, booleans, null, lists and plain objects.`);
}
