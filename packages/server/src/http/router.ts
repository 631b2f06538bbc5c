/** A small method + path router; a known path with the wrong method gives 405 with `Allow`. */
import { TscogError } from "@tscog/sdk";
import type { HttpReply, HttpRequest } from "./http.js";

/** Route handler: the request and the path's named parameters. */
export type Handler = (request: HttpRequest, params: Record<string, string>) => Promise<HttpReply> | HttpReply;

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
}

/** Result of matching a request. */
export type Match = { handler: Handler; params: Record<string, string> } | { allow: string[] } | undefined;

export class Router {
  private routes: Route[] = [];

  /** Adds a route; `pattern` segments starting with `:` are parameters, e.g. `/predictions/:id`. */
  on(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, parts: pattern.split("/").filter(Boolean), handler });
    return this;
  }

  match(method: string, path: string): Match {
    let segments: string[];
    try {
      segments = path.split("/").filter(Boolean).map((s) => decodeURIComponent(s));
    } catch {
      throw new TscogError("BAD_REQUEST", `The path ${JSON.stringify(path.slice(0, 200))} is not validly percent-encoded.`);
    }
    const allow: string[] = [];
    for (const route of this.routes) {
      if (route.parts.length !== segments.length) continue;
      const params: Record<string, string> = Object.create(null);
      let ok = true;
      for (let i = 0; i < segments.length; i++) {
        const part = route.parts[i];
        if (part.startsWith(":")) params[part.slice(1)] = segments[i];
        else if (part !== segments[i]) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (route.method === method || (method === "HEAD" && route.method === "GET")) return { handler: route.handler, params };
      allow.push(route.method);
    }
    return allow.length ? { allow } : undefined;
  }
}
