/**
 * A request path as a bounded route pattern for metrics and logs:
 * `/v1/predictions/abc123/cancel` → `/v1/predictions/:id/cancel`. Known
 * segments stay, anything else becomes a named parameter, so ids and typos
 * never create new label values.
 */

const STATIC = new Set([
  "predictions", "v1", "models", "versions", "deployments", "cancel", "stream", "health-check", "healthz", "readyz", "livez",
  "openapi.json", "shutdown", "metrics", "docs", "chat", "completions", "files", "content",
]);
/** The parameter name a segment gets after each known segment. */
const PARAM_AFTER: Record<string, string> = { predictions: ":id", files: ":id", models: ":owner", deployments: ":owner", versions: ":version" };
const MAX_SEGMENTS = 8;

/** The route pattern of `path` (no query string, no trailing slash). */
export function routeLabel(path: string): string {
  if (path === "/" || path === "") return "/";
  const parts = path.split("/");
  if (parts.length > MAX_SEGMENTS + 1) return "/(other)";
  let label = "";
  let previous = "";
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === "" && i === parts.length - 1) break;
    const name = STATIC.has(part) ? part : previous === ":owner" ? ":name" : (PARAM_AFTER[previous] ?? ":param");
    label += `/${name}`;
    previous = name;
  }
  return label || "/";
}

/** The path part of an absolute URL string, without parsing the whole URL. */
export function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const q = url.indexOf("?", start);
  const h = url.indexOf("#", start);
  const end = q < 0 ? (h < 0 ? url.length : h) : h < 0 ? q : Math.min(q, h);
  return url.slice(start, end);
}
