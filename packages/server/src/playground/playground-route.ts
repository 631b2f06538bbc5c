/**
 * The playground's route: `GET /` for browsers (clients that ask for JSON,
 * or do not accept HTML, get Cog's JSON index from the Cog routes) and
 * `GET /docs` (the index's `docs_url`). The page is one self-contained HTML
 * document; it needs no token itself and asks for one when the API does.
 */
import type { HttpReply, HttpRequest } from "../http/http.js";
import { playgroundHtml } from "./playground-page.js";

const pages = new Map<boolean, string>();

/** True when `path` is the playground for this request: `/docs`, or `/` when the client prefers HTML. */
export function wantsPlayground(path: string, request: HttpRequest): boolean {
  if (path === "/docs" || path === "/docs/") return true;
  if (path !== "/") return false;
  const accept = request.headers.get("accept") ?? "";
  return accept.includes("text/html") && !/^\s*application\/json/.test(accept);
}

/** The page as a reply (no-cache, with a strict content security policy: nothing is fetched from elsewhere). */
export function playgroundReply(options: { authRequired: boolean }): HttpReply {
  let page = pages.get(options.authRequired);
  if (page === undefined) pages.set(options.authRequired, (page = playgroundHtml(options.authRequired)));
  return {
    status: 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
      "content-security-policy":
        "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'",
    },
    body: page,
  };
}
