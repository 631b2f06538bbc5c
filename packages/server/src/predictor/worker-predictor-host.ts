/** Runs the predictor in a worker thread so the HTTP event loop stays responsive. */
import { Worker } from "node:worker_threads";
import type { DownloadOptions } from "@tscog/runtime";
import type { OutputUploadOptions } from "../files/output-uploader.js";
import type { HostJob, HostResult, PredictorHost } from "./predictor-host.js";
import type { OutputKind } from "../predictions/prediction.js";
import type { FromWorker, PredictorSource, ToWorker } from "./predictor-worker.js";
import { sizeNextWorkerHeap } from "./worker-heap.js";

export interface WorkerPredictorHostOptions {
  source: PredictorSource;
  /** The worker's entry file; default this package's `predictor-worker.js`. Bundles pass their own URL. */
  workerUrl?: URL | string;
  /** Environment for the predictor; default the server's. */
  env?: Record<string, string | undefined>;
  /** Address policy, size cap and timeout for `Path` inputs given as URLs. */
  downloads?: DownloadOptions;
  /** Cog's `--upload-url`: `Path` outputs are PUT there and the output holds their URLs (default: data: URIs). */
  uploads?: OutputUploadOptions;
  /** Heap limit of the predictor's thread, MiB (`resourceLimits.maxOldGenerationSizeMb`). Default Node's. */
  memoryMb?: number;
  /** Set in the predictor's environment after cog.yaml's `environment`, so these win (`serve -e`). */
  environment?: Record<string, string>;
}

interface Pending {
  job: HostJob;
  resolve(result: HostResult): void;
  onAbort(): void;
}

/**
 * A `PredictorHost` backed by a `worker_threads` Worker. If the worker dies,
 * every running prediction fails with the reason and `onExit` fires; `load()`
 * may then be called again to start a fresh worker.
 */
export class WorkerPredictorHost implements PredictorHost {
  onExit?: (reason: string) => void;
  private worker?: Worker;
  private pending = new Map<string, Pending>();
  private pings = new Map<number, () => void>();
  private pingSeq = 0;
  private setupWaiter?: { onLog(text: string): void; resolve(): void; reject(err: Error): void };
  private loadWaiter?: { resolve(v: { openapi: Record<string, unknown>; outputKind: OutputKind }): void; reject(err: Error): void };
  private closing = false;
  private terminateReason?: string;

  constructor(private readonly options: WorkerPredictorHostOptions) {}

  load(): Promise<{ openapi: Record<string, unknown>; outputKind: OutputKind }> {
    const url = this.options.workerUrl ?? new URL("./predictor-worker.js", import.meta.url);
    sizeNextWorkerHeap(this.options.memoryMb);
    const worker = new Worker(url, {
      workerData: { tscogPredictorWorker: true, source: this.options.source, downloads: this.options.downloads, uploads: this.options.uploads, environment: this.options.environment },
      env: this.options.env ?? process.env,
      stdout: false,
      stderr: false,
      ...(this.options.memoryMb ? { resourceLimits: { maxOldGenerationSizeMb: this.options.memoryMb } } : {}),
    });
    this.worker = worker;
    worker.on("message", (msg: FromWorker) => this.onMessage(msg));
    worker.on("error", (err: Error & { code?: string }) =>
      this.died(
        worker,
        err.code === "ERR_WORKER_OUT_OF_MEMORY"
          ? `the predictor ran out of memory (its thread's heap limit is ${this.options.memoryMb ?? "Node's default"} MiB; raise server.worker_memory_mb)`
          : `the predictor crashed: ${err.message}`,
      ),
    );
    worker.on("exit", (code) => this.died(worker, this.terminateReason ?? `the predictor's worker exited with code ${code}`));
    return new Promise((resolve, reject) => (this.loadWaiter = { resolve, reject }));
  }

  setup(onLog: (text: string) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.setupWaiter = { onLog, resolve, reject };
      this.post({ t: "setup" });
    });
  }

  predict(job: HostJob): Promise<HostResult> {
    return new Promise((resolve) => {
      if (!this.worker) return resolve({ status: "failed", error: "The predictor is not running.", code: "NOT_READY" });
      const onAbort = () => this.post({ t: "cancel", id: job.id });
      this.pending.set(job.id, { job, resolve, onAbort });
      job.cancellation.addEventListener("abort", onAbort);
      this.post({ t: "predict", id: job.id, input: job.input });
    });
  }

  ping(): Promise<void> {
    return new Promise((resolve) => {
      const n = ++this.pingSeq;
      this.pings.set(n, resolve);
      this.post({ t: "ping", n });
    });
  }

  terminate(reason: string): void {
    const worker = this.worker;
    if (!worker) return;
    this.terminateReason = reason;
    void worker.terminate();
  }

  async close(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    if (worker) await worker.terminate();
  }

  private post(msg: ToWorker): void {
    this.worker?.postMessage(msg);
  }

  private onMessage(msg: FromWorker): void {
    switch (msg.t) {
      case "events":
        this.pending.get(msg.id)?.job.onEvents(msg.batch);
        break;
      case "result": {
        const p = this.pending.get(msg.id);
        if (!p) break;
        this.pending.delete(msg.id);
        p.job.cancellation.removeEventListener("abort", p.onAbort);
        if (msg.status === "succeeded") p.resolve({ status: "succeeded", value: msg.value });
        else if (msg.status === "canceled") p.resolve({ status: "canceled" });
        else p.resolve({ status: "failed", error: msg.error ?? "prediction failed", code: msg.code, details: msg.details });
        break;
      }
      case "pong":
        this.pings.get(msg.n)?.();
        this.pings.delete(msg.n);
        break;
      case "setup-log":
        this.setupWaiter?.onLog(msg.data);
        break;
      case "setup-done": {
        const w = this.setupWaiter;
        this.setupWaiter = undefined;
        if (msg.error === undefined) w?.resolve();
        else w?.reject(new Error(msg.error));
        break;
      }
      case "loaded":
        this.loadWaiter?.resolve({ openapi: msg.openapi, outputKind: msg.outputKind });
        this.loadWaiter = undefined;
        break;
      case "load-error":
        this.loadWaiter?.reject(Object.assign(new Error(msg.error), { code: msg.code }));
        this.loadWaiter = undefined;
        break;
    }
  }

  private died(worker: Worker, reason: string): void {
    if (this.worker !== worker && !this.closing) return;
    const wasClosing = this.closing;
    this.worker = undefined;
    this.terminateReason = undefined;
    for (const [id, p] of this.pending) {
      p.job.cancellation.removeEventListener("abort", p.onAbort);
      p.resolve({ status: "failed", error: `Prediction ${id} failed: ${reason}.`, code: "PREDICTION_FAILED" });
    }
    this.pending.clear();
    for (const resolve of this.pings.values()) resolve();
    this.pings.clear();
    this.loadWaiter?.reject(new Error(`Loading the predictor failed: ${reason}.`));
    this.loadWaiter = undefined;
    this.setupWaiter?.reject(new Error(`setup() failed: ${reason}.`));
    this.setupWaiter = undefined;
    if (!wasClosing) this.onExit?.(reason);
  }
}
