/**
 * OpenAI's API over the one prediction service: `POST /v1/chat/completions`,
 * `POST /v1/completions` (JSON or `stream: true` SSE), `GET /v1/models[/{id}]`.
 * Requests become ordinary predictions through cog.yaml's `openai` mapping, so
 * they queue, cancel and show up in `/v1/predictions` like any other.
 */
import { TscogError } from "@tscog/sdk";
import type { CogConfig, InputSchemaLike, OpenAiMapping } from "@tscog/runtime";
import { readBody, type AppContext } from "../app-context.js";
import { emptyReply, type HttpReply, type HttpRequest } from "../../http/http.js";
import { jsonReply } from "../../http/http-errors.js";
import type { Router } from "../../http/router.js";
import { whenAborted } from "../../predictions/cancellation.js";
import { predictionEventStream, SSE_HEADERS } from "../../predictions/event-stream.js";
import type { Prediction } from "../../predictions/prediction.js";
import { openAiErrorReply } from "./errors.js";
import { completionJson, failureOf, openAiStreamRenderer, type CompletionKind } from "./events.js";
import { parseChatRequest, parseCompletionRequest, type OpenAiRequest } from "./protocol.js";

/** Where the OpenAI routes learn their mapping. */
export interface OpenAiRouteOptions {
  /** cog.yaml's `openai` (and `image`, for the default model id); without `openai` the routes answer 404 saying how to enable them. */
  config?: Pick<CogConfig, "openai" | "image">;
  /** The project directory: its name is the default model id. */
  projectDir?: string;
}

const NOT_ENABLED =
  "This model does not serve OpenAI's API: its cog.yaml has no openai section. Add one naming the inputs that take the chat messages and the prompt, e.g.\n" +
  "openai:\n  inputs:\n    messages: messages\n    prompt: prompt\n    max_tokens: max_new_tokens\n(see cog.yaml.example), and restart the server.";

