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
import { Observability, WARMUP_HEADER, type ObservabilityOptions } from "./observability/observability.js";
import type { OpenAiRouteOptions } from "./dialects/openai/routes.js";
import { serveFiles, type FileStoreOptions } from "./files/serve-files.js";
import type { PredictionBackend } from "./predictions/prediction-backend.js";
import { fleetSettings, type FleetSettings } from "./fleet/fleet-keys.js";
import { createFleet } from "./fleet/fleet-server.js";

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
  /** Predictions that may wait for a slot on the Replicate routes; overrides cog.yaml's `concurrency.queue_max` (default 64). */
  queueMax?: number;
  /** A prediction running longer fails with TIMEOUT, ms; overrides cog.yaml's `server.prediction_timeout` (default 30 min; 0 for none). */
  predictionTimeoutMs?: number;
  /** `setup()` running longer fails, ms; overrides cog.yaml's `server.setup_timeout` (default 10 min; 0 for none). */
  setupTimeoutMs?: number;
  /** Base of absolute URLs in replies (`urls.*`), e.g. `https://models.example.com`; overrides cog.yaml's `server.public_url`. */
  publicUrl?: string;
  /** Memory finished predictions may hold for polling and replay, bytes. Default 256 MiB. */
  maxRetainedBytes?: number;
  /** Heap limit of the predictor's thread, MiB; overrides cog.yaml's `server.worker_memory_mb` (default Node's). */
  workerMemoryMb?: number;
  /** Environment for the predictor over cog.yaml's `environment` (`tscog serve -e NAME=value`). */
  environment?: Record<string, string>;
  /** Open connections at most. Default 4096. */
  maxConnections?: number;
  /** JSON bodies: deepest nesting (64), most values (100,000), most object members (10,000). */
  jsonLimits?: { maxDepth?: number; maxValues?: number; maxMembers?: number };
  /** Time for a client to send its request headers, ms (then 408). Default 10 s. */
  headersTimeoutMs?: number;
  /** Time for a client to send its whole request, ms (then 408; SSE replies are not limited). Default 30 s. */
  requestTimeoutMs?: number;
  /** How long running predictions may take to finish on shutdown, ms. Default 7 s (inside `docker stop`'s 10 s). */
  graceMs?: number;
  /** A canceled prediction still running after this long gets its thread restarted, ms. Default 10 s. */
  cancelTimeoutMs?: number;
  heartbeatMs?: number;
  webhook?: WebhookOptions;
  /** Let file-input URLs and webhooks reach loopback, private and link-local addresses (local development). Default cog.yaml `server.allow_private_urls`, else false. */
  allowPrivateUrls?: boolean;
  /** Largest `Path` input download, bytes. Default cog.yaml `server.max_download_bytes`, else 100 MiB. */
  maxDownloadBytes?: number;
  /** Time for one `Path` input download, ms. Default cog.yaml `server.download_timeout`, else 60 s. */
  downloadTimeoutMs?: number;
  /** Exit the process cleanly on SIGTERM/SIGINT (the image entrypoint and the CLI). Default false. */
  handleSignals?: boolean;
  /** Progress lines (listening, ready, shutting down). */
  log?: (line: string) => void;
  /** `/metrics` (on by default, behind the token), request and prediction log lines (with a `logger`), the playground at `/`. */
  observability?: ObservabilityOptions;
  /** The OpenAI routes' mapping; default cog.yaml's `openai` section. */
  openai?: OpenAiRouteOptions;
  /** Uploads (`POST /v1/files`): directory, size limits, retention. Default a temp dir, 100 MiB a file, 1 GiB in all, kept 24 h. */
  files?: FileStoreOptions;
  /** Cog's `--upload-url`: `Path` outputs are PUT to `<url>/<name>` and the output holds their URLs (default: data: URIs). */
  uploadUrl?: string;
  /** Run as part of a fleet on a Redis queue (`--queue`, `--role`; see docs/fleet.md). Default: one process, predictions in memory. */
  queue?: Partial<FleetSettings> & { url: string };
}

