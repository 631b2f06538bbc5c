/** Request header parsing for Cog's one-endpoint negotiation, Replicate's `Prefer: wait` and uploads. */
import type { HttpRequest } from "./http.js";

/** True when the client asks for server-sent events. */
export function wantsEventStream(request: HttpRequest): boolean {
  return (request.headers.get("accept") ?? "").toLowerCase().includes("text/event-stream");
}

/** True for `Prefer: respond-async`. */
export function prefersAsync(request: HttpRequest): boolean {
  return /(^|[,;\s])respond-async(\s*($|[,;]))/i.test(request.headers.get("prefer") ?? "");
}

/** Seconds to block for `Prefer: wait` / `Prefer: wait=N` (capped at `max`), or undefined. */
export function preferWaitSeconds(request: HttpRequest, max = 60): number | undefined {
  const m = /(?:^|[,;\s])wait(?:\s*=\s*"?(\d{1,6})"?)?\s*(?:$|[,;])/i.exec(request.headers.get("prefer") ?? "");
  if (!m) return undefined;
  return Math.min(max, m[1] === undefined ? max : Math.max(1, Number(m[1])));
}

/** Resolves after `ms` (timer unref'd and cleared by the returned `cancel`). */
export function delay(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** True for a `multipart/form-data` Content-Type: a body the route streams (an upload), not one read up front. */
export function isMultipart(contentType: string | null | undefined): boolean {
  return typeof contentType === "string" && /^\s*multipart\/form-data\s*(;|$)/i.test(contentType);
}
