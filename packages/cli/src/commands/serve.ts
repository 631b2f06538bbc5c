import { Command, Option } from "commander";
import { execa } from "execa";
import { TscogError } from "@tscog/sdk";
import { serve, serveOptionsFromEnv } from "@tscog/server";
import { collect, projectDirOption, runAction } from "../command-helpers.js";
import { startImage } from "../image-container.js";

interface ServeFlags {
  project: string;
  host: string;
  port: string;
  token?: string;
  corsOrigin: string[];
  concurrency?: string;
  maxBodyBytes?: string;
  grace: string;
  image?: string;
}

function integer(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new TscogError("BAD_REQUEST", `--${name} must be an integer >= ${min}, got ${JSON.stringify(value)}.`);
  return n;
}

/**
 * Resolves on the first SIGINT or SIGTERM. The listeners stay registered
 * (`on`, not `once`): execa's signal-exit re-raises a signal that no other
 * listener is left to handle, which would kill the process mid-cleanup.
 */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.on("SIGTERM", () => resolve());
    process.on("SIGINT", () => resolve());
  });
}

/** `tscog serve --image REF`: runs the built image in Docker with its output here, until Ctrl-C. */
async function serveImage(flags: ServeFlags): Promise<number> {
  const signal = untilSignal();
  const container = await startImage(flags.image!, { host: flags.host, port: integer("port", flags.port, 0) });
  const logs = execa("docker", ["logs", "-f", container.id], { stdio: ["ignore", "inherit", "inherit"], reject: false });
  process.stderr.write(`tscog serve: ${flags.image} is ready at ${container.url} (container ${container.id.slice(0, 12)}); Ctrl-C stops it\n`);
  await signal;
  await container.stop();
  logs.kill();
  return 0;
}

async function serveCommand(flags: ServeFlags): Promise<number> {
  if (flags.image) return serveImage(flags);
  const env = serveOptionsFromEnv();
  const server = await serve({
    ...env,
    dir: flags.project,
    host: flags.host,
    port: integer("port", flags.port, 0),
    token: flags.token ?? env.token,
    cors: flags.corsOrigin.length ? { origins: flags.corsOrigin.includes("*") ? "*" : flags.corsOrigin } : env.cors,
    concurrency: flags.concurrency ? integer("concurrency", flags.concurrency, 1) : env.concurrency,
    maxBodyBytes: flags.maxBodyBytes ? integer("max-body-bytes", flags.maxBodyBytes, 1) : env.maxBodyBytes,
    graceMs: integer("grace", flags.grace, 0) * 1000,
    log: (line) => process.stderr.write(`tscog serve: ${line}\n`),
  });
  const stopped = untilSignal().then(() => server.close());
  await server.ready;
  await stopped;
  return 0;
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
    .option("--grace <seconds>", "on SIGTERM, how long running predictions may finish", "30")
    .option("--image <ref>", "serve this built image from the local Docker engine instead of the project")
    .action(runAction(serveCommand));
}
