import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError } from "@tscog/sdk";
import { defaultModelId, parseConfig, resolveOpenAiMapping } from "../src/index.js";
import { makeProject } from "../src/testing.js";

const INPUT = {
  properties: {
    prompt: { type: "string" },
    messages: { type: "string" },
    max_new_tokens: { type: "integer" },
    temperature: { type: "number" },
    seed: { type: "integer" },
    stop: { type: "array" },
    top_p: { type: "string" },
  },
};

function cogFile(text: string): { file: string; config: ReturnType<typeof parseConfig> } {
  // makeProject's directories are removed when the test process exits.
  const file = join(makeProject({ "cog.yaml": text }), "cog.yaml");
  return { file, config: parseConfig(text, file) };
}

test("inputs named like OpenAI's parameters are used without being listed; a same-named input of the wrong type is not", () => {
  const { file, config } = cogFile('predict: "predict.ts:P"\nopenai:\n  inputs:\n    max_tokens: max_new_tokens\n');
  const mapping = resolveOpenAiMapping(config, INPUT, { file, projectDir: "/x/my-model" })!;
  assert.deepEqual(mapping.inputs, { messages: "messages", prompt: "prompt", max_tokens: "max_new_tokens", temperature: "temperature", seed: "seed", stop: "stop" });
  assert.equal(mapping.stopIsList, true);
  assert.equal(mapping.model, "my-model");
  assert.equal(mapping.ownedBy, "tscog");
  assert.equal(resolveOpenAiMapping(parseConfig('predict: "predict.ts:P"\n', "cog.yaml"), INPUT, { projectDir: "." }), undefined);
});

test("an input the predictor lacks, or of the wrong type, is a cog.yaml:LINE error; so is no messages or prompt input", () => {
  const unknown = cogFile('predict: "predict.ts:P"\nopenai:\n  model: m\n  inputs:\n    seed: sed\n');
  assert.throws(
    () => resolveOpenAiMapping(unknown.config, INPUT, { file: unknown.file, projectDir: "." }),
    (err: unknown) =>
      err instanceof ConfigError && err.line === 5 && err.message === `${unknown.file}:5: openai.inputs.seed names the input "sed", which the predictor does not have (did you mean "seed"?); its inputs: prompt, messages, max_new_tokens, temperature, seed, stop, top_p.`,
  );
  const typed = cogFile('predict: "predict.ts:P"\nopenai:\n  inputs:\n    temperature: prompt\n');
  assert.throws(() => resolveOpenAiMapping(typed.config, INPUT, { file: typed.file, projectDir: "." }), /cog\.yaml:4: openai\.inputs\.temperature: the input "prompt" is a string input; temperature needs a number input/);
  const none = cogFile('predict: "predict.ts:P"\nopenai: {}\n');
  assert.throws(() => resolveOpenAiMapping(none.config, { properties: { text: { type: "string" } } }, { file: none.file, projectDir: "." }), /cog\.yaml:2: openai: no input receives messages or prompt/);
});

test("the default model id: the image name without registry, path, tag or digest, else the directory's name", () => {
  assert.equal(defaultModelId({ image: "r8.im/acme/chat:1.2" }, "/x/y"), "chat");
  assert.equal(defaultModelId({ image: "localhost:5000/tiny@sha256:abc" }, "/x/y"), "tiny");
  assert.equal(defaultModelId({}, "/x/tiny-lm"), "tiny-lm");
});

test("cog.yaml's openai section is checked by the schema: unknown keys name the allowed ones", () => {
  assert.throws(() => parseConfig('predict: "predict.ts:P"\nopenai:\n  inputs:\n    max_token: n\n', "cog.yaml"), /cog\.yaml:4: unknown key "max_token" under "openai\.inputs" \(did you mean "max_tokens"\?\)/);
});
