/**
 * Chat prompts: a list of messages rendered with the model's Jinja chat
 * template from tokenizer_config.json.
 */
import { Template } from "@huggingface/jinja";
import { TscogError } from "@tscog/sdk";

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

/** Renders `messages` with `template`, adding the generation prompt, as transformers' apply_chat_template does. */
export function renderChat(template: string | undefined, messages: readonly ChatMessage[], tokenizerConfig: Record<string, unknown>): string {
  if (!template) {
    throw new TscogError("INVALID_INPUT", "this model has no chat template (tokenizer_config.json has no chat_template): pass the prompt as a string", {
      field: "prompt",
    });
  }
  const special = (v: unknown): string => (typeof v === "string" ? v : v && typeof v === "object" && typeof (v as { content?: unknown }).content === "string" ? (v as { content: string }).content : "");
  try {
    return new Template(template).render({
      messages,
      add_generation_prompt: true,
      bos_token: special(tokenizerConfig.bos_token),
      eos_token: special(tokenizerConfig.eos_token),
      pad_token: special(tokenizerConfig.pad_token),
      unk_token: special(tokenizerConfig.unk_token),
    });
  } catch (err) {
    throw new TscogError("PREDICTION_FAILED", `rendering the chat template failed: ${(err as Error).message}`, { cause: err });
  }
}
