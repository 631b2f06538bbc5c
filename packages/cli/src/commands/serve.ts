import { Command, Option } from "commander";
import { execa } from "execa";
import { TscogError } from "@tscog/sdk";
import { fleetTunablesFromEnv, observabilityFromEnv, publicUrl, serve, serveOptionsFromEnv, type ServeOptions } from "@tscog/server";
import { collect, projectDirOption, runAction } from "../command-helpers.js";
import { startImage } from "../image-container.js";
import { parseEnvFlags } from "../env-flags.js";

interface ServeFlags {
  project: string;
  host: string;
  port: string;
  token?: string;
  corsOrigin: string[];
  concurrency?: string;
  maxBodyBytes?: string;
  grace?: string;
  queueMax?: string;
  predictionTimeout?: string;
  setupTimeout?: string;
  publicUrl?: string;
  workerMemory?: string;
  image?: string;
  allowPrivateUrls?: boolean;
  maxDownloadBytes?: string;
  downloadTimeout?: string;
  webhookAllowedHost: string[];
  uploadUrl?: string;
  logFormat?: string;
  logLevel?: string;
  metrics?: string;
  playground: boolean;
  env: string[];
  queue?: string;
  role?: string;
}

function checkedPublicUrl(value: string): string {
  try {
    return publicUrl(value);
  } catch (err) {
    throw new TscogError("BAD_REQUEST", `--public-url: ${(err as Error).message}.`);
  }
}

function integer(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new TscogError("BAD_REQUEST", `--${name} must be an integer >= ${min}, got ${JSON.stringify(value)}.`);
  return n;
}

/**
 * Resolves on the first SIGINT or SIGTERM; a second one exits at once (130).
 * The listeners stay registered (`on`, not `once`): execa's signal-exit
 * re-raises a signal that no other listener is left to handle, which would
 * kill the process mid-cleanup.
 */
