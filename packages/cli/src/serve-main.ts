/**
 * The image entrypoint: `node serve-main.js` serves the project in
 * `$TSCOG_PROJECT_DIR` (default `/src`) on `$PORT` (default 5000), host
 * `$TSCOG_HOST` (default 0.0.0.0). Other settings: see `serveOptionsFromEnv`.
 *
 * The predictor runs in a worker thread whose entry is this same file, so a
 * bundle of it is self-contained: in the worker, `@tscog/server`'s worker
 * module starts itself and the code below does nothing.
 */
import { isMainThread } from "node:worker_threads";
import { observabilityFromEnv, serve, serveOptionsFromEnv } from "@tscog/server";

if (isMainThread) {
  const env = process.env;
  serve({
    ...serveOptionsFromEnv(env),
    observability: observabilityFromEnv(env),
    dir: env.TSCOG_PROJECT_DIR || "/src",
    host: env.TSCOG_HOST || "0.0.0.0",
    port: Number(env.PORT || 5000),
    workerUrl: new URL(import.meta.url),
    handleSignals: true,
    log: (line) => process.stderr.write(`tscog: ${line}\n`),
  }).catch((err: unknown) => {
    process.stderr.write(`tscog: cannot start the server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
