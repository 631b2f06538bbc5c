/**
 * Where predictions run. The server talks to a `PredictorHost`; the real one
 * runs the predictor in a worker thread (`WorkerPredictorHost`), tests may use
 * `InProcessPredictorHost` with a fake runner.
 */
import { describeThrown, TscogError } from "@tscog/sdk";
import type { DownloadOptions } from "@tscog/runtime";
import type { Cancellation } from "../predictions/cancellation.js";
import { EventBatcher, type EventBatch } from "../predictions/event-batch.js";
import type { OutputKind } from "../predictions/prediction.js";
import { toJsonOutput } from "./json-output.js";

/** The subset of `@tscog/runtime`'s `PredictorRunner` the server needs. */
export interface RunnerLike {
  setup(opts?: { onLog?(text: string): void }): Promise<void>;
  predict(
    input: Record<string, unknown>,
    opts: {
      id?: string;
      signal?: AbortSignal;
      onLog?(text: string): void;
      onMetric?(name: string, value: number | string | boolean): void;
      files?: "local" | "remote";
      downloads?: DownloadOptions;
    },
  ): AsyncGenerator<unknown, unknown, undefined>;
}

/** The subset of `@tscog/runtime`'s `LoadedPredictor` the server needs. */
export interface LoadedPredictorLike {
  openapi: Record<string, unknown>;
  outputKind: OutputKind;
  runner: RunnerLike;
}

/** How a prediction ended, as a host reports it. */
export type HostResult =
  | { status: "succeeded"; value: unknown }
  | { status: "failed"; error: string; code?: string; details?: unknown }
  | { status: "canceled" };

/** One prediction for a host to run. */
export interface HostJob {
  id: string;
  input: Record<string, unknown>;
  /** Aborting it cancels the prediction (the predictor's signal fires, its generator is returned). */
  cancellation: Cancellation;
  /** Receives events in batches, in order. */
  onEvents(batch: EventBatch): void;
}

/** What the server needs from wherever the predictor runs. */
export interface PredictorHost {
  /** Loads the predictor (no setup). */
  load(): Promise<{ openapi: Record<string, unknown>; outputKind: OutputKind }>;
  /** Runs `setup()`; logs stream to `onLog`. Rejects with the setup error. */
  setup(onLog: (text: string) => void): Promise<void>;
  /** Runs one prediction to its end. Never rejects. */
  predict(job: HostJob): Promise<HostResult>;
  /** Round trip to the predictor's thread (warm-up, liveness). */
  ping(): Promise<void>;
  /** Called when the host dies on its own (worker crash); the server reacts. */
  onExit?: (reason: string) => void;
  /** Kills the predictor's thread (a prediction ignores its cancel); `onExit` then fires. Optional. */
  terminate?(reason: string): void;
  close(): Promise<void>;
}

/** Tuning of the batching driver. */
export interface DriveOptions {
  /** Flush after this many buffered events. */
  maxBatch?: number;
  /** Flush (and let the event loop turn) when the oldest buffered event is this old, in ms. */
  maxDelayMs?: number;
  /** Turns `Path` outputs (local files) into what clients receive (data: URIs, or uploaded files' URLs); gets the prediction's id. */
  encodeOutput?: (value: unknown, predictionId: string) => Promise<unknown>;
  /** Address policy, size cap and timeout for `Path` inputs given as URLs (`@tscog/runtime` defaults otherwise). */
  downloads?: DownloadOptions;
}

/**
 * Runs one prediction: iterates the generator, batches its chunks and logs,
 * stops within one chunk when `signal` aborts (calling the generator's
 * `return()`), and turns a throw into a failed result.
 */
