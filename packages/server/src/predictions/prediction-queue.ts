/**
 * Predictions waiting for a free slot, first in first out, bounded. The queue
 * only decides who runs next; the service runs them.
 */
import type { Prediction } from "./prediction.js";

/** A FIFO of waiting predictions; canceled ones leave it at once. */
export class PredictionQueue {
  #items: Prediction[] = [];
  #head = 0;

  constructor(readonly max: number) {}

  get length(): number {
    return this.#items.length - this.#head;
  }

  get full(): boolean {
    return this.length >= this.max;
  }

  push(prediction: Prediction): void {
    this.#items.push(prediction);
  }

  /** The oldest waiting prediction, or undefined. */
  shift(): Prediction | undefined {
    if (this.#head === this.#items.length) return undefined;
    const next = this.#items[this.#head++];
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return next;
  }

  /** Removes `prediction`; false when it is not waiting. */
  remove(prediction: Prediction): boolean {
    const i = this.#items.indexOf(prediction, this.#head);
    if (i < 0) return false;
    this.#items.splice(i, 1);
    return true;
  }

  /** Takes every waiting prediction out. */
  drain(): Prediction[] {
    const all = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return all;
  }
}
