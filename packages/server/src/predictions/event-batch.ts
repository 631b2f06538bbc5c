/**
 * Events a predictor produced, in the compact form that crosses from the
 * predictor's thread to the server's. A long stream is hundreds of thousands
 * of chunks, so a batch of text chunks travels as one joined string with end
 * offsets: cloning it between threads is a copy of bytes, not an object per
 * chunk, and the server keeps it in that form.
 */

/** What `values[i]` of a general batch is: an output chunk (any JSON value), log text, or a metric as `[name, value]`. */
export const EventKind = { Output: 0, Log: 1, Metric: 2 } as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];

/** Only string output chunks, joined: chunk `i` is `text.slice(ends[i - 1] ?? 0, ends[i])`. */
export interface TextBatch {
  text: string;
  ends: number[];
}

/** Any events in order: `values[i]` is of kind `kinds[i]`; `kinds` is null when every event is an output chunk. */
export interface GeneralBatch {
  kinds: EventKind[] | null;
  values: unknown[];
}

/** Events in order, as a predictor host reports them. */
export type EventBatch = TextBatch | GeneralBatch;

/** True for a batch of joined text chunks. */
export function isTextBatch(batch: EventBatch): batch is TextBatch {
  return (batch as TextBatch).ends !== undefined;
}

/** The chunks of a text batch, as separate strings. */
export function splitTextBatch(batch: TextBatch): string[] {
  const { text, ends } = batch;
  const chunks = new Array<string>(ends.length);
  for (let i = 0, start = 0; i < ends.length; start = ends[i++]) chunks[i] = text.slice(start, ends[i]);
  return chunks;
}

/** Collects events into batches; `take()` hands out what was added and starts a new batch. */
export class EventBatcher {
  // Text mode (the common case) while #values is null: string chunks appended to #text.
  #text = "";
  #ends: number[] = [];
  #kinds: EventKind[] | null = null;
  #values: unknown[] | null = null;

  get size(): number {
    return this.#values === null ? this.#ends.length : this.#values.length;
  }

  output(chunk: unknown): void {
    if (this.#values === null && typeof chunk === "string") {
      this.#text += chunk;
      this.#ends.push(this.#text.length);
      return;
    }
    this.#kinds?.push(EventKind.Output);
    this.#general().push(chunk);
  }

  log(text: string): void {
    this.#mixedKinds().push(EventKind.Log);
    this.#general().push(text);
  }

  metric(name: string, value: unknown): void {
    this.#mixedKinds().push(EventKind.Metric);
    this.#general().push([name, value]);
  }

  /** The batch so far, or undefined when empty. */
  take(): EventBatch | undefined {
    if (this.size === 0) return undefined;
    const batch: EventBatch = this.#values === null ? { text: this.#text, ends: this.#ends } : { kinds: this.#kinds, values: this.#values };
    this.clear();
    return batch;
  }

  /** Drops what was added. */
  clear(): void {
    this.#text = "";
    this.#ends = [];
    this.#kinds = null;
    this.#values = null;
  }

  /** Leaves text mode: the text chunks so far become values. */
  #general(): unknown[] {
    if (this.#values === null) {
      this.#values = splitTextBatch({ text: this.#text, ends: this.#ends });
      this.#text = "";
      this.#ends = [];
    }
    return this.#values;
  }

  #mixedKinds(): EventKind[] {
    this.#kinds ??= new Array<EventKind>(this.size).fill(EventKind.Output);
    return this.#kinds;
  }
}
