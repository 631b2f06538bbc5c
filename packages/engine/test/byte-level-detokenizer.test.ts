import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { createRandom } from "../src/index.js";
import { ByteLevelDetokenizer, ByteLevelPieces } from "../src/byte-level-detokenizer.js";
import { TINY_LM } from "./paths.js";
import { byteLevelTokenizer, sentencePieceTokenizer } from "./tokenizers.js";

const NO_CLEANUP = { clean_up_tokenization_spaces: false };

/** The test byte-level tokenizer plus a token with a character outside the byte table, and a non-special added token "<tool call>" (the last id; its space is not in the byte table's alphabet). */
function withAddedToken(): Record<string, unknown> {
  const json = byteLevelTokenizer();
  const vocab = (json.model as { vocab: Record<string, number> }).vocab;
  vocab["a€"] = Object.keys(vocab).length;
  const id = Object.keys(vocab).length;
  vocab["<tool call>"] = id;
  json.added_tokens = [...(json.added_tokens as object[]), { id, content: "<tool call>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: false }];
  return json;
}

/** Streams `ids` through a ByteLevelDetokenizer; returns the chunks. */
function stream(pieces: ByteLevelPieces, ids: number[]): string[] {
  const d = new ByteLevelDetokenizer(pieces);
  return [...ids.map((id) => d.push(id)), d.flush()].filter(Boolean);
}

test("byte-level pieces are used only when decoding is plain byte concatenation", () => {
  const json = byteLevelTokenizer();
  assert.ok(ByteLevelPieces.of(new Tokenizer(json, NO_CLEANUP), json, NO_CLEANUP));
  assert.equal(ByteLevelPieces.of(new Tokenizer(json, {}), json, {}), undefined, "clean_up_tokenization_spaces defaults to on");
  // A tokenizer.json without a decoder or a model section is not byte-level (and does not throw).
  assert.equal(ByteLevelPieces.of(new Tokenizer(json, NO_CLEANUP), { ...json, decoder: null }, NO_CLEANUP), undefined);
  assert.ok(ByteLevelPieces.of(new Tokenizer(json, NO_CLEANUP), { ...json, model: undefined }, NO_CLEANUP));
  const sp = sentencePieceTokenizer();
  assert.equal(ByteLevelPieces.of(new Tokenizer(sp, NO_CLEANUP), sp, NO_CLEANUP), undefined);
});

test("random token sequences (split and invalid UTF-8, special and added tokens) stream to exactly the whole decode", () => {
  const json = withAddedToken();
  const tok = new Tokenizer(json, NO_CLEANUP);
  const pieces = ByteLevelPieces.of(tok, json, NO_CLEANUP)!;
  const vocabSize = Object.keys((json.model as { vocab: object }).vocab).length;
  const random = createRandom(1);
  for (let k = 0; k < 300; k++) {
    const ids = Array.from({ length: 1 + Math.floor(random() * 40) }, () => Math.floor(random() * vocabSize));
    assert.equal(stream(pieces, ids).join(""), tok.decode(ids, { skip_special_tokens: true }), `ids ${ids}`);
  }
  // The added token is its literal text (it is not made of byte-table characters), and it ends a byte run.
  const added = vocabSize - 1;
  assert.deepEqual(stream(pieces, [0x61 + 1, added, 0xc3 + 1, 0xa9 + 1]), ["a", "<tool call>", "é"]);
  assert.deepEqual(stream(pieces, [0xc3 + 1, added]), ["\uFFFD<tool call>"]);
  // A byte-order mark is text like any other character, as in the whole decode.
  const bom = [0xef, 0xbb, 0xbf, 0x61].map((b) => b + 1);
  assert.equal(stream(pieces, bom).join(""), "\uFEFFa");
  assert.equal(tok.decode(bom, { skip_special_tokens: true }), "\uFEFFa");
  // A special token inside a character's bytes: skipped before decoding, so the character survives.
  const emoji = [0xf0, 0x9f, 0x98, 0x80].map((b) => b + 1); // byte b is token b + 1 here
  assert.equal(stream(pieces, [...emoji.slice(0, 2), 0, ...emoji.slice(2)]).join(""), "😀");
});

test("the built-in model's tokenizer: whole characters per chunk, same text as a whole decode", () => {
  const json = JSON.parse(readFileSync(path.join(TINY_LM, "tokenizer.json"), "utf8"));
  const config = JSON.parse(readFileSync(path.join(TINY_LM, "tokenizer_config.json"), "utf8"));
  const tok = new Tokenizer(json, config);
  const pieces = ByteLevelPieces.of(tok, json, config);
  assert.ok(pieces, "the built-in model is byte-level");
  for (const text of ["Emoji 😀👍🏽 👨‍👩‍👧 end", "中文文本 and 日本語", "café naïve São Paulo — “quoted”", "Fellow citizens of the Senate"]) {
    const ids = tok.encode(text).ids;
    const chunks = stream(pieces, ids);
    for (const c of chunks) assert.ok(!c.includes("\uFFFD"), `broken chunk ${JSON.stringify(c)}`);
    assert.equal(chunks.join(""), text);
  }
  const random = createRandom(2);
  for (let k = 0; k < 200; k++) {
    const ids = Array.from({ length: 30 }, () => Math.floor(random() * 4096));
    assert.equal(stream(pieces, ids).join(""), tok.decode(ids, { skip_special_tokens: true }));
  }
});
