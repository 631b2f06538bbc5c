/**
 * CORS for browser clients. None by default (same origin only); named origins
 * get credentialed access (EventSource `withCredentials`, fetch with
 * cookies); `*` gives any origin access without credentials, never with.
 */
import { emptyReply, type HttpReply, type HttpRequest } from "./http.js";

export interface CorsOptions {
  /**
   * Origins allowed to call the server from a browser: exact origins
   * (`https://app.example.com`, with credentials), or `"*"` for any origin
   * (answered with a literal `*` and no credentials). Default: none.
   */
  origins?: string[] | "*";
  /** Preflight cache lifetime, seconds. Default 600. */
  maxAge?: number;
}

/** The methods the app answers (CORS preflights and plain `OPTIONS` alike). */
export const ALLOWED_METHODS = "GET, POST, PUT, DELETE, OPTIONS";
const EXPOSED = "Content-Type, Retry-After, Location";

/** Decides and writes CORS headers. */
export class Cors {
  private readonly any: boolean;
  private readonly origins: Set<string>;

  constructor(private readonly options: CorsOptions = {}) {
    const origins = options.origins ?? [];
    this.any = origins === "*";
    this.origins = new Set(origins === "*" ? [] : origins.map((o) => o.replace(/\/$/, "")));
  }

  /** True when `origin` may make credentialed requests. */
  allows(origin: string | null): boolean {
    if (!origin) return false;
    return this.any || this.origins.has(origin);
  }

  /** Headers to add to a normal response. */
  headers(request: HttpRequest): Record<string, string> {
    const origin = request.headers.get("origin");
    if (!origin || !this.allows(origin)) return {};
    return { ...this.originHeaders(origin), "access-control-expose-headers": EXPOSED };
  }

  /** Allow-Origin (and credentials for named origins; a wildcard never has them). */
  private originHeaders(origin: string): Record<string, string> {
    if (this.any) return { "access-control-allow-origin": "*" };
    return { "access-control-allow-origin": origin, "access-control-allow-credentials": "true", vary: "Origin" };
  }

  /** The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`). */
  preflight(request: HttpRequest): HttpReply {
    const origin = request.headers.get("origin");
    if (!origin || !this.allows(origin)) return emptyReply(204, { vary: "Origin" });
    const requested = request.headers.get("access-control-request-headers");
    return emptyReply(204, {
      ...this.originHeaders(origin),
      "access-control-allow-methods": ALLOWED_METHODS,
      "access-control-allow-headers": requested && /^[\w\-, ]*$/.test(requested) ? requested : "Authorization, Content-Type, Prefer, Last-Event-ID",
      "access-control-max-age": String(this.options.maxAge ?? 600),
      vary: "Origin, Access-Control-Request-Headers",
    });
  }
}
