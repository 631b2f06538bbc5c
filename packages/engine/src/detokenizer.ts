/**
 * Incremental detokenization: turns a stream of token ids into text chunks
 * that never split a UTF-8 character and keep the spaces a whole-sequence
 * decode would produce (byte-level BPE and SentencePiece alike).
 *
 * It decodes a short window of recent tokens twice, with and without the new
 * ones, and emits the difference once it no longer ends in U+FFFD (the mark of
 * an incomplete multi-byte character). Starting the window a few tokens back
 * (into the prompt, at first) keeps word-initial spaces that SentencePiece
 * decoders drop at the start of a decode.
 */

/** Decodes token ids to text, skipping special tokens. */
export type DecodeFn = (ids: number[]) => string;

/** Turns token ids, pushed one at a time, into text chunks that add up to the whole decode. */
export interface Detokenizer {
  /** Adds one token; returns the text it completes ("" while a character is still incomplete). */
  push(id: number): string;
  /** Returns whatever is still held back. */
  flush(): string;
}

export interface IncrementalDetokenizerOptions {
  /** Tokens already printed (the prompt); the last few give the first chunk its context. */
  context?: readonly number[];
}

const CONTEXT_TOKENS = 5;

/** Emits text for each pushed token as soon as it is complete; works with any tokenizer's decode. */
export class IncrementalDetokenizer implements Detokenizer {
  readonly #decode: DecodeFn;
  /** The window: a few tokens already emitted, then the ones not emitted yet. */
  #tokens: number[];
  /** How many of `#tokens` were emitted. */
  #read: number;

  constructor(decode: DecodeFn, options: IncrementalDetokenizerOptions = {}) {
    this.#decode = decode;
    this.#tokens = (options.context ?? []).slice(-CONTEXT_TOKENS);
    this.#read = this.#tokens.length;
  }

  /** Adds one token; returns the text it completes ("" while a character is still incomplete). */
  push(id: number): string {
    this.#tokens.push(id);
    return this.#emit(false);
  }

  /** Returns whatever is still held back (an incomplete character decodes as U+FFFD, as a full decode would). */
  flush(): string {
    return this.#emit(true);
  }

  #emit(final: boolean): string {
    if (this.#read === this.#tokens.length) return "";
    const before = this.#text(this.#tokens.slice(0, this.#read));
    const after = this.#text(this.#tokens);
    if (!final && (after.length <= before.length || after.endsWith("\uFFFD"))) return "";
    const text = after.startsWith(before) ? after.slice(before.length) : after.slice(commonPrefix(before, after));
    this.#tokens = this.#tokens.slice(this.#read);
    this.#read = this.#tokens.length;
    return text;
  }

  #text(ids: number[]): string {
    return ids.length === 0 ? "" : this.#decode(ids);
  }
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
