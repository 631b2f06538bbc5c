/**
 * Incremental detokenization for byte-level BPE tokenizers (the GPT-2 scheme,
 * also used by Llama 3, Qwen, SmolLM and the built-in model) whose decode is
 * plain byte concatenation: every token stands for raw bytes, so the text is
 * those bytes through one streaming UTF-8 decoder, which holds back an
 * incomplete character by itself. That is one native call per token instead
 * of decoding a window of tokens twice (`IncrementalDetokenizer`), and the
 * chunks add up to the whole-sequence decode (special tokens skipped) by
 * construction.
 */
import type { Tokenizer } from "@huggingface/tokenizers";
import type { Detokenizer } from "./detokenizer.js";

/** GPT-2's byte -> printable character table (what byte-level vocabularies are written in). */
export function bytesToUnicode(): Map<number, string> {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  return new Map(bs.map((b, i) => [b, String.fromCodePoint(cs[i])]));
}

/** A token's share of the text: its bytes, literal text (added tokens end a byte run), or null (skipped special token). */
type Piece = Uint8Array | string | null;

/** The pieces of a byte-level tokenizer's tokens, each worked out on first use. */
export class ByteLevelPieces {
  readonly #tokenizer: Tokenizer;
  readonly #added: Set<string>;
  readonly #byteOf = new Map([...bytesToUnicode()].map(([byte, char]) => [char, byte]));
  readonly #pieces = new Map<number, Piece>();

  private constructor(tokenizer: Tokenizer) {
    this.#tokenizer = tokenizer;
    this.#added = new Set([...tokenizer.get_added_tokens_decoder().values()].map((t) => t.content));
  }

  /**
   * The pieces of `tokenizer`, or undefined when its decode is more than
   * concatenating bytes: another decoder, clean-up of spaces around
   * punctuation (tokenizer_config's `clean_up_tokenization_spaces`, on unless
   * false), or a word suffix.
   */
  static of(tokenizer: Tokenizer, tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown>): ByteLevelPieces | undefined {
    const decoder = tokenizerJson.decoder as { type?: string } | null | undefined;
    const model = tokenizerJson.model as { end_of_word_suffix?: string } | undefined;
    const plain = decoder?.type === "ByteLevel" && tokenizerConfig.clean_up_tokenization_spaces === false && !model?.end_of_word_suffix;
    return plain ? new ByteLevelPieces(tokenizer) : undefined;
  }

  /** The piece of token `id`. */
  piece(id: number): Piece {
    const known = this.#pieces.get(id);
    if (known !== undefined) return known;
    const piece = this.#work(id);
    this.#pieces.set(id, piece);
    return piece;
  }

  #work(id: number): Piece {
    // The tokenizer decides what is skipped; added tokens (and ids it has no token for) are text as it decodes them.
    const text = this.#tokenizer.decode([id], { skip_special_tokens: true });
    const token = this.#tokenizer.id_to_token(id);
    if (text === "") return null;
    if (token === undefined || this.#added.has(token)) return text;
    return Uint8Array.from([...token].map((char) => this.#byteOf.get(char) ?? 0)); // 0 for a stray character, as the tokenizer does
  }
}

/** Emits text for each pushed token of a byte-level tokenizer as soon as its characters are complete. */
export class ByteLevelDetokenizer implements Detokenizer {
  readonly #pieces: ByteLevelPieces;
  readonly #utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

  constructor(pieces: ByteLevelPieces) {
    this.#pieces = pieces;
  }

  /** Adds one token; returns the text it completes. */
  push(id: number): string {
    const piece = this.#pieces.piece(id);
    if (piece === null) return "";
    if (typeof piece === "string") return this.#utf8.decode() + piece;
    return this.#utf8.decode(piece, { stream: true });
  }

  /** Returns what is still held back (an incomplete character decodes as U+FFFD, as a whole decode would). */
  flush(): string {
    return this.#utf8.decode();
  }
}
