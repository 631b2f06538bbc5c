/** What route modules share. */
import { TscogError } from "@tscog/sdk";
import type { Auth } from "../http/auth.js";
import { readJson, type JsonBody, type JsonBodyLimits } from "../http/json-body.js";
import type { HttpRequest } from "../http/http.js";
import type { PredictionBackend } from "../predictions/prediction-backend.js";
import { WEBHOOK_EVENTS } from "../predictions/webhook-sender.js";

export interface AppContext {
  service: PredictionBackend;
  auth: Auth;
  maxBodyBytes: number;
  /** Limits on JSON bodies (bytes, depth, values). */
  bodyLimits: JsonBodyLimits;
  heartbeatMs: number;
  /** Base of absolute URLs in replies (`urls.*`); default the request's own scheme and Host. */
  publicUrl?: string;
  /** True when cog.yaml enables the OpenAI routes (the index lists them). */
  openaiEnabled?: boolean;
  /** Called by `POST /shutdown`. */
  onShutdown?: () => void;
}

/** Prediction ids: what Cog and Replicate generate, and what a URL segment can carry safely. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;

/** Reads the request's JSON body within the app's limits. */
export function readBody(ctx: AppContext, request: HttpRequest): Promise<JsonBody> {
  return readJson(request, ctx.bodyLimits);
}

/** Checks a prediction id from a path or a body (`id` must be a string there). */
export function checkId(id: unknown): string {
  if (typeof id !== "string") {
    throw new TscogError("INVALID_INPUT", `id must be a string of 1–128 letters, digits, '.', '_', '~' or '-', got ${typeof id === "object" ? (Array.isArray(id) ? "a list" : "an object") : JSON.stringify(id)}.`, {
      details: [{ loc: ["body", "id"], msg: "must be a string", type: "type_error.str" }],
    });
  }
  if (!ID_PATTERN.test(id)) {
    throw new TscogError("BAD_REQUEST", `Invalid prediction id ${JSON.stringify(id.slice(0, 140))}: use 1–128 letters, digits, '.', '_', '~' or '-'.`);
  }
  return id;
}

/** Validates the `webhook` and `webhook_events_filter` body fields. */
export function webhookFields(body: Record<string, unknown>): { webhook?: string; webhookEventsFilter?: string[] } {
  const out: { webhook?: string; webhookEventsFilter?: string[] } = {};
  const details = [];
  if (body.webhook !== undefined && body.webhook !== null) {
    let ok = typeof body.webhook === "string";
    if (ok) {
      try {
        ok = ["http:", "https:"].includes(new URL(body.webhook as string).protocol);
      } catch {
        ok = false;
      }
    }
    if (ok) out.webhook = body.webhook as string;
    else details.push({ loc: ["body", "webhook"], msg: "must be an http(s) URL", type: "value_error.url" });
  }
  const filter = body.webhook_events_filter;
  if (filter !== undefined && filter !== null) {
    if (Array.isArray(filter) && filter.every((e) => (WEBHOOK_EVENTS as readonly unknown[]).includes(e))) out.webhookEventsFilter = filter as string[];
    else details.push({ loc: ["body", "webhook_events_filter"], msg: `must be a list of: ${WEBHOOK_EVENTS.join(", ")}`, type: "type_error.enum" });
  }
  if (details.length) throw new TscogError("INVALID_INPUT", `Invalid request: ${details.map((d) => `${d.loc[1]} ${d.msg}`).join("; ")}.`, { details });
  return out;
}
