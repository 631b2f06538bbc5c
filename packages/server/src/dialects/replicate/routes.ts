/**
 * Replicate's prediction API (`/v1/...`): create (201, `urls.get/cancel/stream`,
 * `Prefer: wait`), get, cancel, list, and the SSE stream at `urls.stream`.
 */
import { TscogError } from "@tscog/sdk";
import { checkId, readBody, webhookFields, type AppContext } from "../app-context.js";
import { predictionEventStream, SSE_HEADERS } from "../../predictions/event-stream.js";
import { renderReplicateEvents } from "./events.js";
import type { HttpRequest } from "../../http/http.js";
import { jsonReply } from "../../http/http-errors.js";
import { whenAborted } from "../../predictions/cancellation.js";
import { delay, preferWaitSeconds, wantsEventStream } from "../../http/negotiate.js";
import { Prediction } from "../../predictions/prediction.js";
import type { Router } from "../../http/router.js";

/** Most predictions in one page of `GET /v1/predictions` (Replicate's page size). */
const PAGE_SIZE = 100;
/** About the most bytes of predictions one page holds (a page is never empty). */
const PAGE_BYTES = 8 * 1024 * 1024;

/** Replicate's prediction JSON for `prediction`, with absolute URLs under `base`. */
export function replicateJson(prediction: Prediction, base: string, streamToken: string): Record<string, unknown> {
  const self = `${base}/v1/predictions/${encodeURIComponent(prediction.id)}`;
  return {
    id: prediction.id,
    model: prediction.extra.model ?? "",
    version: prediction.extra.version ?? "",
    input: prediction.publicInput,
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
  // The configured public URL, else the scheme and Host the client used (spoofable: set --public-url when it matters).
  const baseUrl = (request: HttpRequest) => ctx.publicUrl ?? new URL(request.url).origin;
  const json = (request: HttpRequest, p: Prediction, status = 200) =>
    jsonReply(status, replicateJson(p, baseUrl(request), auth.streamToken(p.id)));

  const create = async (request: HttpRequest, extra: Record<string, unknown>) => {
    const { body, bytes } = await readBody(ctx, request);
    if (body.version !== undefined && typeof body.version !== "string") {
      throw new TscogError("INVALID_INPUT", "version must be a string.", {
        details: [{ loc: ["body", "version"], msg: "must be a string", type: "type_error.str" }],
      });
    }
    const base = baseUrl(request);
    // Replicate's API never refuses a prediction for being busy: beyond concurrency.max it waits (status starting).
    const created = service.create({
      input: body.input ?? {},
      inputBytes: bytes,
      queue: true,
      dialect: "replicate",
      ...webhookFields(body),
      extra: { ...extra, ...(typeof body.version === "string" ? { version: body.version } : {}) },
      serialize: (p) => replicateJson(p, base, auth.streamToken(p.id)),
      webhookBase: base,
    });
    const prediction = created instanceof Promise ? await created : created;
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

  // Newest first, in pages with next/previous cursors as Replicate's list.
  router.on("GET", "/v1/predictions", async (request) => {
    const url = new URL(request.url);
    const cursor = url.searchParams.get("cursor");
    if (cursor !== null && !/^\d{1,15}$/.test(cursor)) throw new TscogError("BAD_REQUEST", "cursor must be a value from a previous page's next or previous URL.");
    const page = await service.page({ cursor, limit: PAGE_SIZE, maxBytes: PAGE_BYTES });
    const base = baseUrl(request);
    const link = (c: string | null) => (c === null ? null : `${base}/v1/predictions?cursor=${c}`);
    const results = page.results.map((p) => replicateJson(p, base, auth.streamToken(p.id)));
    return jsonReply(200, { previous: link(page.previous), next: link(page.next), results });
  });

  const stream = async (request: HttpRequest, id: string) => {
    const prediction = await service.get(id);
    if (!prediction) throw new TscogError("NOT_FOUND", `No prediction with id ${id}.`);
    const body = predictionEventStream({
      prediction,
      render: renderReplicateEvents,
      from: Prediction.resumeIndex(request.headers.get("last-event-id")),
      heartbeatMs: ctx.heartbeatMs,
    });
    return { status: 200, headers: { ...SSE_HEADERS }, body };
  };

  router.on("GET", "/v1/predictions/:id", async (request, params) => {
    const id = checkId(params.id);
    if (wantsEventStream(request)) return stream(request, id);
    const prediction = await service.get(id);
    if (!prediction) throw new TscogError("NOT_FOUND", `No prediction with id ${id}.`);
    return json(request, prediction);
  });
  // Authorized by the bearer token or by the signed `token` query parameter in `urls.stream` (EventSource cannot send headers).
  router.on("GET", "/v1/predictions/:id/stream", (request, params) => stream(request, checkId(params.id)));
  router.on("POST", "/v1/predictions/:id/cancel", async (request, params) => {
    const prediction = await service.cancel(checkId(params.id));
    if (!prediction) throw new TscogError("NOT_FOUND", `No prediction with id ${params.id}.`);
    return json(request, prediction);
  });
}

/** True for the stream route, which checks its own signed token. */
export function isStreamPath(path: string): boolean {
  return /^\/v1\/predictions\/[^/]+\/stream\/?$/.test(path);
}
