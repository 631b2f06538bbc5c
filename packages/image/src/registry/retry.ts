/** Options of `withRetries`. */
export interface RetryOptions {
  /** Attempts after the first one. */
  retries?: number;
  /** First delay in ms; doubles each time, with jitter. */
  baseDelayMs?: number;
  /** Called before waiting, for logs. */
  onRetry?(attempt: number, reason: string, delayMs: number): void;
}

/** A failure worth retrying: the thrown value says how long the server asked us to wait. */
export class TransientError extends Error {
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
  }
}

/** HTTP statuses that mean "try again later". */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds. */
export function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * Runs `fn`, retrying on `TransientError` and network errors (fetch's
 * `TypeError`) with exponential backoff. Other errors pass straight through.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 4;
  const base = options.baseDelayMs ?? 500;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const transient = err instanceof TransientError || (err instanceof TypeError && /fetch failed|network|socket|ECONN/i.test(err.message + String((err as { cause?: unknown }).cause)));
      if (!transient || attempt >= retries) throw err;
      const asked = err instanceof TransientError ? err.retryAfterMs : undefined;
      const delay = Math.min(30_000, asked ?? base * 2 ** attempt * (0.75 + Math.random() / 2));
      options.onRetry?.(attempt + 1, (err as Error).message, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
