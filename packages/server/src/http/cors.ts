/** CORS with credentials for browser clients (EventSource `withCredentials`, fetch). */
import { emptyReply, type HttpReply, type HttpRequest } from "./http.js";

export interface CorsOptions {
  /**
   * Origins allowed to call the server with credentials: exact origins
   * (`https://app.example.com`), or `"*"` to allow any origin (reflected, since
   * credentials forbid a literal `*`). Default: any origin when no API token is
   * configured, none otherwise.
   */
  origins?: string[] | "*";
  /** Preflight cache lifetime, seconds. Default 600. */
  maxAge?: number;
}

const ALLOWED_METHODS = "GET, POST, PUT, OPTIONS";
const EXPOSED = "Content-Type, Retry-After, Location";

/** Decides and writes CORS headers. */
export class Cors {
  private readonly any: boolean;
  private readonly origins: Set<string>;

  constructor(private readonly options: CorsOptions = {}, authConfigured = false) {
    const origins = options.origins ?? (authConfigured ? [] : "*");
    this.any = origins === "*";
    this.origins = new Set(origins === "*" ? [] : origins.map((o) => o.replace(/\/$/, "")));
  }

  /** True when `origin` may make credentialed requests. */
  allows(origin: string | null): origin is string {
    if (!origin) return false;
    return this.any || this.origins.has(origin);
  }

  /** Headers to add to a normal response. */
  headers(request: HttpRequest): Record<string, string> {
    const origin = request.headers.get("origin");
    if (!this.allows(origin)) return {};
    return {
      "access-control-allow-origin": origin,
      "access-control-allow-credentials": "true",
      "access-control-expose-headers": EXPOSED,
      vary: "Origin",
    };
  }

  /** The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`). */
  preflight(request: HttpRequest): HttpReply {
    const origin = request.headers.get("origin");
    if (!this.allows(origin)) return emptyReply(204, { vary: "Origin" });
    const requested = request.headers.get("access-control-request-headers");
    return emptyReply(204, {
      "access-control-allow-origin": origin,
      "access-control-allow-credentials": "true",
      "access-control-allow-methods": ALLOWED_METHODS,
      "access-control-allow-headers": requested && /^[\w\-, ]*$/.test(requested) ? requested : "Authorization, Content-Type, Prefer, Last-Event-ID",
      "access-control-max-age": String(this.options.maxAge ?? 600),
      vary: "Origin, Access-Control-Request-Headers",
    });
  }
}
