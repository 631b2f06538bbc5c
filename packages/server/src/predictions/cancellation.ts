/**
 * One-shot cancellation: the part of `AbortController` and `AbortSignal` the
 * server needs per request and per prediction, without their cost (in Node 20
 * creating an AbortController takes ~5 µs, more than a whole trivial
 * prediction's own work). A real `AbortSignal` is made only when code asks
 * for `signal` (a predictor's `ctx.signal`).
 */

import { takeAbortController } from "@tscog/sdk";

/** What the server reads of a signal; a web `AbortSignal` is one. */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/** A cancellation flag with listeners; `abort()` fires them once. */
export class Cancellation implements CancelSignal {
  #aborted = false;
  #listeners?: (() => void)[];
  #controller?: AbortController;

  get aborted(): boolean {
    return this.#aborted;
  }

  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#controller?.abort();
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }

  /** Listeners run once, on `abort()`. */
  addEventListener(_type: "abort", listener: () => void): void {
    if (this.#aborted) return;
    (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const listeners = this.#listeners;
    const i = listeners?.indexOf(listener) ?? -1;
    if (i < 0) return;
    if (listeners!.length === 1) this.#listeners = undefined;
    else listeners!.splice(i, 1);
  }

  /** A web `AbortSignal` that follows this cancellation (one made ahead of time, see `takeAbortController`). */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = takeAbortController();
      if (this.#aborted) this.#controller.abort();
    }
    return this.#controller.signal;
  }
}

/** Resolves when `signal` aborts (never, if it has none). */
export function whenAborted(signal: CancelSignal | undefined): Promise<void> {
  if (!signal) return new Promise(() => {});
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
