/**
 * The server's core: `handle(HttpRequest) → HttpReply`, with no Node
 * specifics, and the web-standard `fetch(Request) → Response` on top of it.
 * Adapters (see `node-adapter.ts`) bridge it to a real socket.
 */
import { TscogError } from "@tscog/sdk";
import type { AppContext } from "./dialects/app-context.js";
import { Auth } from "./http/auth.js";
import { cogRoutes, PUBLIC_PATHS } from "./dialects/cog/routes.js";
import { ALLOWED_METHODS, Cors, type CorsOptions } from "./http/cors.js";
import { emptyReply, toResponse, type HttpReply, type HttpRequest } from "./http/http.js";
import { errorReply } from "./http/http-errors.js";
import type { PredictionBackend } from "./predictions/prediction-backend.js";
import { isStreamPath, replicateRoutes } from "./dialects/replicate/routes.js";
import { filesRoutes, type FilesAppOptions } from "./dialects/replicate/files-routes.js";
import { Router } from "./http/router.js";
import { openaiRoutes, type OpenAiRouteOptions } from "./dialects/openai/routes.js";
import { isOpenAiPath, isOpenAiUrl, openAiErrorReply } from "./dialects/openai/errors.js";
import type { Observability } from "./observability/observability.js";

export interface AppOptions extends FilesAppOptions {
  service: PredictionBackend;
  /** Serve only the health probes (and `/metrics`): a fleet worker's port. Default false. */
  probesOnly?: boolean;
  /** When set, every route but the health probes needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Browser origins allowed (CORS). Default none: same origin only. */
  cors?: CorsOptions;
  /** Largest accepted request body, bytes. Default 16 MiB. */
  maxBodyBytes?: number;
  /** Deepest nesting of objects and arrays in a JSON body. Default 64. */
  maxJsonDepth?: number;
  /** Most values in a JSON body. Default 100,000. */
  maxJsonValues?: number;
  /** Most object members (name: value pairs) in a JSON body. Default 10,000. */
  maxJsonMembers?: number;
  /** Base of absolute URLs in replies (e.g. `https://models.example.com`); default the request's scheme and Host. */
  publicUrl?: string;
  /** Idle time before an SSE heartbeat comment, ms. Default 15 s. */
  heartbeatMs?: number;
  /** Called by `POST /shutdown`. */
  onShutdown?: () => void;
  /** cog.yaml's `openai` section for the OpenAI routes (`/v1/chat/completions`, ...); without it they answer 404. */
  openai?: OpenAiRouteOptions;
  /** Metrics (`/metrics`), request logs and the playground around the routes. */
  observability?: Observability;
}

/** The HTTP app: a handler for `HttpRequest`s, and the same as a fetch-style handler. */
export interface App {
  /** Answers a request; never rejects (errors become JSON replies). */
  handle(request: HttpRequest): Promise<HttpReply>;
  /** `handle` for web-standard `Request`s. */
  fetch(request: Request): Promise<Response>;
  readonly maxBodyBytes: number;
}

/**
 * Creates the HTTP app for a prediction service.
 *
 * @example
 * const app = createApp({ service });
 * const res = await app.fetch(new Request("http://x/health-check"));
 */
export function createApp(options: AppOptions): App {
  const auth = new Auth(options.token);
  const cors = new Cors(options.cors);
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const publicUrl = options.publicUrl?.replace(/\/+$/, "");
  const ctx: AppContext = {
    service: options.service,
    auth,
    maxBodyBytes,
    bodyLimits: { maxBytes: maxBodyBytes, maxDepth: options.maxJsonDepth, maxValues: options.maxJsonValues, maxMembers: options.maxJsonMembers },
    publicUrl,
    openaiEnabled: options.openai?.config?.openai !== undefined,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    onShutdown: options.onShutdown,
  };
  const publicOrigin = publicUrl ? new URL(publicUrl).origin : undefined;
  const router = new Router();
  cogRoutes(router, ctx);
  replicateRoutes(router, ctx);
  filesRoutes(router, ctx, options);
  openaiRoutes(router, ctx, options.openai);

  const route = async (request: HttpRequest): Promise<HttpReply> => {
    const url = parseUrl(request.url);
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
    if (request.method === "OPTIONS") {
      if (request.headers.get("access-control-request-method")) return cors.preflight(request);
      return emptyReply(204, { allow: ALLOWED_METHODS });
    }
    const match = options.probesOnly && !PUBLIC_PATHS.has(path) ? undefined : router.match(request.method, path);
    if (!match) throw new TscogError("NOT_FOUND", `No route ${request.method} ${path.slice(0, 200)}; see GET / for the routes.`);
    if ("allow" in match) {
      const notAllowed = new TscogError("METHOD_NOT_ALLOWED", `${request.method} is not allowed on ${path}; allowed: ${match.allow.join(", ")}.`);
      const allow = { allow: match.allow.join(", ") };
      return isOpenAiPath(path) ? openAiErrorReply(notAllowed, { headers: allow }) : errorReply(notAllowed, allow);
    }
    // A browser on another site may send "simple" POSTs without a preflight: act only on our own or allowed origins.
    const origin = request.headers.get("origin");
    if (origin !== null && request.method !== "GET" && request.method !== "HEAD" && origin !== url.origin && origin !== publicOrigin && !cors.allows(origin)) {
      throw new TscogError("FORBIDDEN", `Requests from the web origin ${origin.slice(0, 200)} are not allowed; start the server with --cors-origin ${origin.slice(0, 200)} (or cog.yaml server.cors_origins) to allow it.`);
    }
    if (isStreamPath(path)) {
      if (!auth.canStream(request, match.params.id ?? "", url.searchParams.get("token"))) auth.check(request);
    } else if (!PUBLIC_PATHS.has(path)) {
      auth.check(request);
    }
    return match.handler(request, match.params);
  };

  const handle = async (request: HttpRequest): Promise<HttpReply> => {
    let reply: HttpReply;
    try {
      reply = await route(request);
    } catch (err) {
      reply = isOpenAiUrl(request.url) ? openAiErrorReply(err) : errorReply(err);
    }
    Object.assign(reply.headers, cors.headers(request));
    if (request.method === "HEAD" && reply.body !== null) {
      if (typeof reply.body !== "string") await reply.body[Symbol.asyncIterator]().return?.();
      reply.body = null;
    }
    return reply;
  };

  const observed = options.observability ? options.observability.wrap(handle, auth) : handle;
  return {
    maxBodyBytes: ctx.maxBodyBytes,
    handle: observed,
    fetch: async (request) => toResponse(await observed(request)),
  };
}

/** The request's URL; BAD_REQUEST when it (or the Host it was built from) is malformed. */
function parseUrl(text: string): URL {
  try {
    const url = new URL(text);
    if (url.protocol === "http:" || url.protocol === "https:") return url;
  } catch {
    // reported below
  }
  throw new TscogError("BAD_REQUEST", "The request's URL or Host header is malformed.");
}
