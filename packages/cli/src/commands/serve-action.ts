import { execa } from "execa";
import { TscogError } from "@tscog/sdk";
import { fleetTunablesFromEnv, observabilityFromEnv, publicUrl, serve, serveOptionsFromEnv, type ServeOptions } from "@tscog/server";
import { startImage } from "../image-container.js";
import { parseEnvFlags } from "../env-flags.js";

// The implementation of `tscog serve`, loaded only when it runs: @tscog/server
// brings Redis, busboy and prom-client with it.

/** Flags of `tscog serve`. */
export interface ServeFlags {
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

/** `tscog serve`: the project (or `--image`) served until a signal or POST /shutdown. */
export async function serveCommand(flags: ServeFlags): Promise<number> {
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

