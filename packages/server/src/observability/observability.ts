/**
 * The server's observability edge: wraps the app's `handle` once to count
 * and log every request (SSE streams when they end) and to answer
 * `GET /metrics` and the playground page, and builds the prediction observer
 * (metrics + activity log) the prediction service calls.
 */
import { performance } from "node:perf_hooks";
import { errorReply } from "../http/http-errors.js";
import type { HttpReply, HttpRequest } from "../http/http.js";
import { playgroundReply, wantsPlayground } from "../playground/playground-route.js";
import { secretInputNames } from "../predictions/redaction.js";
import type { PredictionObserver } from "../predictions/prediction-service.js";
import { ActivityLog } from "./activity-log.js";
import { TscogError } from "@tscog/sdk";
import { Logger, LOG_FORMATS, LOG_LEVELS } from "./logger.js";
import { ServerMetrics } from "./metrics.js";
import { pathOf, routeLabel } from "./route-label.js";

/** Settings for metrics, logs and the playground (`serve({ observability })`). */
export interface ObservabilityOptions {
  /**
   * `GET /metrics` in Prometheus' text format: `"on"` (default) needs the API
   * token when one is configured, `"public"` never does, `"off"` disables metrics.
   */
  metrics?: "on" | "public" | "off";
  /** Request, prediction, predictor-output and setup lines go here; none without one. */
  logger?: Logger;
  /** The web playground at `/` (for browsers) and `/docs`. Default true. */
  playground?: boolean;
}

/** What the edge reads from the prediction service. */
export interface ObservedService {
  readonly queueLength: number;
  readonly runningCount: number;
  readonly openapi: Record<string, unknown>;
  health(): { status: string; setup: { logs: string } };
}

type Handle = (request: HttpRequest) => Promise<HttpReply>;
/** Marks the server's own warm-up requests (in-process `Request`s only), which are neither counted nor logged. */
export const WARMUP_HEADER = "x-tscog-warmup";
/** Health probes are logged at debug level: orchestrators call them every few seconds. */
const PROBES = new Set(["/health-check", "/healthz", "/readyz", "/livez"]);

/** Metrics, request logs and the playground around one app. */
export class Observability {
  readonly metrics?: ServerMetrics;
  /** What the prediction service should call (`service.observe(...)` each). */
  readonly observers: PredictionObserver[] = [];
  readonly #logger?: Logger;
  readonly #metricsPublic: boolean;
  readonly #playground: boolean;

