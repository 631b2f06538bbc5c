import { Command, Option } from "commander";
import { collect, projectDirOption, runAction } from "../command-helpers.js";
import type { ServeFlags } from "./serve-action.js";

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
    .action(runAction(async (flags: ServeFlags) => (await import("./serve-action.js")).serveCommand(flags)));
}
