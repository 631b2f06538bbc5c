/**
 * Stop sequences over streamed text: a match may span several chunks, and the
 * text handed on never contains (any part of) the stop sequence.
 */

/** Holds back text that could still turn into a stop sequence. */
export class StopSequenceFilter {
  readonly #stops: string[];
  #pending = "";
  #stopped = false;

  constructor(stops: readonly string[] = []) {
    this.#stops = stops.filter((s) => s.length > 0);
  }

  /** True once a stop sequence was seen. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Adds a chunk; returns the text that is safe to emit now. */
  push(text: string): string {
    if (this.#stopped) return "";
    if (this.#stops.length === 0) return text;
    this.#pending += text;
    let cut = -1;
    for (const stop of this.#stops) {
      const at = this.#pending.indexOf(stop);
      if (at !== -1 && (cut === -1 || at < cut)) cut = at;
    }
    if (cut !== -1) {
      this.#stopped = true;
      const out = this.#pending.slice(0, cut);
      this.#pending = "";
      return out;
    }
    const hold = this.#heldBack();
    const out = this.#pending.slice(0, this.#pending.length - hold);
    this.#pending = this.#pending.slice(this.#pending.length - hold);
    return out;
  }

  /** Returns the held-back text at the end of generation. */
  flush(): string {
    const out = this.#stopped ? "" : this.#pending;
    this.#pending = "";
    return out;
  }

  /** Length of the longest suffix of the pending text that is a proper prefix of a stop sequence. */
  #heldBack(): number {
    let hold = 0;
    for (const stop of this.#stops) {
      for (let n = Math.min(stop.length - 1, this.#pending.length); n > hold; n--) {
        if (this.#pending.endsWith(stop.slice(0, n))) {
          hold = n;
          break;
        }
      }
    }
    return hold;
  }
}
