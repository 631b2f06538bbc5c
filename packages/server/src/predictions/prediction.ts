/**
 * A prediction: a small state machine (starting → processing → succeeded |
 * failed | canceled) plus an append-only event log that streams replay from.
 */

import type { OutputKind } from "@tscog/runtime";
import { Cancellation } from "./cancellation.js";
import { approxBytes, ChunkLog } from "./chunk-log.js";
import { EventKind, isTextBatch, type EventBatch } from "./event-batch.js";
import { floorIndex } from "./floor-index.js";

/** How the predictor's output is shaped: one value, or a list of yielded chunks. */
export type { OutputKind };

/** Cog's prediction statuses. */
export type PredictionStatus = "starting" | "processing" | "succeeded" | "failed" | "canceled";

/** One entry of a prediction's event log; `seq` is its index, `second` its Unix time in seconds. */
export type PredictionEvent =
  | { seq: number; second: number; type: "start" }
  | { seq: number; second: number; type: "output"; chunk: unknown; index: number }
  | { seq: number; second: number; type: "log"; data: string }
  | { seq: number; second: number; type: "metric"; name: string; value: unknown }
  | { seq: number; second: number; type: "completed" };

/** True for `succeeded`, `failed` and `canceled`. */
export function isTerminal(status: PredictionStatus): boolean {
  return status === "succeeded" || status === "failed" || status === "canceled";
}

const TRANSITIONS: Record<PredictionStatus, PredictionStatus[]> = {
  starting: ["processing", "failed", "canceled"],
  processing: ["succeeded", "failed", "canceled"],
  succeeded: [],
  failed: [],
  canceled: [],
};

export interface PredictionOptions {
  id: string;
  /** What the predictor receives. */
  input: Record<string, unknown>;
  /** What clients see of the input (secrets masked); default `input`. */
  publicInput?: Record<string, unknown>;
  /** Bytes the request took (for retention by size); default 0. */
  inputBytes?: number;
  outputKind: OutputKind;
  webhook?: string;
  webhookEventsFilter?: string[];
  /** Extra fields carried into JSON (e.g. Replicate's `model`, `version`). */
  extra?: Record<string, unknown>;
  /** Called once, when the prediction reaches a terminal status. */
  onFinish?: (prediction: Prediction) => void;
  /** Creation time, epoch ms (a copy of a prediction made elsewhere); default now. */
  createdMs?: number;
}

type Waiter = () => void;

/** A log entry that is not an output chunk. */
export type MarkEvent = Exclude<PredictionEvent, { type: "output" }>;
/** A mark as stored: entries without a payload are just their type. */
type StoredMark = "start" | "completed" | { type: "log"; data: string } | { type: "metric"; name: string; value: unknown };
const nowSecond = () => Math.floor(Date.now() / 1000);
const NO_EXTRA: Record<string, unknown> = Object.freeze({});

/** `new Date(ms).toISOString()`, formatting the date part once per second (it was ~10% of a trivial prediction). */
function isoTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const milli = ms - second * 1000;
  return `${isoPrefix}${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`;
}
let isoSecond = NaN;
let isoPrefix = "";
const isoOrNull = (ms: number | undefined) => (ms === undefined ? null : isoTime(ms));

/**
 * A prediction's state and its event log.
 *
 * Finished predictions stay in memory for polling and replay (a thousand by
 * default), long enough for the young generation's GC to copy them twice, so
 * a prediction keeps little: times as numbers, parts made only when used
 * (chunk log, metrics, waiters, `done`), and its log trimmed when it ends.
 */
export class Prediction {
  readonly id: string;
  /** What the predictor receives; never sent to clients (see `publicInput`). */
  readonly input: Record<string, unknown>;
  /** The input as clients see it: secrets masked. */
  readonly publicInput: Record<string, unknown>;
  readonly inputBytes: number;
  readonly outputKind: OutputKind;
  readonly webhook?: string;
  readonly webhookEventsFilter?: string[];
  readonly extra: Record<string, unknown>;
  /** Epoch milliseconds. */
  readonly createdMs: number;
  startedMs?: number;
  completedMs?: number;
  status: PredictionStatus = "starting";
  error: string | null = null;
  /** Machine-readable failure code (e.g. `INVALID_INPUT`), not part of Cog's JSON. */
  errorCode?: string;
  errorDetails?: unknown;
  value: unknown = null;
  logs = "";
  #metrics?: Record<string, unknown>;
  /** Fires when the prediction should stop (cancel endpoint, creator disconnected, shutdown). */
  readonly abort = new Cancellation();
  // The append-only event log streams replay from. Output chunks are most of it and
  // are not stored per entry: the log is the chunks, with the other entries ("marks":
  // start, logs, metrics, completed) listed by position, and times stored once per
  // second (a long stream stays a few bytes per chunk; see ChunkLog).
  #outputs?: ChunkLog;
  #eventCount = 0;
  #markSeqs: number[] = [];
  #marks: StoredMark[] = [];
  /** Entry #secondSeqs[i] and later ones were logged at Unix second #seconds[i]. */
  #secondSeqs: number[] = [];
  #seconds: number[] = [];
  #secondHint = 0;
  #waiters?: Waiter[];
  #done?: Promise<void>;
  #resolveDone?: () => void;
  #onFinish?: (prediction: Prediction) => void;

