/**
 * When to restart a crashed predictor thread: at once, unless it crashed
 * often in the last minute; then after a delay that doubles (1 s … 30 s), so
 * a predictor that crashes on some input cannot keep the CPU busy reloading
 * the model. It never gives up: giving up would let any client that can
 * crash the predictor lock the server.
 */
export class RestartPolicy {
  #crashes: number[] = [];
  #delayMs = 0;

  constructor(private readonly options: { maxPerMinute: number; firstDelayMs?: number; maxDelayMs?: number; now?: () => number }) {}

  /** Records a crash; returns how long to wait before restarting, ms. */
  crashed(): number {
    const now = (this.options.now ?? Date.now)();
    this.#crashes = this.#crashes.filter((t) => now - t < 60_000);
    this.#crashes.push(now);
    if (this.#crashes.length <= this.options.maxPerMinute) {
      this.#delayMs = 0;
      return 0;
    }
    this.#delayMs = Math.min(this.options.maxDelayMs ?? 30_000, this.#delayMs ? this.#delayMs * 2 : (this.options.firstDelayMs ?? 1_000));
    return this.#delayMs;
  }
}
