/**
 * Sends a prediction's webhooks as Cog does: `start` and `completed` at once,
 * `output` and `logs` at most once per throttle interval (trailing edge), in
 * order, without ever holding up the prediction or its streams. The terminal
 * webhook is retried with backoff on 429, 5xx and network errors.
 */
import type { Prediction } from "./prediction.js";

/** Webhook event kinds, as `webhook_events_filter` names them. */
export type WebhookEvent = "start" | "output" | "logs" | "completed";

export const WEBHOOK_EVENTS: readonly WebhookEvent[] = ["start", "output", "logs", "completed"];

export interface WebhookOptions {
  /** Sent as `Authorization: Bearer <token>` (Cog reads `WEBHOOK_AUTH_TOKEN`). */
  authToken?: string;
  /** Minimum gap between `output`/`logs` webhooks, ms. Default 500. */
  throttleMs?: number;
  /** Waits before each retry of the terminal webhook, ms. Default 0.5 s … 30 s, six tries. */
  retryDelaysMs?: number[];
  /** Per-request timeout, ms. Default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Per-prediction webhook sender. */
export class WebhookSender {
  private chain: Promise<void> = Promise.resolve();
  private lastSent = 0;
  private timer?: NodeJS.Timeout;
  private readonly filter: Set<string>;
  private readonly throttleMs: number;

  constructor(
    private readonly prediction: Prediction,
    private readonly url: string,
    private readonly serialize: (p: Prediction) => unknown,
    private readonly options: WebhookOptions = {},
  ) {
    this.filter = new Set(prediction.webhookEventsFilter ?? WEBHOOK_EVENTS);
    this.throttleMs = options.throttleMs ?? 500;
  }

  /** Reports that something happened; returns at once. */
  notify(event: WebhookEvent): void {
    if (!this.filter.has(event)) return;
    if (event === "start") return this.enqueue(false);
    if (event === "completed") {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      return this.enqueue(true);
    }
    if (this.timer) return;
    const wait = this.lastSent + this.throttleMs - Date.now();
    if (wait <= 0) return this.enqueue(false);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.prediction.isTerminal()) this.enqueue(false);
    }, wait);
    this.timer.unref?.();
  }

  /** Resolves when every queued webhook has been sent or given up on. */
  flushed(): Promise<void> {
    return this.chain;
  }

  private enqueue(terminal: boolean): void {
    this.lastSent = Date.now();
    // Snapshot now, so a webhook describes the moment it was triggered.
    const body = JSON.stringify(this.serialize(this.prediction));
    this.chain = this.chain.then(() => this.send(body, terminal)).catch(() => undefined);
  }

  private async send(body: string, terminal: boolean): Promise<void> {
    const delays = terminal ? (this.options.retryDelaysMs ?? [500, 1000, 2000, 4000, 8000, 16000]) : [];
    const doFetch = this.options.fetch ?? fetch;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.options.authToken) headers.authorization = `Bearer ${this.options.authToken}`;
    for (let attempt = 0; ; attempt++) {
      let retryable: boolean;
      try {
        const res = await doFetch(this.url, {
          method: "POST",
          headers,
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        });
        await res.body?.cancel().catch(() => undefined);
        retryable = res.status === 429 || res.status >= 500;
        if (!retryable) return;
      } catch {
        retryable = true;
      }
      if (attempt >= delays.length) return;
      await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
    }
  }
}
