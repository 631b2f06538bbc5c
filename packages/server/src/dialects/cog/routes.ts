/**
 * Cog's container API: health, schema, shutdown and `/predictions` with one
 * endpoint negotiating JSON (sync), 202 + webhooks (`Prefer: respond-async`)
 * or SSE (`Accept: text/event-stream`).
 */
import { TscogError } from "@tscog/sdk";
import { checkId, readBody, webhookFields, type AppContext } from "../app-context.js";
import { predictionEventStream, SSE_HEADERS } from "../../predictions/event-stream.js";
import { renderCogEvents } from "./events.js";
import { emptyReply, type HttpReply, type HttpRequest } from "../../http/http.js";
import { jsonReply } from "../../http/http-errors.js";
import { whenAborted } from "../../predictions/cancellation.js";
import { prefersAsync, wantsEventStream } from "../../http/negotiate.js";
import { Prediction } from "../../predictions/prediction.js";
import type { Router } from "../../http/router.js";

/** Paths that answer without auth (probes). */
export const PUBLIC_PATHS = new Set(["/health-check", "/healthz", "/readyz", "/livez"]);

/** Answers with `prediction` as the request asked: SSE, 202 JSON or (after it finishes) 200 JSON. */
export async function negotiatePrediction(
  ctx: AppContext,
  request: HttpRequest,
  prediction: Prediction,
  options: { owner: boolean; asyncStatus?: number },
): Promise<HttpReply> {
  if (wantsEventStream(request)) {
    const from = Prediction.resumeIndex(request.headers.get("last-event-id"));
    const body = predictionEventStream({
      prediction,
      render: renderCogEvents,
      from,
      heartbeatMs: ctx.heartbeatMs,
      onDisconnect: options.owner ? () => void ctx.service.cancel(prediction.id) : undefined,
    });
    return { status: 200, headers: { ...SSE_HEADERS }, body };
  }
  if (prefersAsync(request)) return jsonReply(options.asyncStatus ?? 202, prediction.toJSON());
  await Promise.race([prediction.done, whenAborted(request.signal)]);
  if (!prediction.isTerminal()) {
    // The client went away: its synchronous prediction is canceled.
    if (options.owner) await ctx.service.cancel(prediction.id);
    return emptyReply(499);
  }
  return jsonReply(200, prediction.toJSON());
}

/** Registers Cog's routes. */
export function cogRoutes(router: Router, ctx: AppContext): void {
  const { service } = ctx;

  router.on("GET", "/", () =>
    jsonReply(200, {
      docs_url: "/docs",
      openapi_url: "/openapi.json",
      shutdown_url: "/shutdown",
      healthcheck_url: "/health-check",
      predictions_url: "/predictions",
      predictions_idempotent_url: "/predictions/{prediction_id}",
      predictions_cancel_url: "/predictions/{prediction_id}/cancel",
      ...(ctx.openaiEnabled ? { openai_models_url: "/v1/models", openai_chat_completions_url: "/v1/chat/completions", openai_completions_url: "/v1/completions" } : {}),
    }),
  );
  router.on("GET", "/health-check", () => jsonReply(200, service.health()));
  // Kubernetes-style probes: the same body with a status code a probe understands.
  router.on("GET", "/healthz", () => {
    const health = service.health();
    return jsonReply(health.status === "DEFUNCT" || health.status === "SETUP_FAILED" ? 503 : 200, health);
  });
  // Kubernetes restarts the container when this fails: a setup that failed or timed out, a predictor that cannot come back.
  router.on("GET", "/livez", () => {
    const health = service.health();
    return jsonReply(health.status === "DEFUNCT" || health.status === "SETUP_FAILED" ? 503 : 200, health);
  });
  router.on("GET", "/readyz", () => {
    const health = service.health();
    return jsonReply(health.status === "READY" ? 200 : 503, health, health.status === "READY" ? {} : { "retry-after": "1" });
  });
  router.on("GET", "/openapi.json", () => {
    if (service.health().status === "STARTING" && Object.keys(service.openapi).length === 0) {
      throw new TscogError("NOT_READY", "The schema is not loaded yet; the model is starting.");
    }
    return jsonReply(200, service.openapi);
  });
  router.on("POST", "/shutdown", () => {
    setImmediate(() => ctx.onShutdown?.());
    return jsonReply(200, {});
  });

  router.on("POST", "/predictions", async (request) => {
    const { body, bytes } = await readBody(ctx, request);
    const id = body.id === undefined || body.id === null ? undefined : checkId(body.id);
    // An id already in use (running or finished) is a CONFLICT from the service, never a silent replacement.
    // Not awaited when already made: the in-memory service starts it before this reply is built.
    const created = service.create({ id, input: body.input ?? {}, inputBytes: bytes, ...webhookFields(body) });
    const prediction = created instanceof Promise ? await created : created;
    return negotiatePrediction(ctx, request, prediction, { owner: true });
  });

  router.on("GET", "/predictions/:id", async (_request, params) => {
    const prediction = await service.get(checkId(params.id));
    if (!prediction) throw new TscogError("NOT_FOUND", `No prediction with id ${params.id}.`);
    return jsonReply(200, prediction.toJSON());
  });

  router.on("PUT", "/predictions/:id", async (request, params) => {
    const id = checkId(params.id);
    const { body, bytes } = await readBody(ctx, request);
    const existing = await service.get(id);
    if (existing) {
      // Idempotent re-attach, as Cog's PUT: only for the same input.
      if (!sameJson(existing.input, body.input ?? {})) {
        throw new TscogError("CONFLICT", `Prediction ${id} exists with a different input; PUT with the same input re-attaches, a new id starts a new prediction.`);
      }
      return negotiatePrediction(ctx, request, existing, { owner: false });
    }
    // Not awaited when already made: the in-memory service starts it before this reply is built.
    const created = service.create({ id, input: body.input ?? {}, inputBytes: bytes, ...webhookFields(body) });
    const prediction = created instanceof Promise ? await created : created;
    return negotiatePrediction(ctx, request, prediction, { owner: true });
  });

  router.on("POST", "/predictions/:id/cancel", async (_request, params) => {
    const prediction = await service.cancel(checkId(params.id));
    if (!prediction) throw new TscogError("NOT_FOUND", `No prediction with id ${params.id}.`);
    return jsonReply(200, {});
  });
}

/** JSON equality of two inputs, ignoring key order. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
