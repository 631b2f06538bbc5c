/**
 * Sends a prediction's webhooks as Cog does: `start` and `completed` at once,
 * `output` and `logs` at most once per throttle interval (trailing edge), in
 * order, without ever holding up the prediction or its streams. The terminal
 * webhook is retried with backoff on 429, 5xx and network errors.
 *
 * Webhook URLs come from clients, so they follow the outbound-address policy
 * of `@tscog/runtime`: public addresses only (unless `allowPrivateUrls`), or
 * only the operator's `allowedHosts` when given; redirects are not followed;
 * the auth token goes to allowed hosts only.
 */
import { isTrustedHost, outboundRequest, UrlPolicyError, type UrlPolicy } from "@tscog/runtime/outbound";
import type { Prediction } from "./prediction.js";

/** Webhook event kinds, as `webhook_events_filter` names them. */
export type WebhookEvent = "start" | "output" | "logs" | "completed";

export const WEBHOOK_EVENTS: readonly WebhookEvent[] = ["start", "output", "logs", "completed"];

export interface WebhookOptions {
  /** Sent as `Authorization: Bearer <token>` to `allowedHosts` only (Cog reads `WEBHOOK_AUTH_TOKEN`). */
  authToken?: string;
  /**
   * Hosts webhooks may go to, whatever they resolve to: exact names or IPs, or
   * `*.example.com` for subdomains. When given, other hosts get no webhooks.
   * Default: any host on a public address, without the auth token.
   */
  allowedHosts?: readonly string[];
  /** Also send webhooks to loopback, private and link-local addresses (local development). Default false. */
  allowPrivateUrls?: boolean;
  /** Minimum gap between `output`/`logs` webhooks, ms. Default 500. */
  throttleMs?: number;
  /** Waits before each retry of the terminal webhook, ms. Default 0.5 s … 30 s, six tries. */
  retryDelaysMs?: number[];
  /** Per-request timeout, ms. Default 10 s. */
  timeoutMs?: number;
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
    let url: URL;
    try {
      url = new URL(this.url);
    } catch {
      return;
    }
    const allowedHosts = this.options.allowedHosts?.length ? this.options.allowedHosts : undefined;
    const allowed = allowedHosts !== undefined && isTrustedHost(url, { trustedHosts: allowedHosts });
    if (allowedHosts && !allowed) return;
    const policy: UrlPolicy = allowed ? { trustedHosts: allowedHosts } : { allowPrivate: this.options.allowPrivateUrls };
    const headers: Record<string, string | number> = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
    if (allowed && this.options.authToken) headers.authorization = `Bearer ${this.options.authToken}`;
    for (let attempt = 0; ; attempt++) {
      let retryable: boolean;
      try {
        const res = await outboundRequest(url, {
          policy,
          method: "POST",
          headers,
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        });
        res.resume();
        const status = res.statusCode ?? 0;
        // 3xx included: redirects are not followed (they could lead anywhere, token and all).
        retryable = status === 429 || status >= 500;
        if (!retryable) return;
      } catch (err) {
        if (err instanceof UrlPolicyError) return;
        retryable = true;
      }
      if (attempt >= delays.length) return;
      await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
    }
  }
}
