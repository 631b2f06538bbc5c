/**
 * A prediction: a small state machine (starting → processing → succeeded |
 * failed | canceled) plus an append-only event log that streams replay from.
 */

/** Cog's prediction statuses. */
export type PredictionStatus = "starting" | "processing" | "succeeded" | "failed" | "canceled";

/** How the predictor's output is shaped: one value, or a list of yielded chunks. */
import type { OutputKind } from "@tscog/runtime";

export type { OutputKind };

/** One entry of a prediction's event log; `seq` is its index in the log. */
export type PredictionEvent =
  | { seq: number; time: number; type: "start" }
  | { seq: number; time: number; type: "output"; chunk: unknown; index: number }
  | { seq: number; time: number; type: "log"; data: string }
  | { seq: number; time: number; type: "metric"; name: string; value: unknown }
  | { seq: number; time: number; type: "completed" };

/** Events as a predictor host reports them (before they get a `seq`). */
export type HostEvent =
  | { type: "output"; chunk: unknown }
  | { type: "log"; data: string }
  | { type: "metric"; name: string; value: unknown };

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
  input: Record<string, unknown>;
  outputKind: OutputKind;
  webhook?: string;
  webhookEventsFilter?: string[];
  /** Extra fields carried into JSON (e.g. Replicate's `model`, `version`). */
  extra?: Record<string, unknown>;
}

type Waiter = () => void;

/** A prediction's state and its event log. */
export class Prediction {
  readonly id: string;
  readonly input: Record<string, unknown>;
  readonly outputKind: OutputKind;
  readonly webhook?: string;
  readonly webhookEventsFilter?: string[];
  readonly extra: Record<string, unknown>;
  readonly createdAt = new Date();
  startedAt?: Date;
  completedAt?: Date;
  status: PredictionStatus = "starting";
  error: string | null = null;
  /** Machine-readable failure code (e.g. `INVALID_INPUT`), not part of Cog's JSON. */
  errorCode?: string;
  errorDetails?: unknown;
  /** The append-only event log streams replay from; an event's `seq` is its index. */
  readonly events: PredictionEvent[] = [];
  readonly chunks: unknown[] = [];
  value: unknown = null;
  logs = "";
  readonly metrics: Record<string, unknown> = {};
  /** Fires when the prediction should stop (cancel endpoint, creator disconnected, shutdown). */
  readonly abort = new AbortController();
  private waiters: Waiter[] = [];
  private doneResolve!: () => void;
  /** Resolves when the prediction reaches a terminal status. */
  readonly done: Promise<void>;

  constructor(options: PredictionOptions) {
    this.id = options.id;
    this.input = options.input;
    this.outputKind = options.outputKind;
    this.webhook = options.webhook;
    this.webhookEventsFilter = options.webhookEventsFilter;
    this.extra = options.extra ?? {};
    this.done = new Promise((resolve) => (this.doneResolve = resolve));
  }

  isTerminal(): boolean {
    return isTerminal(this.status);
  }

  private transition(to: PredictionStatus): boolean {
    if (!TRANSITIONS[this.status].includes(to)) return false;
    this.status = to;
    return true;
  }

  /** starting → processing; logs a `start` event. */
  markStarted(): void {
    if (!this.transition("processing")) return;
    this.startedAt = new Date();
    this.push({ type: "start" });
    this.notify();
  }

  /** Appends a batch of events from the predictor; wakes streams once per batch. */
  append(batch: HostEvent[]): void {
    if (this.isTerminal()) return;
    if (this.status === "starting") this.markStarted();
    const time = Date.now();
    const events = this.events;
    for (const event of batch) {
      const seq = events.length;
      if (event.type === "output") {
        const index = this.chunks.length;
        this.chunks.push(event.chunk);
        events.push({ seq, time, type: "output", chunk: event.chunk, index });
      } else if (event.type === "log") {
        this.logs += event.data;
        events.push({ seq, time, type: "log", data: event.data });
      } else {
        this.metrics[event.name] = event.value;
        events.push({ seq, time, type: "metric", name: event.name, value: event.value });
      }
    }
    this.notify();
  }

  /** Moves to a terminal status; returns false when already terminal. */
  finish(result: { status: "succeeded"; value?: unknown } | { status: "failed"; error: string; code?: string; details?: unknown } | { status: "canceled" }): boolean {
    if (this.isTerminal()) return false;
    if (result.status === "succeeded" && this.status === "starting") this.markStarted();
    if (!this.transition(result.status)) return false;
    this.completedAt = new Date();
    if (this.startedAt) this.metrics.predict_time = (this.completedAt.getTime() - this.startedAt.getTime()) / 1000;
    if (result.status === "succeeded" && this.outputKind === "value") this.value = result.value ?? null;
    if (result.status === "failed") {
      this.error = result.error;
      this.errorCode = result.code;
      this.errorDetails = result.details;
    }
    this.push({ type: "completed" });
    this.notify();
    this.doneResolve();
    return true;
  }

  /** The output as Cog reports it: chunks so far for iterators, else the value. */
  get output(): unknown {
    if (this.outputKind === "value") return this.value;
    if (this.status === "starting") return null;
    return this.chunks;
  }

  private push(event: { type: PredictionEvent["type"] } & Record<string, unknown>): void {
    const full = event as unknown as { seq: number; time: number };
    full.seq = this.events.length;
    full.time = Date.now();
    this.events.push(full as unknown as PredictionEvent);
  }

  private notify(): void {
    const waiters = this.waiters;
    if (waiters.length === 0) return;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves when the log grows past `length` or the prediction is terminal (or `signal` aborts). */
  waitForEvents(length: number, signal?: AbortSignal): Promise<void> {
    if (this.events.length > length || this.isTerminal() || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        signal?.removeEventListener("abort", wake);
        resolve();
      };
      this.waiters.push(wake);
      signal?.addEventListener("abort", wake, { once: true });
    });
  }

  /** The `<unix-seconds>:<seq>` id of an event (strictly increasing per prediction). */
  static eventId(event: PredictionEvent): string {
    return `${Math.floor(event.time / 1000)}:${event.seq}`;
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
      input: this.input,
      output: this.output,
      logs: this.logs,
      error: this.error,
      status: this.status,
      created_at: this.createdAt.toISOString(),
      started_at: this.startedAt?.toISOString() ?? null,
      completed_at: this.completedAt?.toISOString() ?? null,
      metrics: { ...this.metrics },
      ...(this.webhook ? { webhook: this.webhook } : {}),
      ...(this.webhookEventsFilter ? { webhook_events_filter: this.webhookEventsFilter } : {}),
      ...this.extra,
    };
  }
}
