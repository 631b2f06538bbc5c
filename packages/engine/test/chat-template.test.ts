/**
 * Chat templates render exactly as transformers renders them: fixtures in
 * test/fixtures/chat-templates (Llama-3, Qwen2 ChatML, Qwen2.5, SmolLM2, Phi-3,
 * Mistral, Gemma, a whitespace-only template) hold strings rendered by jinja2 set
 * up as transformers' render_jinja_template (scripts/make-chat-template-fixtures.py).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { TscogError } from "@tscog/sdk";
import { chatTemplateFrom, parseChatMessages, renderChat, type ChatMessage } from "../src/chat-template.js";
import { TextGenerator } from "../src/index.js";
import { FIXTURES, TINY_LM } from "./paths.js";

interface Fixture {
  source: string;
  tokenizer_config: Record<string, unknown>;
  cases: { title: string; add_generation_prompt: boolean; messages: ChatMessage[]; expected?: string; error?: string }[];
}

const DIR = path.join(FIXTURES, "chat-templates");
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .sort();

test("the fixtures cover the Llama-3, Qwen2/ChatML, SmolLM2 and Phi-3 styles", () => {
  for (const name of ["llama-3.json", "qwen2-chatml.json", "smollm2.json", "phi-3.json"]) assert.ok(fixtures.includes(name), name);
});

for (const file of fixtures) {
  test(`chat template ${file.replace(/\.json$/, "")} renders as transformers does`, () => {
    const fixture = JSON.parse(readFileSync(path.join(DIR, file), "utf8")) as Fixture;
    const template = chatTemplateFrom(fixture.tokenizer_config);
    for (const c of fixture.cases) {
      const label = `${c.title}, add_generation_prompt=${c.add_generation_prompt} (${fixture.source})`;
      const render = () => renderChat(template, c.messages, fixture.tokenizer_config, { addGenerationPrompt: c.add_generation_prompt });
      if (c.error !== undefined) {
        assert.throws(render, (err: unknown) => err instanceof TscogError && err.message.includes(c.error!), label);
      } else {
        assert.equal(render(), c.expected, label);
      }
    }
  });
}

test("tokenizer_config's list of named templates: the one named default is used", () => {
  const config = { chat_template: [{ name: "tool_use", template: "tools" }, { name: "default", template: "{{ messages[0].content }}" }] };
  assert.equal(renderChat(chatTemplateFrom(config), [{ role: "user", content: "hi" }], config), "hi");
  assert.equal(chatTemplateFrom({}, "{{ 'x' }}"), "{{ 'x' }}");
  assert.throws(() => renderChat(undefined, [{ role: "user", content: "hi" }], {}), /has no chat template/);
});

test("the built-in model's own chat template (a base model: plain Question/Answer paragraphs)", async () => {
  const config = JSON.parse(readFileSync(path.join(TINY_LM, "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
  const messages: ChatMessage[] = [
    { role: "system", content: "You are the President." },
    { role: "user", content: "What is the state of the union?" },
    { role: "assistant", content: " Strong. " },
    { role: "user", content: "Why?" },
  ];
  const text = "You are the President.\n\nQuestion: What is the state of the union?\n\nAnswer: Strong.\n\nQuestion: Why?\n\nAnswer:";
  assert.equal(renderChat(chatTemplateFrom(config), messages, config), text);
  // The generator feeds exactly that text, without adding special tokens again.
  const lm = await TextGenerator.load(TINY_LM);
  assert.deepEqual(lm.encode(messages), lm.encode(text));
});

test("parseChatMessages reads a chat from JSON text and says what is wrong with a bad one", () => {
  assert.deepEqual(parseChatMessages('[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},{"role":"assistant","content":null}]'), [
    { role: "user", content: "ab" },
    { role: "assistant", content: "" },
  ]);
  for (const [json, why] of [
    ["not json", /not JSON/],
    ["[]", /non-empty list/],
    ['[{"content":"x"}]', /message 0 has no string role/],
    ['[{"role":"user","content":[{"type":"image_url"}]}]', /content is neither a string nor a list of text parts/],
  ] as const) {
    assert.throws(() => parseChatMessages(json), (err: unknown) => err instanceof TscogError && err.code === "INVALID_INPUT" && why.test(err.message), json);
  }
});
