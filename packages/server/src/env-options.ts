/** Server options from environment variables, shared by `tscog serve` and the image entrypoint. */
import type { ServeOptions } from "./server.js";
import { checkQueueUrl, FLEET_ROLES, type FleetRole, type FleetSettings } from "./fleet/fleet-keys.js";

/**
 * Reads `TSCOG_API_TOKEN`, `TSCOG_CORS_ORIGINS` (comma-separated, or `*`),
 * `TSCOG_MAX_BODY_BYTES`, `TSCOG_SHUTDOWN_GRACE_SECONDS`, `TSCOG_CONCURRENCY`
 * `TSCOG_TRUST_PROXY` (1/true), `TSCOG_ALLOW_PRIVATE_URLS` (1/true/0/false), `TSCOG_MAX_DOWNLOAD_BYTES`,
 * `TSCOG_DOWNLOAD_TIMEOUT` (seconds), `TSCOG_WEBHOOK_ALLOWED_HOSTS` (comma-separated), `TSCOG_QUEUE_MAX`,
 * `TSCOG_PREDICTION_TIMEOUT` and `TSCOG_SETUP_TIMEOUT` (seconds, 0 for none), `TSCOG_PUBLIC_URL`,
 * `TSCOG_WORKER_MEMORY_MB`, `TSCOG_MAX_CONNECTIONS`, `TSCOG_MAX_RETAINED_BYTES`, `TSCOG_MAX_JSON_DEPTH`,
 * `TSCOG_MAX_JSON_VALUES`, `TSCOG_MAX_JSON_MEMBERS`, the fleet's `TSCOG_QUEUE_URL`, `TSCOG_ROLE`,
 * `TSCOG_QUEUE_RECLAIM_MS`, `TSCOG_QUEUE_MAX_DELIVERIES`, `TSCOG_QUEUE_RESTART_LOST` (1/true),
 * `TSCOG_QUEUE_FINISHED_TTL` and `TSCOG_QUEUE_ACTIVE_TTL` (seconds) (see docs/fleet.md) and Cog's
 * `WEBHOOK_AUTH_TOKEN`. Unset variables leave options unset.
 */
