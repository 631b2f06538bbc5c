/**
 * `serve()`: a project (or any predictor source) behind the HTTP app, with
 * setup in the background, a warm-up, and graceful shutdown on SIGTERM.
 */
import { createApp, type App } from "./app.js";
import type { CorsOptions } from "./http/cors.js";
import { listen, type RunningServer } from "./http/node-adapter.js";
import type { PredictorHost } from "./predictor/predictor-host.js";
import type { PredictorSource } from "./predictor/predictor-worker.js";
import { PredictionService } from "./predictions/prediction-service.js";
import type { WebhookOptions } from "./predictions/webhook-sender.js";
import { WorkerPredictorHost } from "./predictor/worker-predictor-host.js";

export interface ServeOptions {
  /** Project directory (cog.yaml + predict.ts). Default the current directory. */
  dir?: string;
  /** Instead of `dir`: where the worker loads its predictor from. */
  source?: PredictorSource;
  /** Instead of a worker: a ready host (tests). */
  predictorHost?: PredictorHost;
  /** Worker entry file; bundles pass their own URL (see `runPredictorWorker`). */
  workerUrl?: URL | string;
  host?: string;
  port?: number;
  /** Trust `X-Forwarded-Proto` / `X-Forwarded-Host` for the absolute URLs in responses. */
  trustProxy?: boolean;
  /** API token; also read from `TSCOG_API_TOKEN` by the CLI. */
  token?: string;
  cors?: CorsOptions;
  maxBodyBytes?: number;
  /** Overrides cog.yaml's `concurrency.max`. */
  concurrency?: number;
  /** How long running predictions may take to finish on shutdown, ms. Default 30 s. */
  graceMs?: number;
  /** A canceled prediction still running after this long gets its thread restarted, ms. Default 10 s. */
  cancelTimeoutMs?: number;
  heartbeatMs?: number;
  webhook?: WebhookOptions;
  /** Exit the process cleanly on SIGTERM/SIGINT (the image entrypoint and the CLI). Default false. */
  handleSignals?: boolean;
  /** Progress lines (listening, ready, shutting down). */
  log?: (line: string) => void;
}

/** A running tscog server. */
export interface TscogServer {
  url: string;
  port: number;
  app: App;
  service: PredictionService;
  /** Resolves when setup finished (READY or SETUP_FAILED) and the warm-up ran. */
  ready: Promise<void>;
  /** Stops accepting, lets predictions finish within the grace period, cancels the rest, closes. */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Server settings from cog.yaml (`concurrency.max`, `server.*`); explicit options win. */
async function settingsFromProject(dir: string): Promise<Pick<ServeOptions, "concurrency" | "cors" | "maxBodyBytes">> {
  try {
    const { loadProject } = await import("@tscog/runtime");
    const { config } = await loadProject(dir);
    const origins = config.server?.cors_origins;
    return {
      concurrency: config.concurrency?.max,
      maxBodyBytes: config.server?.max_body_bytes,
      cors: origins?.length ? { origins: origins.includes("*") ? "*" : origins } : undefined,
    };
  } catch {
    return {}; // the worker reports config problems as SETUP_FAILED
  }
}

/**
 * Serves a project: listens at once (health says STARTING), runs setup in the
 * predictor's worker thread, then warms up.
 *
 * @example
 * const server = await serve({ dir: "./my-model", port: 5000 });
 * await server.ready;
 * console.log(server.url);
 */
export async function serve(options: ServeOptions = {}): Promise<TscogServer> {
  const log = options.log ?? (() => {});
  const dir = options.dir ?? process.cwd();
  const source: PredictorSource = options.source ?? { kind: "project", dir };
  const host = options.predictorHost ?? new WorkerPredictorHost({ source, workerUrl: options.workerUrl });
  const fromProject = source.kind === "project" ? await settingsFromProject(source.dir) : {};
  const concurrency = options.concurrency ?? fromProject.concurrency;
  const service = new PredictionService({ host, concurrency, webhook: options.webhook, cancelTimeoutMs: options.cancelTimeoutMs });
  let closing: Promise<void> | undefined;
  let running: RunningServer | undefined;
  const close = (opts: { graceMs?: number } = {}) => {
    closing ??= (async () => {
      log("shutting down: finishing running predictions");
      running?.server.close();
      running?.server.closeIdleConnections();
      await service.shutdown({ graceMs: opts.graceMs ?? options.graceMs ?? 30_000 });
      await running?.close();
      running?.server.closeAllConnections();
    })();
    return closing;
  };
  const app = createApp({
    service,
    token: options.token,
    cors: options.cors ?? fromProject.cors,
    maxBodyBytes: options.maxBodyBytes ?? fromProject.maxBodyBytes,
    heartbeatMs: options.heartbeatMs,
    onShutdown: () => void close().then(() => options.handleSignals && process.exit(0)),
  });
  running = await listen(app, { host: options.host, port: options.port, trustProxy: options.trustProxy });
  log(`listening on ${running.url}`);
  const ready = service.start().then(async () => {
    // Warm-up: exercise the request path once so the first real request is not the slow one.
    for (const path of ["/health-check", "/openapi.json", "/v1/predictions/warmup"]) {
      const res = await app.fetch(new Request(`http://localhost${path}`, options.token ? { headers: { authorization: `Bearer ${options.token}` } } : {}));
      await res.body?.cancel();
    }
    const health = service.health();
    log(health.status === "SETUP_FAILED" ? `setup failed:\n${health.setup.logs}` : "ready");
  });
  if (options.handleSignals) {
    const onSignal = () => void close().then(() => process.exit(0));
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }
  return { url: running.url, port: running.port, app, service, ready, close };
}
