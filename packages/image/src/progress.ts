import type { BuildEvent } from "./builder.js";
import type { PushEvent } from "./publish/registry-publisher.js";

/** `12.3 MB`-style sizes (decimal units, like Docker). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n;
  let i = -1;
  do {
    v /= 1000;
    i++;
  } while (v >= 1000 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** One line per build event: each layer with its size and whether it was cached, then a summary. */
export function formatBuildEvent(event: BuildEvent): string {
  if (event.kind === "layer") {
    const l = event.layer;
    const n = `[${event.index + 1}/${event.count}]`;
    const raw = l.diffSize !== undefined ? ` (${formatBytes(l.diffSize)} uncompressed)` : "";
    const how = l.cached ? "cached" : event.base ? (l.diffSize === undefined ? "pulled" : "built") : `built in ${event.seconds.toFixed(2)}s`;
    return `${n} ${l.name.padEnd(14)} ${formatBytes(l.size).padStart(9)}${raw}  ${how}  ${l.digest.slice(0, 19)}`;
  }
  const img = event.image;
  return `image ${img.digest}  ${img.layers.length} layers, ${formatBytes(img.size)} compressed, ${formatBytes(img.uncompressedSize)} uncompressed, ${event.seconds.toFixed(2)}s`;
}

/** One line per pushed blob. */
export function formatPushEvent(event: PushEvent): string {
  const how = event.action === "exists" ? "already there" : event.action;
  return `${event.name.padEnd(14)} ${formatBytes(event.size).padStart(9)}  ${how}  ${event.digest.slice(0, 19)}`;
}