/** Registers `/v1/chat/completions`, `/v1/completions` and `/v1/models`. */
export function openaiRoutes(router: Router, ctx: AppContext, options: OpenAiRouteOptions = {}): void {
  const { service } = ctx;
  let resolved: { openapi: unknown; mapping: OpenAiMapping | undefined } | undefined;
  // @tscog/runtime is loaded only when the routes are used (the server's main thread does not need it otherwise).
  let runtime: Promise<typeof import("@tscog/runtime")> | undefined;
  const loadRuntime = () => (runtime ??= import("@tscog/runtime"));

  /** The mapping against the loaded predictor's inputs (checked at load already; resolved again after a restart). */
  const mapping = async (): Promise<OpenAiMapping> => {
    if (!options.config?.openai) throw new TscogError("NOT_FOUND", NOT_ENABLED);
    const openapi = service.openapi as { components?: { schemas?: { Input?: InputSchemaLike } } };
    const input = openapi.components?.schemas?.Input;
    if (!input) {
      const status = service.health().status;
      if (status === "SETUP_FAILED" || status === "DEFUNCT") throw new TscogError("SETUP_FAILED", "The model could not be loaded or set up; see /health-check for why.");
      throw new TscogError("NOT_READY", "The model is starting (setup() is running); retry when /health-check says READY.");
    }
    if (resolved?.openapi !== openapi) {
      const { resolveOpenAiMapping } = await loadRuntime();
      resolved = { openapi, mapping: resolveOpenAiMapping(options.config, input, { projectDir: options.projectDir ?? "model" }) };
    }
    return resolved.mapping!;
  };
  let id: string | undefined;
  const modelId = async () => (id ??= options.config?.openai?.model ?? (await loadRuntime()).defaultModelId(options.config ?? {}, options.projectDir ?? "model"));

  const completion = (kind: CompletionKind) => async (request: HttpRequest) => {
    try {
      const m = await mapping();
      const { body, bytes } = await readBody(ctx, request);
      const parsed = kind === "chat" ? parseChatRequest(body, m) : parseCompletionRequest(body, m);
      const created = create(parsed, bytes, m);
      const prediction = created instanceof Promise ? await created : created;
      return parsed.stream ? stream(kind, prediction, parsed, m.model) : await wait(kind, prediction, request, m.model);
    } catch (err) {
      return openAiErrorReply(err);
    }
  };

  const create = (parsed: OpenAiRequest, bytes: number, m: OpenAiMapping): Prediction | Promise<Prediction> => {
    try {
      // As on the Replicate routes, a busy model queues the request (429 only when the queue is full).
      const created = service.create({ input: parsed.input, inputBytes: bytes, queue: true, dialect: "openai", extra: { model: m.model } });
      return created instanceof Promise ? created.catch((err: unknown) => Promise.reject(toOpenAiParameter(err, m))) : created;
    } catch (err) {
      throw toOpenAiParameter(err, m);
    }
  };

  const stream = (kind: CompletionKind, prediction: Prediction, parsed: OpenAiRequest, model: string): HttpReply => {
    const { render, preamble } = openAiStreamRenderer({ kind, prediction, model, includeUsage: parsed.includeUsage });
    const body = predictionEventStream({
      prediction,
      render,
      preamble,
      heartbeatMs: ctx.heartbeatMs,
      onDisconnect: () => void service.cancel(prediction.id),
    });
    return { status: 200, headers: { ...SSE_HEADERS }, body };
  };

  const wait = async (kind: CompletionKind, prediction: Prediction, request: HttpRequest, model: string): Promise<HttpReply> => {
    await Promise.race([prediction.done, whenAborted(request.signal)]);
    if (!prediction.isTerminal()) {
      // The client went away: its generation is canceled.
      await service.cancel(prediction.id);
      return emptyReply(499);
    }
    if (prediction.status !== "succeeded") return openAiErrorReply(failureOf(prediction));
    return jsonReply(200, completionJson(kind, prediction, model));
  };

  router.on("POST", "/v1/chat/completions", completion("chat"));
  router.on("POST", "/v1/completions", completion("completion"));

  const startedMs = Date.now();
  const model = async () => ({ id: await modelId(), object: "model", created: Math.floor(startedMs / 1000), owned_by: options.config?.openai?.owned_by ?? "tscog" });
  const list = async () => {
    if (!options.config?.openai) return openAiErrorReply(new TscogError("NOT_FOUND", NOT_ENABLED));
    return jsonReply(200, { object: "list", data: [await model()] });
  };
  const one = async (wanted: string) => {
    if (!options.config?.openai) return openAiErrorReply(new TscogError("NOT_FOUND", NOT_ENABLED));
    const served = await modelId();
    if (wanted !== served) return openAiErrorReply(new TscogError("NOT_FOUND", `The model ${JSON.stringify(wanted.slice(0, 200))} does not exist; this server serves ${JSON.stringify(served)}.`), { param: "model" });
    return jsonReply(200, await model());
  };
  router.on("GET", "/v1/models", list);
  router.on("GET", "/v1/models/:id", (_request, params) => one(params.id));
  // Ids such as "org/name" arrive unencoded from some clients.
  router.on("GET", "/v1/models/:owner/:name", (_request, params) => one(`${params.owner}/${params.name}`));
}

/** An input validation error, with the predictor's input names put back as OpenAI parameter names. */
function toOpenAiParameter(err: unknown, m: OpenAiMapping): unknown {
  if (!(err instanceof TscogError) || err.code !== "INVALID_INPUT" || !err.details?.length) return err;
  const parameterOf = new Map(Object.entries(m.inputs).map(([parameter, input]) => [input, parameter]));
  const problems = err.details.map((d) => {
    const input = String(d.loc.at(-1));
    return { param: parameterOf.get(input) ?? input, msg: d.msg };
  });
  const message = `Invalid request: ${problems.map((p) => `${p.param} ${p.msg}`).join("; ")}.`;
  return new TscogError("INVALID_INPUT", message, { field: problems[0]!.param });
}
