// Benchmark prompts measured in the model's own tokens, so a "32-token prompt" costs the same
// prefill on a word-level and a byte-level tokenizer.

const WORDS = "the state of our union is strong and the people of this nation have worked hard to make it so".split(" ");

/** The first `n` token ids of a speech-like text (starting `variant` words in), as `lm` tokenizes it. */
export function promptIds(lm, n, variant = 0) {
  return lm.encode(Array.from({ length: n }, (_, i) => WORDS[(i + variant) % WORDS.length]).join(" ")).slice(0, n);
}

/** The text of `promptIds(lm, n, variant)`. */
export function promptText(lm, n, variant = 0) {
  return lm.decode(promptIds(lm, n, variant));
}
