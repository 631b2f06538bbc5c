/**
 * The server's core: `handle(HttpRequest) → HttpReply`, with no Node
 * specifics, and the web-standard `fetch(Request) → Response` on top of it.
 * Adapters (see `node-adapter.ts`) bridge it to a real socket.
 */
import { TscogError } from "@tscog/sdk";
import type { AppContext } from "./dialects/app-context.js";
import { Auth } from "./http/auth.js";
import { cogRoutes, PUBLIC_PATHS } from "./dialects/cog/routes.js";
import { Cors, type CorsOptions } from "./http/cors.js";
import { emptyReply, toResponse, type HttpReply, type HttpRequest } from "./http/http.js";
import { errorReply } from "./http/http-errors.js";
import type { PredictionService } from "./predictions/prediction-service.js";
import { isStreamPath, replicateRoutes } from "./dialects/replicate/routes.js";
import { Router } from "./http/router.js";

export interface AppOptions {
  service: PredictionService;
  /** When set, every route but the health probes needs `Authorization: Bearer <token>`. */
  token?: string;
  cors?: CorsOptions;
  /** Largest accepted request body, bytes. Default 16 MiB. */
  maxBodyBytes?: number;
  /** Idle time before an SSE heartbeat comment, ms. Default 15 s. */
  heartbeatMs?: number;
  /** Called by `POST /shutdown`. */
  onShutdown?: () => void;
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
  const cors = new Cors(options.cors, auth.enabled);
  const ctx: AppContext = {
    service: options.service,
    auth,
    maxBodyBytes: options.maxBodyBytes ?? 16 * 1024 * 1024,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    onShutdown: options.onShutdown,
  };
  const router = new Router();
  cogRoutes(router, ctx);
  replicateRoutes(router, ctx);

  const route = async (request: HttpRequest): Promise<HttpReply> => {
    const url = parseUrl(request.url);
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
    if (request.method === "OPTIONS") {
      if (request.headers.get("access-control-request-method")) return cors.preflight(request);
      return emptyReply(204, { allow: "GET, POST, PUT, OPTIONS" });
    }
    const match = router.match(request.method, path);
    if (!match) throw new TscogError("NOT_FOUND", `No route ${request.method} ${path.slice(0, 200)}; see GET / for the routes.`);
    if ("allow" in match) {
      return errorReply(new TscogError("METHOD_NOT_ALLOWED", `${request.method} is not allowed on ${path}; allowed: ${match.allow.join(", ")}.`), {
        allow: match.allow.join(", "),
      });
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
      reply = errorReply(err);
    }
    Object.assign(reply.headers, cors.headers(request));
    if (request.method === "HEAD" && reply.body !== null) {
      if (typeof reply.body !== "string") await reply.body[Symbol.asyncIterator]().return?.();
      reply.body = null;
    }
    return reply;
  };

  return {
    maxBodyBytes: ctx.maxBodyBytes,
    handle,
    fetch: async (request) => toResponse(await handle(request)),
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
