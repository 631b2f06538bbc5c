/** Server options from environment variables, shared by `tscog serve` and the image entrypoint. */
import type { ServeOptions } from "./server.js";

/**
 * Reads `TSCOG_API_TOKEN`, `TSCOG_CORS_ORIGINS` (comma-separated, or `*`),
 * `TSCOG_MAX_BODY_BYTES`, `TSCOG_SHUTDOWN_GRACE_SECONDS`, `TSCOG_CONCURRENCY`
 * `TSCOG_TRUST_PROXY` (1/true), `TSCOG_ALLOW_PRIVATE_URLS` (1/true/0/false), `TSCOG_MAX_DOWNLOAD_BYTES`,
 * `TSCOG_DOWNLOAD_TIMEOUT` (seconds), `TSCOG_WEBHOOK_ALLOWED_HOSTS` (comma-separated), `TSCOG_QUEUE_MAX`,
 * `TSCOG_PREDICTION_TIMEOUT` and `TSCOG_SETUP_TIMEOUT` (seconds, 0 for none), `TSCOG_PUBLIC_URL`,
 * `TSCOG_WORKER_MEMORY_MB`, `TSCOG_MAX_CONNECTIONS`, `TSCOG_MAX_RETAINED_BYTES`, `TSCOG_MAX_JSON_DEPTH`,
 * `TSCOG_MAX_JSON_VALUES`, `TSCOG_MAX_JSON_MEMBERS` and Cog's
 * `WEBHOOK_AUTH_TOKEN`. Unset variables leave options unset.
 */
export function serveOptionsFromEnv(env: Record<string, string | undefined> = process.env): ServeOptions {
  const options: ServeOptions = {};
  if (env.TSCOG_API_TOKEN) options.token = env.TSCOG_API_TOKEN;
  if (env.TSCOG_CORS_ORIGINS) {
    const list = env.TSCOG_CORS_ORIGINS.split(",").map((s) => s.trim()).filter(Boolean);
    options.cors = { origins: list.includes("*") ? "*" : list };
  }
  const num = (name: string) => {
    const v = env[name];
    if (v === undefined || v === "") return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${JSON.stringify(v)}`);
    return n;
  };
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
  return options;
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
