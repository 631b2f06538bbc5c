/**
 * Chat prompts: a list of messages rendered with the model's Jinja chat
 * template from tokenizer_config.json.
 */
import { Template } from "@huggingface/jinja";
import { InputError, TscogError } from "@tscog/sdk";

/** One turn of a conversation. */
export interface ChatMessage {
  role: "system" | "user" | "assistant" | (string & {});
  content: string;
}

/** Picks the template: an explicit one, tokenizer_config's string, or its entry named "default". */
export function chatTemplateFrom(tokenizerConfig: Record<string, unknown>, explicit?: string): string | undefined {
  if (explicit) return explicit;
  const t = tokenizerConfig.chat_template;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) {
    const entry = t.find((e) => e && typeof e === "object" && (e as { name?: unknown }).name === "default") as { template?: unknown } | undefined;
    if (typeof entry?.template === "string") return entry.template;
  }
  return undefined;
}

/**
 * Renders `messages` with `template` as transformers' `apply_chat_template(tokenize=False)` does:
 * trim_blocks and lstrip_blocks, `raise_exception`, the special tokens as variables, and
 * the generation prompt unless `addGenerationPrompt` is false.
 */
export function renderChat(
  template: string | undefined,
  messages: readonly ChatMessage[],
  tokenizerConfig: Record<string, unknown>,
  options: { addGenerationPrompt?: boolean } = {},
): string {
  if (!template) {
    throw new TscogError("INVALID_INPUT", "this model has no chat template (tokenizer_config.json has no chat_template): pass the prompt as a string", {
      field: "prompt",
    });
  }
  const special = (v: unknown): string => (typeof v === "string" ? v : v && typeof v === "object" && typeof (v as { content?: unknown }).content === "string" ? (v as { content: string }).content : "");
  try {
    return new Template(template).render({
      messages,
      add_generation_prompt: options.addGenerationPrompt ?? true,
      bos_token: special(tokenizerConfig.bos_token),
      eos_token: special(tokenizerConfig.eos_token),
      pad_token: special(tokenizerConfig.pad_token),
      unk_token: special(tokenizerConfig.unk_token),
    });
  } catch (err) {
    throw new TscogError("PREDICTION_FAILED", `rendering the chat template failed: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Reads a chat given as JSON text (`[{"role": "user", "content": "Hi"}]`), as a
 * string input receives it from the OpenAI chat route; content may also be a
 * list of `{"type": "text", "text": ...}` parts. Throws `InputError` naming `field`.
 *
 * @example const prompt = input.messages ? parseChatMessages(input.messages) : input.prompt;
 */
export function parseChatMessages(json: string, field = "messages"): ChatMessage[] {
  const bad = (why: string): never => {
    throw new InputError(`${field} must be a JSON list of {"role", "content"} messages: ${why}.`, {
      field,
      details: [{ loc: ["body", "input", field], msg: why, type: "value_error" }],
    });
  };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    return bad(`it is not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(value) || value.length === 0) return bad("it is not a non-empty list");
  return value.map((m, i) => {
    if (!m || typeof m !== "object" || typeof (m as { role?: unknown }).role !== "string") return bad(`message ${i} has no string role`);
    const { role, content } = m as { role: string; content?: unknown };
    if (typeof content === "string") return { role, content };
    if (content === null || content === undefined) return { role, content: "" };
    if (Array.isArray(content) && content.every((p) => p && typeof p === "object" && (p as { type?: unknown }).type === "text" && typeof (p as { text?: unknown }).text === "string")) {
      return { role, content: content.map((p) => (p as { text: string }).text).join("") };
    }
    return bad(`message ${i}'s content is neither a string nor a list of text parts`);
  });
}
