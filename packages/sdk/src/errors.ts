/**
 * tscog's error classes. Every user-facing failure is a `TscogError` with a
 * stable `code`; `ERROR_CODES` is the one place that maps a code to an HTTP
 * status and a CLI exit code.
 */
import { inspect } from "node:util";

/** Stable error codes with their HTTP status and CLI exit code. */
export const ERROR_CODES = {
  /** An input failed validation (wrong type, out of range, unknown name). */
  INVALID_INPUT: { http: 422, exit: 2 },
  /** A request or command line was malformed (bad JSON, bad `-i` syntax). */
  BAD_REQUEST: { http: 400, exit: 2 },
  /** cog.yaml is missing or invalid. */
  INVALID_CONFIG: { http: 500, exit: 2 },
  /** The predictor file is missing, does not compile or lacks the named class. */
  PREDICTOR_LOAD: { http: 500, exit: 2 },
  /** The predictor's own declarations are wrong (an input's default outside its choices, `ge` > `le`, an output type tscog cannot describe). */
  INVALID_DECLARATION: { http: 500, exit: 2 },
  /** The predictor's `setup()` threw. */
  SETUP_FAILED: { http: 503, exit: 3 },
  /** The predictor's `predict()` threw. */
  PREDICTION_FAILED: { http: 500, exit: 1 },
  /** The prediction was canceled. */
  CANCELED: { http: 409, exit: 130 },
  /** A prediction, route or file was not found. */
  NOT_FOUND: { http: 404, exit: 2 },
  /** The route exists but not for this method. */
  METHOD_NOT_ALLOWED: { http: 405, exit: 2 },
  /** Missing or wrong credentials. */
  UNAUTHORIZED: { http: 401, exit: 4 },
  /** The server is at its concurrency limit or the id is in use. */
  CONFLICT: { http: 409, exit: 1 },
  /** The request body is over the size limit. */
  PAYLOAD_TOO_LARGE: { http: 413, exit: 2 },
  /** The request body is not JSON (its `Content-Type` says otherwise). */
  UNSUPPORTED_MEDIA_TYPE: { http: 415, exit: 2 },
  /** The request's origin is not allowed (cross-origin without `--cors-origin`). */
  FORBIDDEN: { http: 403, exit: 4 },
  /** The prediction queue is full (`concurrency.queue_max`). */
  QUEUE_FULL: { http: 429, exit: 1 },
  /** The client was too slow sending its request. */
  REQUEST_TIMEOUT: { http: 408, exit: 1 },
  /** A prediction or setup ran past its time limit. */
  TIMEOUT: { http: 504, exit: 1 },
  /** The predictor produced output that JSON cannot carry (BigInt too large, cycles, functions). */
  INVALID_OUTPUT: { http: 500, exit: 1 },
  /** The server is not ready to take predictions yet. */
  NOT_READY: { http: 503, exit: 1 },
  /** Building an image failed. */
  BUILD_FAILED: { http: 500, exit: 5 },
  /** Talking to a registry or Docker engine failed. */
  REGISTRY: { http: 502, exit: 6 },
  /** An ONNX model could not be loaded or run. */
  MODEL_LOAD: { http: 500, exit: 3 },
  /** The address or port to listen on is taken (or not allowed) on this machine. */
  ADDRESS_IN_USE: { http: 500, exit: 7 },
  /** A file the command must write cannot be written: missing parent directory, a directory in the way, no permission. */
  CANNOT_WRITE: { http: 500, exit: 8 },
  /** A bug in tscog itself. */
  INTERNAL: { http: 500, exit: 70 },
} as const satisfies Record<string, { http: number; exit: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Where an error points: a file position, an input or config field. */
export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
  field?: string;
}

export interface TscogErrorOptions extends ErrorLocation {
  cause?: unknown;
  /** Structured details, e.g. one entry per invalid input field. */
  details?: ErrorDetail[];
  /** Extra lines for the user, printed after the message (e.g. "did you mean"). */
  hint?: string;
}

/** One problem with one field, in the shape FastAPI / Cog use for 422 bodies. */
export interface ErrorDetail {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** Base class of every error tscog reports to a user. */
export class TscogError extends Error {
  readonly code: ErrorCode;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly field?: string;
  readonly details?: ErrorDetail[];
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, options: TscogErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.file = options.file;
    this.line = options.line;
    this.column = options.column;
    this.field = options.field;
    this.details = options.details;
    this.hint = options.hint;
  }

  /** HTTP status for this error. */
  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  /** CLI exit code for this error. */
  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }

  /** `file:line:column` when known, for prefixes in messages. */
  get where(): string | undefined {
    if (!this.file) return undefined;
    return [this.file, this.line, this.column].filter((p) => p !== undefined).join(":");
  }

  /** JSON body for HTTP responses. */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      detail: this.details ?? this.message,
      ...(this.field ? { field: this.field } : {}),
    };
  }
}

/** An input (CLI `-i`, request body field) failed validation. */
export class InputError extends TscogError {
  constructor(message: string, options: TscogErrorOptions = {}) {
    super("INVALID_INPUT", message, options);
  }
}

/** cog.yaml (or another project file) is invalid. */
export class ConfigError extends TscogError {
  constructor(message: string, options: TscogErrorOptions = {}) {
    super("INVALID_CONFIG", message, options);
  }
}

/** A mistake in the predictor's own declarations (inputs, output type), found when it loads: the author's to fix, not the caller's. */
export class DeclarationError extends TscogError {
  constructor(message: string, options: TscogErrorOptions = {}) {
    super("INVALID_DECLARATION", message, options);
  }
}

/** The predictor could not be loaded, set up or run. */
export class PredictorError extends TscogError {
  constructor(
    code: "PREDICTOR_LOAD" | "SETUP_FAILED" | "PREDICTION_FAILED" | "CANCELED",
    message: string,
    options: TscogErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

/** Text for a thrown value that is not an Error (never `[object Object]`): its JSON, or `util.inspect` for cycles and BigInts. */
export function describeThrown(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return `a non-Error value was thrown: ${json.slice(0, 500)}`;
  } catch {
    // cycles, BigInts: inspect below
  }
  return `a non-Error value was thrown: ${inspect(value, { depth: 2, breakLength: Infinity }).slice(0, 500)}`;
}

/** Wraps anything thrown into a TscogError, keeping TscogErrors as they are. */
export function toTscogError(err: unknown, fallback: ErrorCode = "INTERNAL"): TscogError {
  if (err instanceof TscogError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TscogError(fallback, message, { cause: err });
}
