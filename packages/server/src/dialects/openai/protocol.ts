/**
 * OpenAI's request bodies, validated once at the edge and turned into the
 * predictor's input through cog.yaml's `openai` mapping. Every problem is a
 * 400 naming the OpenAI parameter and what is allowed.
 */
import { TscogError } from "@tscog/sdk";
import type { OpenAiMapping, OpenAiParameter } from "@tscog/runtime";

/** One chat message as the predictor's messages input receives it (JSON). */
export interface ChatMessageJson {
  role: "system" | "user" | "assistant";
  content: string;
}

/** What a route needs from a validated request. */
export interface OpenAiRequest {
  /** The predictor's input. */
  input: Record<string, unknown>;
  stream: boolean;
  /** `stream_options.include_usage`: a last chunk with `usage`. */
  includeUsage: boolean;
}

/** Message roles a chat may use (`developer` is OpenAI's newer name for `system`). */
const ROLES = ["system", "developer", "user", "assistant"];
/** Most stop sequences, as OpenAI allows. */
const MAX_STOP = 4;

const invalid = (param: string, message: string): never => {
  throw new TscogError("BAD_REQUEST", message, { field: param });
};

const describe = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "object" ? "an object" : typeof v === "string" ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : String(v);

function number(body: Record<string, unknown>, param: string, min: number, max: number, integer: boolean): number | undefined {
  const v = body[param];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    const range = min === Number.MIN_SAFE_INTEGER ? "" : max === Number.MAX_SAFE_INTEGER ? ` ≥ ${min}` : ` from ${min} to ${max}`;
    invalid(param, `${param} must be ${integer ? "an integer" : "a number"}${range}; got ${describe(v)}.`);
  }
  return v as number;
}

function boolean(body: Record<string, unknown>, param: string): boolean | undefined {
  const v = body[param];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") invalid(param, `${param} must be true or false; got ${describe(v)}.`);
  return v as boolean;
}

/** Checks the options both routes share and maps them onto the predictor's inputs. */
function commonOptions(body: Record<string, unknown>, mapping: OpenAiMapping, input: Record<string, unknown>): Omit<OpenAiRequest, "input"> {
  if (body.model !== undefined && body.model !== null && typeof body.model !== "string") invalid("model", `model must be a string; got ${describe(body.model)}.`);
  const n = body.n;
  if (n !== undefined && n !== null && n !== 1) invalid("n", `n must be 1: this server generates one choice per request; got ${describe(n)}.`);
  if (body.logprobs !== undefined && body.logprobs !== null && body.logprobs !== false && body.logprobs !== 0) {
    invalid("logprobs", "logprobs are not supported by this server; leave logprobs unset or false.");
  }
  const stream = boolean(body, "stream") ?? false;
  const options = body.stream_options;
  let includeUsage = false;
  if (options !== undefined && options !== null) {
    if (typeof options !== "object" || Array.isArray(options)) invalid("stream_options", `stream_options must be an object such as {"include_usage": true}; got ${describe(options)}.`);
    if (!stream) invalid("stream_options", "stream_options is only allowed with stream: true.");
    includeUsage = boolean(options as Record<string, unknown>, "include_usage") ?? false;
  }
  const maxTokens = number(body, "max_completion_tokens", 1, Number.MAX_SAFE_INTEGER, true) ?? number(body, "max_tokens", 1, Number.MAX_SAFE_INTEGER, true);
  const values: Partial<Record<OpenAiParameter, unknown>> = {
    max_tokens: maxTokens,
    temperature: number(body, "temperature", 0, 2, false),
    top_p: number(body, "top_p", 0, 1, false),
    seed: number(body, "seed", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true),
    stop: stopSequences(body.stop, mapping.stopIsList),
  };
  // A parameter the predictor has no input for is ignored, as OpenAI-compatible servers ignore what a model cannot use.
  for (const [parameter, value] of Object.entries(values) as [OpenAiParameter, unknown][]) {
    const name = mapping.inputs[parameter];
    if (value !== undefined && name !== undefined) input[name] = value;
  }
  return { stream, includeUsage };
}

function stopSequences(stop: unknown, asList: boolean): string | string[] | undefined {
  if (stop === undefined || stop === null) return undefined;
  const list = typeof stop === "string" ? [stop] : stop;
  if (!Array.isArray(list) || list.length > MAX_STOP || !list.every((s) => typeof s === "string" && s.length > 0)) {
    return invalid("stop", `stop must be a non-empty string or a list of up to ${MAX_STOP} of them; got ${describe(stop)}.`);
  }
  if (asList) return list as string[];
  if (list.length > 1) invalid("stop", "stop takes one string for this model (its stop input is a single string).");
  return list[0] as string;
}