export async function drivePrediction(
  runner: RunnerLike,
  job: HostJob,
  options: DriveOptions = {},
): Promise<HostResult> {
  const maxBatch = options.maxBatch ?? 1024;
  const maxDelay = options.maxDelayMs ?? 1;
  const batcher = new EventBatcher();
  let firstAt = 0;
  let scheduled = false;
  // The clock is read every `stride` chunks: every chunk while chunks come slowly,
  // less often (up to 64) while they come much faster than `maxDelay`.
  let stride = 1;
  let sinceCheck = 0;
  let lastCheck = 0;
  const flush = () => {
    scheduled = false;
    const batch = batcher.take();
    if (batch) job.onEvents(batch);
  };
  const started = () => {
    if (batcher.size === 1) firstAt = lastCheck = performance.now();
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  const onLog = (text: string) => {
    batcher.log(text);
    started();
  };
  const onMetric = (name: string, value: unknown) => {
    batcher.metric(name, value);
    started();
  };
  const cancellation = job.cancellation;
  let aborted = cancellation.aborted;
  const onAbort = () => (aborted = true);
  cancellation.addEventListener("abort", onAbort);
  let iterator: AsyncGenerator<unknown, unknown, undefined> | undefined;
  let chunks = 0;
  try {
    if (aborted) return { status: "canceled" };
    // HTTP clients send files as data: URIs or URLs, never as paths on this machine.
    iterator = runner.predict(job.input, { id: job.id, signal: cancellation.signal, onLog, onMetric, files: "remote", downloads: options.downloads });
    const encode = options.encodeOutput;
    for (;;) {
      const step = await iterator.next();
      if (step.done) {
        flush();
        if (aborted) return { status: "canceled" };
        const value = encode ? await encode(step.value, job.id) : step.value;
        return { status: "succeeded", value: value === undefined ? null : toJsonOutput(value, "the return value") };
      }
      batcher.output(toJsonOutput(encode ? await encode(step.value, job.id) : step.value, `output chunk ${chunks}`));
      chunks++;
      if (aborted) {
        batcher.clear();
        await iterator.return(undefined).catch(() => undefined);
        return { status: "canceled" };
      }
      started();
      if (batcher.size < maxBatch && ++sinceCheck < stride) continue;
      sinceCheck = 0;
      const now = performance.now();
      stride = now - lastCheck < maxDelay / 8 ? Math.min(64, stride * 2) : 1;
      lastCheck = now;
      if (batcher.size >= maxBatch || now - firstAt >= maxDelay) {
        flush();
        // A generator that never awaits a macrotask would starve cancels and flushes.
        await new Promise((resolve) => setImmediate(resolve));
        if (aborted) {
          await iterator.return(undefined).catch(() => undefined);
          return { status: "canceled" };
        }
      }
    }
  } catch (err) {
    flush();
    if (aborted) return { status: "canceled" };
    if (iterator && err instanceof TscogError && err.code === "INVALID_OUTPUT") await iterator.return(undefined).catch(() => undefined);
    const e = err as { message?: unknown; code?: unknown; details?: unknown };
    const message = err instanceof Error ? err.message : typeof e?.message === "string" ? e.message : describeThrown(err);
    return {
      status: "failed",
      error: message,
      ...(typeof e?.code === "string" ? { code: e.code } : {}),
      ...(e?.details !== undefined ? { details: e.details } : {}),
    };
  } finally {
    cancellation.removeEventListener("abort", onAbort);
  }
}

/** Runs the predictor on the server's own thread. For tests and fakes. */
export class InProcessPredictorHost implements PredictorHost {
  onExit?: (reason: string) => void;
  private loaded?: LoadedPredictorLike;

  constructor(private readonly load_: () => Promise<LoadedPredictorLike> | LoadedPredictorLike) {}

  async load() {
    this.loaded = await this.load_();
    return { openapi: this.loaded.openapi, outputKind: this.loaded.outputKind };
  }

  async setup(onLog: (text: string) => void): Promise<void> {
    if (!this.loaded) await this.load();
    await this.loaded!.runner.setup({ onLog });
  }

  predict(job: HostJob): Promise<HostResult> {
    return drivePrediction(this.loaded!.runner, job);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