/** A running tscog server. */
export interface TscogServer {
  url: string;
  port: number;
  app: App;
  service: PredictionService;
  /** What the routes use: `service` itself, or a fleet's Redis store (API) or worker. */
  backend: PredictionBackend;
  /** Resolves when setup finished (READY or SETUP_FAILED) and the warm-up ran. */
  ready: Promise<void>;
  /** Stops accepting, lets predictions finish within the grace period, cancels the rest, closes. */
  close(options?: { graceMs?: number }): Promise<void>;
  /** Resolves when the server has closed (after `close()`, SIGTERM or `POST /shutdown`). */
  closed: Promise<void>;
}

const seconds = (s: number | undefined) => (s === undefined ? undefined : s * 1000);

/** Server settings from cog.yaml (`concurrency.max`, `server.*`); explicit options win. */
async function settingsFromProject(
  dir: string,
): Promise<Pick<ServeOptions, "concurrency" | "queueMax" | "predictionTimeoutMs" | "setupTimeoutMs" | "publicUrl" | "workerMemoryMb" | "cors" | "maxBodyBytes" | "allowPrivateUrls" | "maxDownloadBytes" | "downloadTimeoutMs" | "openai"> & { webhookAllowedHosts?: string[] }> {
  try {
    const { loadProject } = await import("@tscog/runtime");
    const { config } = await loadProject(dir);
    const origins = config.server?.cors_origins;
    return {
      concurrency: config.concurrency?.max,
      queueMax: config.concurrency?.queue_max,
      predictionTimeoutMs: seconds(config.server?.prediction_timeout),
      setupTimeoutMs: seconds(config.server?.setup_timeout),
      publicUrl: config.server?.public_url,
      workerMemoryMb: config.server?.worker_memory_mb,
      maxBodyBytes: config.server?.max_body_bytes,
      cors: origins?.length ? { origins: origins.includes("*") ? "*" : origins } : undefined,
      allowPrivateUrls: config.server?.allow_private_urls,
      maxDownloadBytes: config.server?.max_download_bytes,
      downloadTimeoutMs: config.server?.download_timeout === undefined ? undefined : config.server.download_timeout * 1000,
      webhookAllowedHosts: config.server?.webhook_allowed_hosts,
      openai: { config: { openai: config.openai, image: config.image }, projectDir: dir },
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
  const fromProject = source.kind === "project" ? await settingsFromProject(source.dir) : {};
  // Outbound requests made for clients (file-input URLs, webhooks) go to public addresses unless allowed.
  const allowPrivateUrls = options.allowPrivateUrls ?? fromProject.allowPrivateUrls ?? false;
  const files = serveFiles({ files: options.files, uploadUrl: options.uploadUrl, publicUrl: options.publicUrl ?? fromProject.publicUrl });
  const downloads = {
    ownFiles: files.ownFiles,
    allowPrivateUrls,
    maxBytes: options.maxDownloadBytes ?? fromProject.maxDownloadBytes,
    timeoutMs: options.downloadTimeoutMs ?? fromProject.downloadTimeoutMs,
  };
  const webhook = { ...options.webhook, allowPrivateUrls, allowedHosts: options.webhook?.allowedHosts ?? fromProject.webhookAllowedHosts };
  if (webhook.authToken && !webhook.allowedHosts?.length) log("WEBHOOK_AUTH_TOKEN is set but no webhook hosts are allowed (server.webhook_allowed_hosts): webhooks go without it");
  const workerMemoryMb = options.workerMemoryMb ?? fromProject.workerMemoryMb;
  const host = options.predictorHost ?? new WorkerPredictorHost({ source, workerUrl: options.workerUrl, downloads, memoryMb: workerMemoryMb, uploads: files.uploads, environment: options.environment });
  const service = new PredictionService({
    host,
    concurrency: options.concurrency ?? fromProject.concurrency,
    queueMax: options.queueMax ?? fromProject.queueMax,
    webhook,
    cancelTimeoutMs: options.cancelTimeoutMs,
    predictionTimeoutMs: options.predictionTimeoutMs ?? fromProject.predictionTimeoutMs,
    setupTimeoutMs: options.setupTimeoutMs ?? fromProject.setupTimeoutMs,
    // A fleet's worker keeps nothing once written to Redis; the API replicas keep mirrors.
    store: options.queue ? { maxFinished: 0 } : options.maxRetainedBytes === undefined ? undefined : { maxFinishedBytes: options.maxRetainedBytes },
  });
  const fleet = options.queue ? createFleet({ settings: fleetSettings(options.queue), service, host, token: options.token, webhook }) : undefined;
  const backend: PredictionBackend = fleet?.backend ?? service;
  if (fleet) log(`fleet role ${fleetSettings(options.queue!).role} on the queue at ${options.queue!.url.replace(/\/\/[^@/]*@/, "//")}`);
  let closing: Promise<void> | undefined;
  let running: RunningServer | undefined;
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const close = (opts: { graceMs?: number } = {}) => {
    closing ??= (async () => {
      log("shutting down: finishing running predictions");
      // No new connections; idle keep-alive ones close now, busy ones after their reply.
      running?.drain();
      // Every prediction ends (finished, canceled, or failed when it ignores the cancel), so every open stream gets its terminal event.
      await backend.shutdown({ graceMs: opts.graceMs ?? options.graceMs ?? 7_000 });
      await files.store.close();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([running?.close(), new Promise((r) => (timer = setTimeout(r, 1_000)))]);
      clearTimeout(timer);
      running?.server.closeAllConnections();
      markClosed();
    })();
    return closing;
  };
  const observability = new Observability(backend, options.observability);
  for (const observer of observability.observers) backend.observe(observer);
  const app = createApp({
    ...files.appOptions,
    service: backend,
    probesOnly: fleet?.probesOnly,
    observability,
    token: options.token,
    cors: options.cors ?? fromProject.cors,
    maxBodyBytes: options.maxBodyBytes ?? fromProject.maxBodyBytes,
    heartbeatMs: options.heartbeatMs,
    publicUrl: options.publicUrl ?? fromProject.publicUrl,
    maxJsonDepth: options.jsonLimits?.maxDepth,
    maxJsonValues: options.jsonLimits?.maxValues,
    maxJsonMembers: options.jsonLimits?.maxMembers,
    openai: options.openai ?? fromProject.openai,
    onShutdown: () => void close().then(() => options.handleSignals && process.exit(0)),
  });
  running = await listen(app, { host: options.host, port: options.port, trustProxy: options.trustProxy,
    maxConnections: options.maxConnections,
    headersTimeoutMs: options.headersTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
  });
  log(`listening on ${running.url}`);
  const ready = backend.start().then(async () => {
    // Warm-up: exercise the request path once so the first real request is not the slow one.
    for (const path of ["/health-check", "/openapi.json", "/v1/predictions/warmup"]) {
      const headers: Record<string, string> = { [WARMUP_HEADER]: "1", ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) };
      const res = await app.fetch(new Request(`http://localhost${path}`, { headers }));
      await res.body?.cancel();
    }
    const health = backend.health();
    log(health.status === "SETUP_FAILED" ? `setup failed:\n${health.setup.logs}` : "ready");
  });
  if (options.handleSignals) {
    let signals = 0;
    // The first signal shuts down gracefully; a second one (Ctrl-C again) exits at once.
    const onSignal = () => {
      if (++signals > 1) process.exit(130);
      void close().then(() => process.exit(0));
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  }
  return { url: running.url, port: running.port, app, service, backend, ready, close, closed };
}