  constructor(options: PredictionOptions) {
    this.id = options.id;
    this.input = options.input;
    this.publicInput = options.publicInput ?? options.input;
    this.inputBytes = options.inputBytes ?? 0;
    this.outputKind = options.outputKind;
    this.webhook = options.webhook;
    this.webhookEventsFilter = options.webhookEventsFilter;
    this.extra = options.extra ?? NO_EXTRA;
    this.#onFinish = options.onFinish;
    this.createdMs = options.createdMs ?? Date.now();
  }

  /** Resolves when the prediction reaches a terminal status. */
  get done(): Promise<void> {
    if (this.isTerminal()) return Promise.resolve();
    return (this.#done ??= new Promise((resolve) => (this.#resolveDone = resolve)));
  }

  /** Metrics the predictor recorded, plus `predict_time` (seconds) once finished. A fresh object. */
  get metrics(): Record<string, unknown> {
    const metrics = { ...this.#metrics };
    if (this.startedMs !== undefined && this.completedMs !== undefined) metrics.predict_time = (this.completedMs - this.startedMs) / 1000;
    return metrics;
  }

  /** `created_at`, `started_at` and `completed_at` as ISO strings (null when not yet). */
  timestamps(): { created_at: string; started_at: string | null; completed_at: string | null } {
    return { created_at: isoTime(this.createdMs), started_at: isoOrNull(this.startedMs), completed_at: isoOrNull(this.completedMs) };
  }

  isTerminal(): boolean {
    return isTerminal(this.status);
  }

  private transition(to: PredictionStatus): boolean {
    if (!TRANSITIONS[this.status].includes(to)) return false;
    this.status = to;
    return true;
  }

  /** starting → processing; logs a `start` event (`atMs`: when, for a copy of a prediction run elsewhere). */
  markStarted(atMs?: number): void {
    if (!this.transition("processing")) return;
    this.startedMs = atMs ?? Date.now();
    this.#stamp(atMs);
    this.#mark("start");
    this.notify();
  }

  /** Appends a batch of events from the predictor; wakes streams once per batch. */
  append(batch: EventBatch, atMs?: number): void {
    if (this.isTerminal()) return;
    if (this.status === "starting") this.markStarted(atMs);
    this.#stamp(atMs);
    if (isTextBatch(batch)) {
      this.#outputLog().appendText(batch);
      this.#eventCount += batch.ends.length;
    } else if (batch.kinds === null) {
      this.#outputLog().appendValues(batch.values);
      this.#eventCount += batch.values.length;
    } else {
      const { kinds, values } = batch;
      for (let i = 0; i < values.length; i++) {
        const value = values[i];
        if (kinds[i] === EventKind.Output) {
          this.#outputLog().appendValues([value]);
          this.#eventCount++;
        } else if (kinds[i] === EventKind.Log) {
          this.logs += value as string;
          this.#mark({ type: "log", data: value as string });
        } else {
          const [name, metric] = value as [string, unknown];
          (this.#metrics ??= {})[name] = metric;
          this.#mark({ type: "metric", name, value: metric });
        }
      }
    }
    this.notify();
  }

  /** Moves to a terminal status; returns false when already terminal. */
  finish(result: { status: "succeeded"; value?: unknown } | { status: "failed"; error: string; code?: string; details?: unknown } | { status: "canceled" }, atMs?: number): boolean {
    if (this.isTerminal()) return false;
    if (result.status === "succeeded" && this.status === "starting") this.markStarted(atMs);
    if (!this.transition(result.status)) return false;
    this.completedMs = atMs ?? Date.now();
    if (result.status === "succeeded" && this.outputKind === "value") this.value = result.value ?? null;
    if (result.status === "failed") {
      this.error = result.error;
      this.errorCode = result.code;
      this.errorDetails = result.details;
    }
    this.#stamp(atMs);
    this.#mark("completed");
    this.#trim();
    this.notify();
    this.#resolveDone?.();
    this.#done = this.#resolveDone = undefined;
    const onFinish = this.#onFinish;
    this.#onFinish = undefined;
    onFinish?.(this);
    return true;
  }

  /** The output as Cog reports it: chunks so far for iterators, else the value. */
  get output(): unknown {
    if (this.outputKind === "value") return this.value;
    if (this.status === "starting") return null;
    return this.#outputs?.toArray() ?? [];
  }

  /** About how much memory this prediction holds: input, output, logs (for retention by size). */
  get approxBytes(): number {
    const output = this.outputKind === "value" ? approxBytes(this.value) : (this.#outputs?.approxBytes ?? 0);
    return 1024 + this.inputBytes + output + this.logs.length * 2 + (this.error?.length ?? 0) * 2;
  }

  /** Events in the log. */
  get eventCount(): number {
    return this.#eventCount;
  }

  /** Log entry `seq` (0 ≤ seq < eventCount). */
  event(seq: number): PredictionEvent {
    const second = this.#seconds[(this.#secondHint = floorIndex(this.#secondSeqs, seq, this.#secondHint))];
    const m = floorIndex(this.#markSeqs, seq);
    if (m >= 0 && this.#markSeqs[m] === seq) {
      const mark = this.#marks[m];
      return typeof mark === "string" ? { seq, second, type: mark } : { seq, second, ...mark };
    }
    // Every entry before `seq` that is not a mark is an output chunk.
    const index = seq - (m + 1);
    return { seq, second, type: "output", chunk: this.#outputs!.get(index), index };
  }

  /**
   * Calls `output(chunk, index, id)` for each output chunk among log entries
   * [from, to) and `other(event)` for the rest, in order: a stream renders
   * thousands of chunks per call, so chunks are not made into event objects.
   */
  forEachEvent(from: number, to: number, output: (chunk: unknown, index: number, id: string) => void, other: (event: MarkEvent) => void): void {
    let seq = from;
    while (seq < to) {
      const m = floorIndex(this.#markSeqs, seq);
      if (m >= 0 && this.#markSeqs[m] === seq) {
        other(this.event(seq++) as MarkEvent);
        continue;
      }
      // Outputs up to the next mark (or `to`), whose chunk indexes are their seq minus the marks before them.
      const end = Math.min(to, m + 1 < this.#markSeqs.length ? this.#markSeqs[m + 1] : this.#eventCount);
      const shift = m + 1;
      let k = (this.#secondHint = floorIndex(this.#secondSeqs, seq, this.#secondHint));
      let prefix = `${this.#seconds[k]}:`;
      let nextStamp = k + 1 < this.#secondSeqs.length ? this.#secondSeqs[k + 1] : Infinity;
      this.#outputs!.forEach(seq - shift, end - shift, (chunk, index) => {
        const s = index + shift;
        if (s >= nextStamp) {
          k++;
          prefix = `${this.#seconds[k]}:`;
          nextStamp = k + 1 < this.#secondSeqs.length ? this.#secondSeqs[k + 1] : Infinity;
        }
        output(chunk, index, prefix + s);
      });
      seq = end;
    }
  }

  /** The chunk log, made on the first output. */
  #outputLog(): ChunkLog {
    return (this.#outputs ??= new ChunkLog());
  }

  /** Starts a new time run when the second changed since the last entry. */
  #stamp(atMs?: number): void {
    const second = atMs === undefined ? nowSecond() : Math.floor(atMs / 1000);
    if (this.#seconds.length === 0 || this.#seconds[this.#seconds.length - 1] !== second) {
      this.#secondSeqs.push(this.#eventCount);
      this.#seconds.push(second);
    }
  }

  #mark(mark: StoredMark): void {
    this.#markSeqs.push(this.#eventCount++);
    this.#marks.push(mark);
  }

  /** A finished log no longer grows: copies its arrays at their length (pushes leave room for 16 more). */
  #trim(): void {
    this.#markSeqs = this.#markSeqs.slice();
    this.#marks = this.#marks.slice();
    this.#secondSeqs = this.#secondSeqs.slice();
    this.#seconds = this.#seconds.slice();
  }

  private notify(): void {
    const waiters = this.#waiters;
    if (!waiters) return;
    this.#waiters = undefined;
    for (const wake of waiters) wake();
  }

  /** Resolves when the log grows past `length` or the prediction is terminal (or `signal` aborts). */
  waitForEvents(length: number, signal?: AbortSignal): Promise<void> {
    if (this.#eventCount > length || this.isTerminal() || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        signal?.removeEventListener("abort", wake);
        resolve();
      };
      (this.#waiters ??= []).push(wake);
      signal?.addEventListener("abort", wake, { once: true });
    });
  }

  /** The `<unix-seconds>:<seq>` id of log entry `seq` (strictly increasing per prediction). */
  static eventId(event: PredictionEvent): string {
    return `${event.second}:${event.seq}`;
  }

  /** Parses a `Last-Event-ID` into the index to resume from (the event after it). */
  static resumeIndex(lastEventId: string | null | undefined): number {
    if (!lastEventId) return 0;
    const match = /^(?:\d+:)?(\d{1,12})$/.exec(lastEventId.trim());
    return match ? Number(match[1]) + 1 : 0;
  }

  /** Cog's prediction JSON. */
  toJSON(): Record<string, unknown> {
    return {
      id: this.id,
      input: this.publicInput,
      output: this.output,
      logs: this.logs,
      error: this.error,
      status: this.status,
      ...this.timestamps(),
      metrics: this.metrics,
      ...(this.webhook ? { webhook: this.webhook } : {}),
      ...(this.webhookEventsFilter ? { webhook_events_filter: this.webhookEventsFilter } : {}),
      ...this.extra,
    };
  }
}
