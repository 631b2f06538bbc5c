/** Request header parsing for Cog's one-endpoint negotiation and Replicate's `Prefer: wait`. */

/** True when the client asks for server-sent events. */
export function wantsEventStream(request: Request): boolean {
  return (request.headers.get("accept") ?? "").toLowerCase().includes("text/event-stream");
}

/** True for `Prefer: respond-async`. */
export function prefersAsync(request: Request): boolean {
  return /(^|[,;\s])respond-async(\s*($|[,;]))/i.test(request.headers.get("prefer") ?? "");
}

/** Seconds to block for `Prefer: wait` / `Prefer: wait=N` (capped at `max`), or undefined. */
export function preferWaitSeconds(request: Request, max = 60): number | undefined {
  const m = /(?:^|[,;\s])wait(?:\s*=\s*"?(\d{1,6})"?)?\s*(?:$|[,;])/i.exec(request.headers.get("prefer") ?? "");
  if (!m) return undefined;
  return Math.min(max, m[1] === undefined ? max : Math.max(1, Number(m[1])));
}

/** Resolves when `signal` aborts (never, if it has none). */
export function aborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise(() => {});
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/** Resolves after `ms` (timer unref'd and cleared by the returned `cancel`). */
export function delay(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}
