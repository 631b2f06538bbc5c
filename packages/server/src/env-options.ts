/** Server options from environment variables, shared by `tscog serve` and the image entrypoint. */
import type { ServeOptions } from "./server.js";

/**
 * Reads `TSCOG_API_TOKEN`, `TSCOG_CORS_ORIGINS` (comma-separated, or `*`),
 * `TSCOG_MAX_BODY_BYTES`, `TSCOG_SHUTDOWN_GRACE_SECONDS`, `TSCOG_CONCURRENCY`
 * `TSCOG_TRUST_PROXY` (1/true) and Cog's `WEBHOOK_AUTH_TOKEN`. Unset variables leave options unset.
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
  return options;
}
