/**
 * Replicate's prediction API (`/v1/...`): create (201, `urls.get/cancel/stream`,
 * `Prefer: wait`), get, cancel, list, and the SSE stream at `urls.stream`.
 */
import { TscogError } from "@tscog/sdk";
import { checkId, webhookFields, type AppContext } from "../app-context.js";
import { predictionEventStream, SSE_HEADERS } from "../../predictions/event-stream.js";
import { renderReplicateEvents } from "./events.js";
import type { HttpRequest } from "../../http/http.js";
import { jsonReply, readJsonBody } from "../../http/http-errors.js";
import { whenAborted } from "../../predictions/cancellation.js";
import { delay, preferWaitSeconds, wantsEventStream } from "../../http/negotiate.js";
import { Prediction } from "../../predictions/prediction.js";
import type { Router } from "../../http/router.js";

/** The base URL clients used to reach us (scheme + Host of the request). */
function baseUrl(request: HttpRequest): string {
  return new URL(request.url).origin;
}

/** Replicate's prediction JSON for `prediction`, with absolute URLs under `base`. */
export function replicateJson(prediction: Prediction, base: string, streamToken: string): Record<string, unknown> {
  const self = `${base}/v1/predictions/${encodeURIComponent(prediction.id)}`;
  return {
    id: prediction.id,
    model: prediction.extra.model ?? "",
    version: prediction.extra.version ?? "",
    input: prediction.input,
    logs: prediction.logs,
    output: prediction.output,
    data_removed: false,
    error: prediction.error,
    status: prediction.status,
    source: "api",
    ...prediction.timestamps(),
    urls: {
      get: self,
      cancel: `${self}/cancel`,
      stream: `${self}/stream${streamToken ? `?token=${streamToken}` : ""}`,
    },
    metrics: prediction.metrics,
    ...(prediction.webhook ? { webhook: prediction.webhook } : {}),
    ...(prediction.webhookEventsFilter ? { webhook_events_filter: prediction.webhookEventsFilter } : {}),
  };
}

/** Registers the `/v1` routes. */
export function replicateRoutes(router: Router, ctx: AppContext): void {
  const { service, auth } = ctx;
  const json = (request: HttpRequest, p: Prediction, status = 200) =>
    jsonReply(status, replicateJson(p, baseUrl(request), auth.streamToken(p.id)));

  const create = async (request: HttpRequest, extra: Record<string, unknown>) => {
    const body = await readJsonBody(request, ctx.maxBodyBytes);
    if (body.version !== undefined && typeof body.version !== "string") {
      throw new TscogError("INVALID_INPUT", "version must be a string.", {
        details: [{ loc: ["body", "version"], msg: "must be a string", type: "type_error.str" }],
      });
    }
    const base = baseUrl(request);
    const prediction = service.create({
      input: body.input ?? {},
      ...webhookFields(body),
      extra: { ...extra, ...(typeof body.version === "string" ? { version: body.version } : {}) },
      serialize: (p) => replicateJson(p, base, auth.streamToken(p.id)),
    });
    const wait = preferWaitSeconds(request);
    if (wait !== undefined) {
      const timer = delay(wait * 1000);
      await Promise.race([prediction.done, timer.promise, whenAborted(request.signal)]);
      timer.cancel();
    }
    return json(request, prediction, 201);
  };

  router.on("POST", "/v1/predictions", (request) => create(request, {}));
  router.on("POST", "/v1/models/:owner/:name/predictions", (request, params) =>
    create(request, { model: `${params.owner}/${params.name}` }),
  );
  router.on("POST", "/v1/models/:owner/:name/versions/:version/predictions", (request, params) =>
    create(request, { model: `${params.owner}/${params.name}`, version: params.version }),
  );
  router.on("POST", "/v1/deployments/:owner/:name/predictions", (request, params) =>
    create(request, { model: `${params.owner}/${params.name}` }),
  );

  router.on("GET", "/v1/predictions", (request) => {
    const results = service.store
      .all()
      .reverse()
      .map((p) => replicateJson(p, baseUrl(request), auth.streamToken(p.id)));
    return jsonReply(200, { previous: null, next: null, results });
  });

  const stream = (request: HttpRequest, id: string) => {
    const prediction = service.get(id);
    if (!prediction) throw new TscogError("NOT_FOUND", `No prediction with id ${id}.`);
    const body = predictionEventStream({
      prediction,
      render: renderReplicateEvents,
      from: Prediction.resumeIndex(request.headers.get("last-event-id")),
      heartbeatMs: ctx.heartbeatMs,
    });
    return { status: 200, headers: { ...SSE_HEADERS }, body };
  };

  router.on("GET", "/v1/predictions/:id", (request, params) => {
    const id = checkId(params.id);
    if (wantsEventStream(request)) return stream(request, id);
    const prediction = service.get(id);
    if (!prediction) throw new TscogError("NOT_FOUND", `No prediction with id ${id}.`);
    return json(request, prediction);
  });
  // Authorized by the bearer token or by the signed `token` query parameter in `urls.stream` (EventSource cannot send headers).
  router.on("GET", "/v1/predictions/:id/stream", (request, params) => stream(request, checkId(params.id)));
  router.on("POST", "/v1/predictions/:id/cancel", (request, params) => {
    const prediction = service.cancel(checkId(params.id));
    if (!prediction) throw new TscogError("NOT_FOUND", `No prediction with id ${params.id}.`);
    return json(request, prediction);
  });
}

/** True for the stream route, which checks its own signed token. */
export function isStreamPath(path: string): boolean {
  return /^\/v1\/predictions\/[^/]+\/stream\/?$/.test(path);
}
