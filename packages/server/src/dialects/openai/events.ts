/**
 * What the OpenAI routes send: `chat.completion` and `text_completion` objects,
 * and their streams (`data: {chunk}` lines, then `data: [DONE]`) rendered from a
 * prediction's event log.
 */
import { TscogError } from "@tscog/sdk";
import type { EventRenderer } from "../../predictions/event-stream.js";
import type { Prediction } from "../../predictions/prediction.js";
import { openAiError } from "./errors.js";

/** Which OpenAI object a prediction is shown as. */
export type CompletionKind = "chat" | "completion";

/** OpenAI's `usage`. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** The reply's id: the prediction's id behind OpenAI's prefix (so `/v1/predictions/{id}/cancel` can stop it). */
export function completionId(kind: CompletionKind, prediction: Prediction): string {
  return `${kind === "chat" ? "chatcmpl" : "cmpl"}-${prediction.id}`;
}

/** Token counts from the predictor's recorded metrics (`input_token_count`, `output_token_count`); 0 when it recorded none. */
export function usageOf(prediction: Prediction): Usage {
  const metrics = prediction.metrics;
  const count = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  const prompt = count(metrics.input_token_count);
  const completion = count(metrics.output_token_count);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** `length` when the predictor recorded that generation hit its token limit (metric `finish_reason`), else `stop`. */
export function finishReasonOf(prediction: Prediction): "stop" | "length" {
  return prediction.metrics.finish_reason === "length" ? "length" : "stop";
}

/** The generated text: output chunks joined, or a returned value. */
export function outputText(prediction: Prediction): string {
  const output = prediction.output;
  if (output === null || output === undefined) return "";
  if (typeof output === "string") return output;
  if (Array.isArray(output)) return output.map(chunkText).join("");
  return JSON.stringify(output);
}

function chunkText(chunk: unknown): string {
  return typeof chunk === "string" ? chunk : (JSON.stringify(chunk) ?? "");
}

/** Why a finished prediction has no completion, as a TscogError for OpenAI's error shape. */
export function failureOf(prediction: Prediction): TscogError {
  if (prediction.status === "canceled") return new TscogError("CANCELED", "The generation was canceled.");
  const code = prediction.errorCode;
  if (code === "INVALID_INPUT") return new TscogError("INVALID_INPUT", prediction.error ?? "Invalid input.");
  if (code === "TIMEOUT") return new TscogError("TIMEOUT", prediction.error ?? "The generation took too long.");
  return new TscogError("PREDICTION_FAILED", prediction.error ?? "The generation failed.");
}

/** The non-streamed reply: a `chat.completion` or `text_completion` object. */
export function completionJson(kind: CompletionKind, prediction: Prediction, model: string): Record<string, unknown> {
  const text = outputText(prediction);
  const finish_reason = finishReasonOf(prediction);
  const choice =
    kind === "chat"
      ? { index: 0, message: { role: "assistant", content: text, refusal: null }, logprobs: null, finish_reason }
      : { index: 0, text, logprobs: null, finish_reason };
  return {
    id: completionId(kind, prediction),
    object: kind === "chat" ? "chat.completion" : "text_completion",
    created: Math.floor(prediction.createdMs / 1000),
    model,
    choices: [choice],
    usage: usageOf(prediction),
    system_fingerprint: null,
  };
}

/** The `data:` line that ends every stream. */
export const DONE_LINE = "data: [DONE]\n\n";

/**
 * A renderer of one prediction's log as OpenAI stream chunks: a text delta per
 * output chunk, then (on `completed`) the chunk with `finish_reason`, a `usage`
 * chunk when asked, and `[DONE]`; a failed or canceled prediction sends
 * `data: {"error": ...}` before `[DONE]`. Logs and metrics are not sent.
 */
export function openAiStreamRenderer(options: { kind: CompletionKind; prediction: Prediction; model: string; includeUsage: boolean }): {
  render: EventRenderer;
  /** The first chunk (chat: the assistant role), sent as soon as the stream opens. */
  preamble: string;
} {
  const { kind, prediction, model, includeUsage } = options;
  const object = kind === "chat" ? "chat.completion.chunk" : "text_completion";
  // Every chunk is this head, a choice, and "}": built once, so a token costs one JSON.stringify of its text.
  const head = `{"id":${JSON.stringify(completionId(kind, prediction))},"object":"${object}","created":${Math.floor(prediction.createdMs / 1000)},"model":${JSON.stringify(model)},`;
  const textOpen = kind === "chat" ? `data: ${head}"choices":[{"index":0,"delta":{"content":` : `data: ${head}"choices":[{"index":0,"text":`;
  const textClose = kind === "chat" ? `},"logprobs":null,"finish_reason":null}]}\n\n` : `,"logprobs":null,"finish_reason":null}]}\n\n`;
  const textChunk = (text: string) => textOpen + JSON.stringify(text) + textClose;
  const finishChunk = (reason: string) =>
    kind === "chat"
      ? `data: ${head}"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"${reason}"}]}\n\n`
      : `data: ${head}"choices":[{"index":0,"text":"","logprobs":null,"finish_reason":"${reason}"}]}\n\n`;

  const completed = (): string => {
    if (prediction.status !== "succeeded") return `data: ${JSON.stringify(openAiError(failureOf(prediction)).body)}\n\n${DONE_LINE}`;
    let text = "";
    // A predictor that returns one value (no chunks) streams it as one delta.
    if (prediction.outputKind === "value" && prediction.value !== null && prediction.value !== undefined) text += textChunk(chunkText(prediction.value));
    text += finishChunk(finishReasonOf(prediction));
    if (includeUsage) text += `data: ${head}"choices":[],"usage":${JSON.stringify(usageOf(prediction))}}\n\n`;
    return text + DONE_LINE;
  };

  const render: EventRenderer = (p, from, to) => {
    let text = "";
    p.forEachEvent(
      from,
      to,
      (chunk) => (text += textChunk(typeof chunk === "string" ? chunk : chunkText(chunk))),
      (event) => {
        if (event.type === "completed") text += completed();
      },
    );
    return text;
  };
  const preamble = kind === "chat" ? `data: ${head}"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n` : "";
  return { render, preamble };
}