export function serveOptionsFromEnv(env: Record<string, string | undefined> = process.env): ServeOptions {
  const options: ServeOptions = {};
  if (env.TSCOG_API_TOKEN) options.token = env.TSCOG_API_TOKEN;
  if (env.TSCOG_CORS_ORIGINS) {
    const list = env.TSCOG_CORS_ORIGINS.split(",").map((s) => s.trim()).filter(Boolean);
    options.cors = { origins: list.includes("*") ? "*" : list };
  }
  const num = (name: string) => nonNegative(env, name);
  const maxBody = num("TSCOG_MAX_BODY_BYTES");
  if (maxBody !== undefined) options.maxBodyBytes = maxBody;
  const grace = num("TSCOG_SHUTDOWN_GRACE_SECONDS");
  if (grace !== undefined) options.graceMs = grace * 1000;
  const concurrency = num("TSCOG_CONCURRENCY");
  if (concurrency !== undefined) options.concurrency = Math.max(1, Math.floor(concurrency));
  if (env.TSCOG_TRUST_PROXY === "1" || env.TSCOG_TRUST_PROXY === "true") options.trustProxy = true;
  if (env.WEBHOOK_AUTH_TOKEN) options.webhook = { authToken: env.WEBHOOK_AUTH_TOKEN };
  if (env.TSCOG_ALLOW_PRIVATE_URLS) options.allowPrivateUrls = env.TSCOG_ALLOW_PRIVATE_URLS === "1" || env.TSCOG_ALLOW_PRIVATE_URLS === "true";
  const maxDownload = num("TSCOG_MAX_DOWNLOAD_BYTES");
  if (maxDownload !== undefined) options.maxDownloadBytes = maxDownload;
  const downloadTimeout = num("TSCOG_DOWNLOAD_TIMEOUT");
  if (downloadTimeout !== undefined) options.downloadTimeoutMs = downloadTimeout * 1000;
  if (env.TSCOG_WEBHOOK_ALLOWED_HOSTS) {
    options.webhook = { ...options.webhook, allowedHosts: env.TSCOG_WEBHOOK_ALLOWED_HOSTS.split(",").map((s) => s.trim()).filter(Boolean) };
  }
  const queueMax = num("TSCOG_QUEUE_MAX");
  if (queueMax !== undefined) options.queueMax = Math.floor(queueMax);
  const predictionTimeout = num("TSCOG_PREDICTION_TIMEOUT");
  if (predictionTimeout !== undefined) options.predictionTimeoutMs = predictionTimeout * 1000;
  const setupTimeout = num("TSCOG_SETUP_TIMEOUT");
  if (setupTimeout !== undefined) options.setupTimeoutMs = setupTimeout * 1000;
  if (env.TSCOG_PUBLIC_URL) options.publicUrl = publicUrl(env.TSCOG_PUBLIC_URL);
  const workerMemory = num("TSCOG_WORKER_MEMORY_MB");
  if (workerMemory !== undefined) options.workerMemoryMb = Math.floor(workerMemory);
  const maxConnections = num("TSCOG_MAX_CONNECTIONS");
  if (maxConnections !== undefined) options.maxConnections = Math.floor(maxConnections);
  const maxRetained = num("TSCOG_MAX_RETAINED_BYTES");
  if (maxRetained !== undefined) options.maxRetainedBytes = maxRetained;
  const [maxDepth, maxValues, maxMembers] = ["TSCOG_MAX_JSON_DEPTH", "TSCOG_MAX_JSON_VALUES", "TSCOG_MAX_JSON_MEMBERS"].map(num);
  if (maxDepth !== undefined || maxValues !== undefined || maxMembers !== undefined) options.jsonLimits = { maxDepth, maxValues, maxMembers };
  // Uploads (`/v1/files`: TSCOG_FILES_DIR, TSCOG_MAX_FILE_BYTES, TSCOG_MAX_FILES_BYTES, TSCOG_FILE_RETENTION seconds) and Cog's TSCOG_UPLOAD_URL.
  if (env.TSCOG_UPLOAD_URL) options.uploadUrl = env.TSCOG_UPLOAD_URL;
  const [maxFileBytes, maxFilesBytes, fileRetention] = ["TSCOG_MAX_FILE_BYTES", "TSCOG_MAX_FILES_BYTES", "TSCOG_FILE_RETENTION"].map(num);
  if (env.TSCOG_FILES_DIR || maxFileBytes !== undefined || maxFilesBytes !== undefined || fileRetention !== undefined) {
    options.files = { dir: env.TSCOG_FILES_DIR || undefined, maxFileBytes, maxTotalBytes: maxFilesBytes, retentionMs: fileRetention === undefined ? undefined : fileRetention * 1000 };
  }
  if (env.TSCOG_QUEUE_URL) {
    const role = env.TSCOG_ROLE || "all";
    if (!FLEET_ROLES.includes(role as FleetRole)) throw new Error(`TSCOG_ROLE must be one of ${FLEET_ROLES.join(", ")}, got ${JSON.stringify(role)}`);
    options.queue = { ...fleetTunablesFromEnv(env), url: checkQueueUrl(env.TSCOG_QUEUE_URL), role: role as FleetRole };
  } else if (env.TSCOG_ROLE && env.TSCOG_ROLE !== "all") {
    throw new Error(`TSCOG_ROLE=${env.TSCOG_ROLE} needs a queue: set TSCOG_QUEUE_URL=redis://HOST:PORT`);
  }
  return options;
}

/** The fleet's tunables from `TSCOG_QUEUE_*` (for `--queue` given as a flag too); unset ones stay unset. */
export function fleetTunablesFromEnv(env: Record<string, string | undefined> = process.env): Omit<Partial<FleetSettings>, "url" | "role"> {
  const num = (name: string) => nonNegative(env, name);
  const seconds = (name: string) => (num(name) === undefined ? undefined : num(name)! * 1000);
  return {
    reclaimMs: num("TSCOG_QUEUE_RECLAIM_MS"),
    maxDeliveries: num("TSCOG_QUEUE_MAX_DELIVERIES"),
    restartLost: env.TSCOG_QUEUE_RESTART_LOST === "1" || env.TSCOG_QUEUE_RESTART_LOST === "true",
    finishedTtlMs: seconds("TSCOG_QUEUE_FINISHED_TTL"),
    activeTtlMs: seconds("TSCOG_QUEUE_ACTIVE_TTL"),
  };
}

/** Checks a public base URL (`https://host[:port]`, no path). */
export function publicUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || !/^https?:$/.test(url.protocol) || (url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
    throw new Error(`the public URL must be an http(s) origin such as https://models.example.com, got ${JSON.stringify(value)}`);
  }
  return url.origin;
}

/** `env[name]` as a non-negative number, undefined when unset or empty; throws naming the variable otherwise. */
function nonNegative(env: Record<string, string | undefined>, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${JSON.stringify(v)}`);
  return n;
}
