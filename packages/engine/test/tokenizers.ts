/** Small tokenizer.json documents built in code, for detokenizer tests. */
import { bytesToUnicode } from "../src/byte-level-detokenizer.js";

/** Byte-level BPE (GPT-2 style): 256 byte tokens and a few merges. */
export function byteLevelTokenizer(): Record<string, unknown> {
  const table = bytesToUnicode();
  const vocab: Record<string, number> = { "<|endoftext|>": 0 };
  for (let b = 0; b < 256; b++) vocab[table.get(b)!] = b + 1;
  const merges = [["Ġ", "t"], ["h", "e"], ["Ġt", "he"], ["Ġ", "a"]];
  for (const [a, b] of merges) vocab[a + b] = Object.keys(vocab).length;
  return {
    version: "1.0",
    added_tokens: [{ id: 0, content: "<|endoftext|>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "", fuse_unk: false, byte_fallback: false, vocab, merges: merges.map((m) => m.join(" ")) },
  };
}

/** SentencePiece-style BPE (Llama 2 style): ▁ for spaces, byte fallback, Strip decoder. */
export function sentencePieceTokenizer(): Record<string, unknown> {
  const vocab: Record<string, number> = { "<unk>": 0, "<s>": 1, "</s>": 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`] = 3 + b;
  const chars = "▁abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.,!?'";
  for (const c of chars) vocab[c] = Object.keys(vocab).length;
  const merges = [["▁", "t"], ["h", "e"], ["▁t", "he"], ["▁", "a"]];
  for (const [a, b] of merges) vocab[a + b] = Object.keys(vocab).length;
  return {
    version: "1.0",
    added_tokens: [
      { id: 0, content: "<unk>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 1, content: "<s>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 2, content: "</s>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: { type: "Sequence", normalizers: [{ type: "Prepend", prepend: "▁" }, { type: "Replace", pattern: { String: " " }, content: "▁" }] },
    pre_tokenizer: null,
    post_processor: null,
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "Replace", pattern: { String: "▁" }, content: " " },
        { type: "ByteFallback" },
        { type: "Fuse" },
        { type: "Strip", content: " ", start: 1, stop: 0 },
      ],
    },
    model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, vocab, merges: merges.map((m) => m.join(" ")) },
  };
}
