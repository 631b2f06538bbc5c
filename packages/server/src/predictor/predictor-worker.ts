/**
 * The predictor's thread. Loads the predictor (a project through
 * `@tscog/runtime`, or a module exporting a loader, for tests), runs setup and
 * predictions, and streams batched events back to the server thread.
 *
 * Bundlers: this file starts itself when it is the worker's entry, so a bundle
 * that includes it can use its own URL as the worker URL.
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import type { DownloadOptions } from "@tscog/runtime";
import { Cancellation } from "../predictions/cancellation.js";
import type { EventBatch } from "../predictions/event-batch.js";
import { drivePrediction, type LoadedPredictorLike } from "./predictor-host.js";
import { uploadOutputFile, type OutputUploadOptions } from "../files/output-uploader.js";

/** Where the worker gets its predictor. */
export type PredictorSource =
  | { kind: "project"; dir: string }
  /** A module whose named export returns a `LoadedPredictorLike` (tests, custom hosts). */
  | { kind: "module"; url: string; exportName?: string; options?: unknown };

/** Messages from the server thread. */
export type ToWorker =
  | { t: "setup" }
  | { t: "predict"; id: string; input: Record<string, unknown> }
  | { t: "cancel"; id: string }
  | { t: "ping"; n: number };

/** Messages to the server thread. */
export type FromWorker =
  | { t: "loaded"; openapi: Record<string, unknown>; outputKind: LoadedPredictorLike["outputKind"] }
  | { t: "load-error"; error: string; code?: string }
  | { t: "setup-log"; data: string }
  | { t: "setup-done"; error?: string }
  | { t: "events"; id: string; batch: EventBatch }
  | { t: "result"; id: string; status: "succeeded" | "failed" | "canceled"; value?: unknown; error?: string; code?: string; details?: unknown }
  | { t: "pong"; n: number };

async function loadFrom(source: PredictorSource, environment?: Record<string, string>): Promise<LoadedPredictorLike> {
  if (source.kind === "module") {
    const mod = (await import(source.url)) as Record<string, unknown>;
    const factory = mod[source.exportName ?? "default"];
    if (typeof factory !== "function") throw new Error(`${source.url} has no export ${source.exportName ?? "default"}`);
    return (await factory(source.options)) as LoadedPredictorLike;
  }
  // Imported lazily: esbuild and the TypeScript parser are only needed for projects.
  const runtime = await import("@tscog/runtime");
  const project = await runtime.loadProject(source.dir);
  // cog.yaml's environment, then what the operator set with `serve -e` over it (as `docker run -e` overrides an image's ENV).
  Object.assign(process.env, runtime.projectEnvironment(project.config), environment);
  return (await runtime.loadPredictor(project, {})) as unknown as LoadedPredictorLike;
}

/**
 * `Path` outputs leave the worker as data: URIs, or with an upload URL as the
 * URLs they were uploaded to (only predictors that output files load this).
 */
async function fileOutputEncoderFor(loaded: LoadedPredictorLike, uploads?: OutputUploadOptions) {
  const output = (loaded.openapi as { components?: { schemas?: Record<string, any> } }).components?.schemas?.Output;
  const { fileOutputEncoder } = await import("@tscog/runtime");
  const encode = fileOutputEncoder(output);
  if (!encode) return undefined;
  if (!uploads) return (value: unknown) => encode(value);
  return (value: unknown, predictionId: string) => fileOutputEncoder(output, (file) => uploadOutputFile(file, { ...uploads, predictionId }))!(value);
}

/** Post a message; values that cannot be cloned (functions, class instances with handles) go through JSON. */
function send(message: FromWorker): void {
  try {
    parentPort!.postMessage(message);
  } catch {
    parentPort!.postMessage(JSON.parse(JSON.stringify(message)));
  }
}

/** The worker's main loop. Starts automatically when this file is a worker's entry. */
export async function runPredictorWorker(): Promise<void> {
  const { source, downloads, uploads, environment } = workerData as {
    source: PredictorSource;
    downloads?: DownloadOptions;
    uploads?: OutputUploadOptions;
    environment?: Record<string, string>;
  };
  // A promise the predictor forgot to handle would kill the thread, losing every running prediction
  // and chunks already yielded: report it on the server's stderr instead.
  process.on("unhandledRejection", (reason) => {
    const text = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    process.stderr.write(`tscog: the predictor left a promise rejection unhandled: ${text}\n`);
  });
  let loaded: LoadedPredictorLike;
  try {
    loaded = await loadFrom(source, environment);
  } catch (err) {
    const e = err as { message?: string; code?: string };
    send({ t: "load-error", error: e?.message ?? String(err), ...(typeof e?.code === "string" ? { code: e.code } : {}) });
    return;
  }
  const encodeOutput = await fileOutputEncoderFor(loaded, uploads);
  const running = new Map<string, Cancellation>();
  parentPort!.on("message", (msg: ToWorker) => {
    switch (msg.t) {
      case "ping":
        send({ t: "pong", n: msg.n });
        break;
      case "setup":
        loaded.runner
          .setup({ onLog: (data) => send({ t: "setup-log", data }) })
          .then(
            () => send({ t: "setup-done" }),
            (err) => send({ t: "setup-done", error: err instanceof Error ? err.message : String(err) }),
          );
        break;
      case "cancel":
        running.get(msg.id)?.abort();
        break;
      case "predict": {
        const cancellation = new Cancellation();
        running.set(msg.id, cancellation);
        void drivePrediction(loaded.runner, {
          id: msg.id,
          input: msg.input,
          cancellation,
          onEvents: (batch) => send({ t: "events", id: msg.id, batch }),
        }, { encodeOutput, downloads }).then((result) => {
          running.delete(msg.id);
          send({ t: "result", id: msg.id, ...result });
        });
        break;
      }
    }
  });
  send({ t: "loaded", openapi: loaded.openapi, outputKind: loaded.outputKind });
}

if (!isMainThread && (workerData as { tscogPredictorWorker?: boolean } | null)?.tscogPredictorWorker) {
  void runPredictorWorker();
}
