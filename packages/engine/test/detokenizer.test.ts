import { test } from "node:test";
import assert from "node:assert/strict";
import { Tokenizer } from "@huggingface/tokenizers";
import { IncrementalDetokenizer } from "../src/index.js";
import { byteLevelTokenizer, sentencePieceTokenizer } from "./tokenizers.js";

const TEXTS = [
  "Hello world, the answer is 42.",
  "Emoji: 😀👍🏽 and a family 👨‍👩‍👧 in a row",
  "CJK: 日本語のテキストと中文文本",
  "Accents: café, naïve, Ærøskøbing, São Paulo — done.",
  "  leading spaces and   runs\nof whitespace\n\nhere",
];

/** Streams ids one by one; checks each chunk is whole UTF-8 and the chunks add up to the full decode. */
function checkStream(tok: Tokenizer, promptText: string, text: string): void {
  const decode = (ids: number[]) => (ids.length ? tok.decode(ids, { skip_special_tokens: true }) : "");
  const prompt = promptText ? tok.encode(promptText).ids : [];
  const all = tok.encode(promptText + text).ids;
  assert.deepEqual(all.slice(0, prompt.length), prompt, "test text must extend the prompt's tokens");
  const generated = all.slice(prompt.length);
  const d = new IncrementalDetokenizer(decode, { context: prompt });
  const chunks: string[] = [];
  for (const id of generated) {
    const c = d.push(id);
    if (c) chunks.push(c);
  }
  const last = d.flush();
  if (last) chunks.push(last);
  for (const c of chunks) {
    assert.ok(!c.includes("\uFFFD"), `chunk ${JSON.stringify(c)} has a replacement character`);
    assert.ok(c === Buffer.from(c, "utf8").toString("utf8"), `chunk ${JSON.stringify(c)} has a lone surrogate`);
  }
  const expected = decode(all).slice(decode(prompt).length);
  assert.equal(chunks.join(""), expected);
}

test("byte-level BPE: chunks are whole characters and add up to the full decode", () => {
  const tok = new Tokenizer(byteLevelTokenizer(), {});
  for (const text of TEXTS) checkStream(tok, "", text);
  // Multi-byte characters really are split over several tokens here.
  assert.ok(tok.encode("😀").ids.length === 4);
});

test("byte-level BPE: streaming after a prompt keeps the spaces", () => {
  const tok = new Tokenizer(byteLevelTokenizer(), {});
  checkStream(tok, "The prompt", " and the continuation 😀 café");
});

test("SentencePiece-style: byte fallback pieces join into characters, spaces kept", () => {
  const tok = new Tokenizer(sentencePieceTokenizer(), {});
  for (const text of TEXTS) checkStream(tok, "", text);
  assert.ok(tok.encode("日").ids.length >= 3, "CJK goes through byte fallback");
});

test("SentencePiece-style: first generated word keeps its space after a prompt", () => {
  const tok = new Tokenizer(sentencePieceTokenizer(), {});
  const decode = (ids: number[]) => (ids.length ? tok.decode(ids, { skip_special_tokens: true }) : "");
  const prompt = tok.encode("Hello").ids;
  const all = tok.encode("Hello there world").ids;
  const d = new IncrementalDetokenizer(decode, { context: prompt });
  let out = "";
  for (const id of all.slice(prompt.length)) out += d.push(id);
  out += d.flush();
  assert.equal(out, " there world");
});

test("an incomplete character at the very end is flushed as a full decode would show it", () => {
  const tok = new Tokenizer(byteLevelTokenizer(), {});
  const decode = (ids: number[]) => (ids.length ? tok.decode(ids, { skip_special_tokens: true }) : "");
  const ids = tok.encode("ok 😀").ids.slice(0, -1); // drop the emoji's last byte
  const d = new IncrementalDetokenizer(decode);
  let out = "";
  for (const id of ids) out += d.push(id);
  assert.equal(out, "ok ");
  out += d.flush();
  assert.equal(out, decode(ids));
});

/**
 * A decode over a made-up vocabulary that records every call: pieces are text, and the result
 * drops one leading space as SentencePiece decoders do at the start of a decode. With `cleanUp`
 * it instead joins " ." into "." (clean_up_tokenization_spaces), which rewrites earlier text.
 */
function recordingDecode(vocab: string[], options: { cleanUp?: boolean } = {}) {
  const calls: number[][] = [];
  const decode = (ids: number[]) => {
    calls.push([...ids]);
    const text = ids.map((id) => vocab[id]).join("");
    return options.cleanUp ? text.replaceAll(" .", ".") : text.replace(/^ /, "");
  };
  return { decode, calls };
}

test("the first chunk's context is the prompt's last five tokens; the window stays that small and nothing decodes an empty list", () => {
  const vocab = ["w0", " w1", " w2", " w3", " w4", " w5", " w6", " w7", " new"];
  const { decode, calls } = recordingDecode(vocab);
  const d = new IncrementalDetokenizer(decode, { context: [0, 1, 2, 3, 4, 5, 6, 7] });
  assert.equal(d.push(8), " new");
  assert.deepEqual(calls, [[3, 4, 5, 6, 7], [3, 4, 5, 6, 7, 8]]);
  let out = "";
  for (let i = 0; i < 50; i++) out += d.push(1 + (i % 7));
  assert.equal(out, Array.from({ length: 50 }, (_, i) => vocab[1 + (i % 7)]).join(""));
  assert.ok(Math.max(...calls.map((c) => c.length)) <= 6, `a decode of ${Math.max(...calls.map((c) => c.length))} tokens: the window grew`);
  const before = calls.length;
  assert.equal(d.flush(), "");
  assert.equal(calls.length, before, "flushing with nothing held back decodes nothing");
  assert.ok(calls.every((c) => c.length > 0), "decode([]) was called");
});

test("a token that adds no text holds nothing back and keeps the next word's space", () => {
  const { decode, calls } = recordingDecode(["Hello", "", " world"]);
  const d = new IncrementalDetokenizer(decode);
  assert.deepEqual([d.push(0), d.push(1), d.push(2), d.flush()], ["Hello", "", " world", ""]);
  assert.ok(calls.every((c) => c.length > 0), "decode([]) was called for the empty window before the first token");
});

test("a decode that rewrites text already sent (clean-up of ' .'): the held-back token gives what differs from the common prefix", () => {
  const { decode } = recordingDecode(["ab", "c ", ".", "x"], { cleanUp: true });
  const d = new IncrementalDetokenizer(decode);
  assert.equal(d.push(0), "ab");
  assert.equal(d.push(1), "c ");
  // "c " + "." decodes as "c." — no longer than "c ", so "." waits; flushed, it is what follows the common "c".
  assert.equal(d.push(2), "");
  assert.equal(d.flush(), ".");
  const e = new IncrementalDetokenizer(decode);
  assert.deepEqual([e.push(0), e.push(1), e.push(2), e.push(3)], ["ab", "c ", "", ".x"]);
});
