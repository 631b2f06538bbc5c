/**
 * A one-consumer queue between the batch scheduler (which pushes values as
 * steps produce them) and an async generator that pulls them.
 */

/** Values pushed by a producer, pulled in order by one consumer; ends with a result or an error. */
export class AsyncQueue<T, R> {
  readonly #values: T[] = [];
  #head = 0;
  #end?: { result: R } | { error: unknown };
  #wake?: () => void;

  /** Values pushed and not yet taken. */
  get size(): number {
    return this.#values.length - this.#head;
  }

  /** True while the consumer waits in `next()` for a value. */
  get waiting(): boolean {
    return this.#wake !== undefined;
  }

  /** Adds a value (ignored once the queue has ended). */
  push(value: T): void {
    if (this.#end) return;
    this.#values.push(value);
    this.#notify();
  }

  /** Ends the queue with a result, after the values already pushed. */
  end(result: R): void {
    if (this.#end) return;
    this.#end = { result };
    this.#notify();
  }

  /** Ends the queue with an error, after the values already pushed. */
  fail(error: unknown): void {
    if (this.#end) return;
    this.#end = { error };
    this.#notify();
  }

  /** The next value, or the result once every value was taken; rejects with the error. */
  async next(): Promise<IteratorResult<T, R>> {
    for (;;) {
      if (this.#head < this.#values.length) {
        const value = this.#values[this.#head++];
        if (this.#head === this.#values.length) {
          this.#values.length = 0;
          this.#head = 0;
        }
        return { done: false, value };
      }
      const end = this.#end;
      if (end) {
        if ("error" in end) throw end.error;
        return { done: true, value: end.result };
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