  constructor(service: ObservedService, options: ObservabilityOptions = {}) {
    const mode = options.metrics ?? "on";
    if (mode !== "off") this.metrics = new ServerMetrics(service);
    this.#metricsPublic = mode === "public";
    this.#logger = options.logger;
    this.#playground = options.playground ?? true;
    let schema: Record<string, unknown> | undefined;
    let secrets: string[] = [];
    const secretFields = () => {
      if (service.openapi !== schema) secrets = secretInputNames((schema = service.openapi));
      return secrets;
    };
    if (this.metrics) this.observers.push(this.metrics);
    if (this.#logger) this.observers.push(new ActivityLog({ logger: this.#logger, secretFields, setupLogs: () => service.health().setup.logs }));
  }

  /**
   * Wraps the app's `handle`: answers `/metrics` and the playground, passes
   * everything else on, and counts and logs each reply.
   */
  wrap(handle: Handle, auth: { enabled: boolean; check(request: HttpRequest): void }): Handle {
    const metrics = this.metrics;
    const logger = this.#logger;
    const playground = this.#playground;
    if (!metrics && !logger && !playground) return handle;
    return async (request) => {
      if (request instanceof Request && request.headers.get(WARMUP_HEADER)) return handle(request);
      const start = logger ? performance.now() : 0;
      const path = pathOf(request.url);
      const method = request.method;
      let reply: HttpReply;
      if (metrics && path === "/metrics" && (method === "GET" || method === "HEAD")) {
        reply = await this.#metricsReply(request, auth);
      } else if (playground && (method === "GET" || method === "HEAD") && wantsPlayground(path, request)) {
        reply = playgroundReply({ authRequired: auth.enabled });
      } else {
        reply = await handle(request);
      }
      if (method === "HEAD" && reply.body !== null) {
        // Headers only: a stream (a file) is released unread.
        if (typeof reply.body !== "string") void reply.body[Symbol.asyncIterator]().return?.();
        reply.body = null;
      }
      if (!metrics && !logger) return reply;
      const route = routeLabel(path);
      const body = reply.body;
      if (body === null || typeof body === "string") {
        metrics?.request(method, route, reply.status);
        if (logger) logRequest(logger, method, route, path, reply.status, start);
        return reply;
      }
      // A stream: counted as open until it ends, logged then.
      metrics?.streamOpened();
      reply.body = onStreamEnd(body, () => {
        metrics?.streamClosed();
        metrics?.request(method, route, reply.status);
        if (logger) logRequest(logger, method, route, path, reply.status, start);
      });
      return reply;
    };
  }

  async #metricsReply(request: HttpRequest, auth: { enabled: boolean; check(request: HttpRequest): void }): Promise<HttpReply> {
    try {
      if (!this.#metricsPublic && auth.enabled) auth.check(request);
      const { contentType, body } = await this.metrics!.render();
      return { status: 200, headers: { "content-type": contentType, "cache-control": "no-store" }, body };
    } catch (err) {
      return errorReply(err);
    }
  }
}

function logRequest(logger: Logger, method: string, route: string, path: string, status: number, start: number): void {
  const level = PROBES.has(path) && status < 400 ? "debug" : "info";
  if (!logger.enabled(level)) return;
  const ms = Math.round((performance.now() - start) * 10) / 10;
  // The path carries ids but never the query string (it can hold a stream token).
  if (logger.format === "text") logger.log(level, `${method} ${path} ${status} ${ms}ms`);
  else logger.log(level, "request", { method, route, path, status, duration_ms: ms });
}

/** `body` with `onEnd` called once when it finishes, fails or is stopped; one extra `then` per item (an item is a batch of events). */
function onStreamEnd<T>(body: AsyncIterable<T>, onEnd: () => void): AsyncIterable<T> {
  let ended = false;
  const end = () => {
    if (!ended) {
      ended = true;
      onEnd();
    }
  };
  return {
    [Symbol.asyncIterator]() {
      const iterator = body[Symbol.asyncIterator]();
      return {
        next: () =>
          iterator.next().then(
            (result) => {
              if (result.done) end();
              return result;
            },
            (err: unknown) => {
              end();
              throw err;
            },
          ),
        return: (value?: unknown) => {
          end();
          return iterator.return ? iterator.return(value) : Promise.resolve({ done: true as const, value: undefined });
        },
      };
    },
  };
}

/** What `observabilityFromEnv` takes besides the environment (CLI flags win over variables). */
export interface ObservabilitySettings {
  logFormat?: string;
  logLevel?: string;
  metrics?: string;
  playground?: boolean;
}

/**
 * Observability options from `TSCOG_LOG_FORMAT` (text|json; default text on a
 * terminal, else json), `TSCOG_LOG_LEVEL` (debug|info|warn|error; default
 * info), `TSCOG_METRICS` (on|public|off) and `TSCOG_PLAYGROUND` (0/false
 * turns it off), with `settings` (CLI flags) taking precedence. Always logs.
 */
export function observabilityFromEnv(env: Record<string, string | undefined> = process.env, settings: ObservabilitySettings = {}): ObservabilityOptions {
  const pick = <T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined => {
    if (value === undefined || value === "") return undefined;
    if (!(allowed as readonly string[]).includes(value)) throw new TscogError("BAD_REQUEST", `${name} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}.`);
    return value as T;
  };
  const format = pick("--log-format", settings.logFormat, LOG_FORMATS) ?? pick("TSCOG_LOG_FORMAT", env.TSCOG_LOG_FORMAT, LOG_FORMATS);
  const level = pick("--log-level", settings.logLevel, LOG_LEVELS) ?? pick("TSCOG_LOG_LEVEL", env.TSCOG_LOG_LEVEL, LOG_LEVELS);
  const modes = ["on", "public", "off"] as const;
  const metrics = pick("--metrics", settings.metrics, modes) ?? pick("TSCOG_METRICS", env.TSCOG_METRICS, modes);
  const playground = settings.playground ?? !(env.TSCOG_PLAYGROUND === "0" || env.TSCOG_PLAYGROUND === "false");
  return { logger: new Logger({ format, level }), metrics, playground };
}