function untilSignal(): Promise<void> {
  let signals = 0;
  return new Promise((resolve) => {
    const onSignal = () => {
      if (++signals > 1) {
        process.stderr.write("tscog serve: second signal, exiting without waiting\n");
        process.exit(130);
      }
      resolve();
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

/** `--port`: a whole number from 0 (a free port) to 65535. */
function portFlag(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new TscogError("BAD_REQUEST", `--port must be a whole number from 0 to 65535 (0 picks a free port), got ${JSON.stringify(value)}.`);
  }
  return n;
}

/** A number of seconds >= 0 from a flag, as ms. */
function secondsFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new TscogError("BAD_REQUEST", `--${name} must be a number of seconds >= 0, got ${JSON.stringify(value)}.`);
  return n * 1000;
}

/** The container's log and metrics settings: the flags, else text logs when this terminal shows them. */
function imageLogEnv(flags: ServeFlags): Record<string, string> {
  const env: Record<string, string> = { TSCOG_LOG_FORMAT: flags.logFormat ?? process.env.TSCOG_LOG_FORMAT ?? (process.stdout.isTTY ? "text" : "json") };
  const level = flags.logLevel ?? process.env.TSCOG_LOG_LEVEL;
  if (level) env.TSCOG_LOG_LEVEL = level;
  const metrics = flags.metrics ?? process.env.TSCOG_METRICS;
  if (metrics) env.TSCOG_METRICS = metrics;
  if (!flags.playground) env.TSCOG_PLAYGROUND = "0";
  return env;
}

/** `tscog serve --image REF`: runs the built image in Docker with its output here, until Ctrl-C. */
async function serveImage(flags: ServeFlags): Promise<number> {
  const signal = untilSignal();
  const port = portFlag(flags.port);
  const setupMs = secondsFlag("setup-timeout", flags.setupTimeout);
  const env = { ...imageLogEnv(flags), ...parseEnvFlags(flags.env), ...(setupMs === undefined ? {} : { TSCOG_SETUP_TIMEOUT: String(setupMs / 1000) }) };
  const container = await startImage(flags.image!, { host: flags.host, port, env, timeoutMs: setupMs === 0 ? Infinity : setupMs });
  const logs = execa("docker", ["logs", "-f", container.id], { stdio: ["ignore", "inherit", "inherit"], reject: false });
  process.stderr.write(`tscog serve: ${flags.image} is ready at ${container.url} (container ${container.id.slice(0, 12)}); Ctrl-C stops it\n`);
  await signal;
  await container.stop();
  logs.kill();
  return 0;
}

async function serveCommand(flags: ServeFlags): Promise<number> {
  if (flags.image) return serveImage(flags);
  const port = portFlag(flags.port);
  const environment = parseEnvFlags(flags.env);
  const env = serveOptionsFromEnv();
  const server = await serve({
    ...env,
    dir: flags.project,
    host: flags.host,
    port,
    environment,
    token: flags.token ?? env.token,
    cors: flags.corsOrigin.length ? { origins: flags.corsOrigin.includes("*") ? "*" : flags.corsOrigin } : env.cors,
    concurrency: flags.concurrency ? integer("concurrency", flags.concurrency, 1) : env.concurrency,
    maxBodyBytes: flags.maxBodyBytes ? integer("max-body-bytes", flags.maxBodyBytes, 1) : env.maxBodyBytes,
    graceMs: secondsFlag("grace", flags.grace) ?? env.graceMs,
    queueMax: flags.queueMax ? integer("queue-max", flags.queueMax, 0) : env.queueMax,
    predictionTimeoutMs: secondsFlag("prediction-timeout", flags.predictionTimeout) ?? env.predictionTimeoutMs,
    setupTimeoutMs: secondsFlag("setup-timeout", flags.setupTimeout) ?? env.setupTimeoutMs,
    publicUrl: flags.publicUrl ? checkedPublicUrl(flags.publicUrl) : env.publicUrl,
    workerMemoryMb: flags.workerMemory ? integer("worker-memory", flags.workerMemory, 64) : env.workerMemoryMb,
    allowPrivateUrls: flags.allowPrivateUrls || env.allowPrivateUrls,
    maxDownloadBytes: flags.maxDownloadBytes ? integer("max-download-bytes", flags.maxDownloadBytes, 1) : env.maxDownloadBytes,
    downloadTimeoutMs: secondsFlag("download-timeout", flags.downloadTimeout) ?? env.downloadTimeoutMs,
    webhook: flags.webhookAllowedHost.length ? { ...env.webhook, allowedHosts: flags.webhookAllowedHost } : env.webhook,
    uploadUrl: flags.uploadUrl ?? env.uploadUrl,
    log: (line) => process.stderr.write(`tscog serve: ${line}\n`),
    observability: observabilityFromEnv(process.env, flags),
    queue: queueFlags(flags, env.queue),
  });
  // Ends on a signal, or when a client's POST /shutdown closed the server.
  const stopped = Promise.race([untilSignal().then(() => server.close()), server.closed]);
  await server.ready;
  await stopped;
  return 0;
}

/** `--queue` and `--role` over `TSCOG_QUEUE_URL` and `TSCOG_ROLE` (flags win); undefined for the one-process mode. */
function queueFlags(flags: ServeFlags, fromEnv: ServeOptions["queue"]): ServeOptions["queue"] {
  const url = flags.queue ?? fromEnv?.url;
  const role = (flags.role ?? fromEnv?.role) as "api" | "worker" | "all" | undefined;
  if (!url) {
    if (role && role !== "all") throw new TscogError("BAD_REQUEST", `--role ${role} needs a queue: add --queue redis://HOST:PORT (or set TSCOG_QUEUE_URL).`);
    return undefined;
  }
  if (!/^rediss?:\/\/[^/]+(\/\d*)?$/.test(url)) throw new TscogError("BAD_REQUEST", `--queue must look like redis://HOST:PORT[/DB], got ${JSON.stringify(url)}.`);
  return { ...fleetTunablesFromEnv(), ...fromEnv, url, role: role ?? "all" };
}

/** Registers `tscog serve`: the prediction HTTP server for the project (Cog and Replicate APIs, SSE). */
export function registerServe(program: Command): void {
  program
    .command("serve")
    .description(
      "Serve the project over HTTP: Cog's API (/predictions, /health-check) and Replicate's (/v1/predictions with urls.stream server-sent events).",
    )
    .addOption(projectDirOption())
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .addOption(new Option("-p, --port <port>", "port to listen on (0 picks a free one)").default(process.env.PORT ?? "5000"))
    .option("--token <token>", "require Authorization: Bearer <token> (default $TSCOG_API_TOKEN)")
    .option("--cors-origin <origin>", "allow a browser origin with credentials (repeatable; * for any)", collect, [])
    .option("--concurrency <n>", "predictions at once (default cog.yaml concurrency.max, else 1)")
    .option("--max-body-bytes <n>", "largest request body (default 16 MiB)")
    .option("--grace <seconds>", "on SIGTERM, how long running predictions may finish (default 7, inside docker stop's 10)")
    .option("--queue-max <n>", "predictions that may wait for a slot on the Replicate routes (default cog.yaml concurrency.queue_max, else 64)")
    .option("--prediction-timeout <seconds>", "fail a prediction that runs longer (default cog.yaml server.prediction_timeout, else 1800; 0 for none)")
    .option("--setup-timeout <seconds>", "fail setup() that runs longer (default cog.yaml server.setup_timeout, else 600; 0 for none)")
    .option("--public-url <url>", "base of absolute URLs in replies (urls.*), e.g. https://models.example.com (default: the request's Host)")
    .option("--worker-memory <MiB>", "heap limit of the predictor's thread (default cog.yaml server.worker_memory_mb, else Node's)")
    .option("--allow-private-urls", "let file-input URLs and webhooks reach loopback, private and link-local addresses (local development)")
    .option("--max-download-bytes <n>", "largest file fetched for a file input given as a URL (default cog.yaml server.max_download_bytes, else 100 MiB)")
    .option("--download-timeout <seconds>", "time a file input's download may take (default cog.yaml server.download_timeout, else 60; 0 for none)")
    .option("--webhook-allowed-host <host>", "the only hosts webhooks go to, and the only ones that get $WEBHOOK_AUTH_TOKEN (repeatable; *.example.com for subdomains)", collect, [])
    .option("--upload-url <url>", "PUT each file output to <url>/<name> and return its URL instead of a data: URI, as Cog does (default $TSCOG_UPLOAD_URL)")
    .option("--image <ref>", "serve this built image from the local Docker engine instead of the project")
    .addOption(new Option("--log-format <format>", "log lines on stdout: text, or json (one object per line) (default $TSCOG_LOG_FORMAT, else text on a terminal, json otherwise)").choices(["text", "json"]))
    .addOption(new Option("--log-level <level>", "least severe log lines shown (default $TSCOG_LOG_LEVEL, else info)").choices(["debug", "info", "warn", "error"]))
    .addOption(new Option("--metrics <mode>", "GET /metrics (Prometheus): on (needs the token when one is set), public, or off (default $TSCOG_METRICS, else on)").choices(["on", "public", "off"]))
    .option("--no-playground", "do not serve the web playground at /")
    .option("-e, --env <NAME=value>", "environment variable for the predictor (repeatable; with --image, set in the container)", collect, [])
    .option("--queue <url>", "run as part of a fleet on this Redis, redis://HOST:PORT[/DB] (default $TSCOG_QUEUE_URL; see docs/fleet.md)")
    .addOption(new Option("--role <role>", "with --queue: api (HTTP routes, no model), worker (runs the model on queued jobs) or all (default $TSCOG_ROLE, else all)").choices(["api", "worker", "all"]))
    .action(runAction(serveCommand));
}