/** The text of a message's content: a string, or a list of text parts. */
function contentText(content: unknown, i: number, role: string): string {
  if (typeof content === "string") return content;
  if ((content === null || content === undefined) && role === "assistant") return "";
  if (Array.isArray(content)) {
    let text = "";
    for (const [j, part] of content.entries()) {
      const p = part as { type?: unknown; text?: unknown } | null;
      if (p === null || typeof p !== "object" || p.type !== "text" || typeof p.text !== "string") {
        const type = p && typeof p === "object" && typeof p.type === "string" ? `a ${JSON.stringify(p.type)} part` : describe(part);
        invalid(`messages[${i}].content[${j}]`, `messages[${i}].content[${j}] is ${type}; this model takes text only: a string, or parts {"type": "text", "text": "..."}.`);
      }
      text += p!.text as string;
    }
    return text;
  }
  return invalid(`messages[${i}].content`, `messages[${i}].content must be a string or a list of {"type": "text", "text": "..."} parts; got ${describe(content)}.`);
}

/** Validates a chat message list; `developer` messages become `system` ones. */
export function parseMessages(messages: unknown): ChatMessageJson[] {
  if (!Array.isArray(messages) || messages.length === 0) {
    return invalid("messages", `messages must be a non-empty list of {"role", "content"} objects; got ${describe(messages)}.`);
  }
  return messages.map((m, i) => {
    if (m === null || typeof m !== "object" || Array.isArray(m)) return invalid(`messages[${i}]`, `messages[${i}] must be an object {"role", "content"}; got ${describe(m)}.`);
    const { role, content, tool_calls: toolCalls } = m as Record<string, unknown>;
    if (typeof role !== "string" || !ROLES.includes(role)) {
      return invalid(`messages[${i}].role`, `messages[${i}].role must be one of ${ROLES.join(", ")} (tools are not supported); got ${describe(role)}.`);
    }
    if (Array.isArray(toolCalls) && toolCalls.length) invalid(`messages[${i}].tool_calls`, "tool calls are not supported by this server.");
    return { role: role === "developer" ? "system" : (role as ChatMessageJson["role"]), content: contentText(content, i, role) };
  });
}

/** Checks a `/v1/chat/completions` body and builds the predictor's input. */
export function parseChatRequest(body: Record<string, unknown>, mapping: OpenAiMapping): OpenAiRequest {
  const inputName = mapping.inputs.messages;
  if (inputName === undefined) {
    throw new TscogError("NOT_FOUND", "This model takes no chat messages (cog.yaml's openai section maps no input to messages); use /v1/completions with a prompt, or add openai.inputs.messages.");
  }
  const messages = parseMessages(body.messages);
  for (const param of ["tools", "functions"]) {
    const v = body[param];
    if (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null) invalid(param, `${param} are not supported by this server.`);
  }
  const format = body.response_format as { type?: unknown } | null | undefined;
  if (format !== undefined && format !== null && (typeof format !== "object" || format.type !== "text")) {
    invalid("response_format", 'response_format must be {"type": "text"}: this server does not constrain output to JSON.');
  }
  const input: Record<string, unknown> = { [inputName]: JSON.stringify(messages) };
  return { input, ...commonOptions(body, mapping, input) };
}

/** Checks a `/v1/completions` body and builds the predictor's input. */
export function parseCompletionRequest(body: Record<string, unknown>, mapping: OpenAiMapping): OpenAiRequest {
  const inputName = mapping.inputs.prompt;
  if (inputName === undefined) {
    throw new TscogError("NOT_FOUND", "This model takes no prompt (cog.yaml's openai section maps no input to prompt); use /v1/chat/completions with messages, or add openai.inputs.prompt.");
  }
  let prompt = body.prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === "string") prompt = prompt[0];
  if (typeof prompt !== "string") {
    invalid("prompt", `prompt must be a string (or a list of one string; token lists and batches are not supported); got ${describe(prompt)}.`);
  }
  if (boolean(body, "echo")) invalid("echo", "echo is not supported by this server; leave it unset or false.");
  if (body.suffix !== undefined && body.suffix !== null) invalid("suffix", "suffix is not supported by this server.");
  const bestOf = body.best_of;
  if (bestOf !== undefined && bestOf !== null && bestOf !== 1) invalid("best_of", `best_of must be 1; got ${describe(bestOf)}.`);
  const input: Record<string, unknown> = { [inputName]: prompt };
  return { input, ...commonOptions(body, mapping, input) };
}
