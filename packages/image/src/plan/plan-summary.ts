import { posix } from "node:path";
import type { LayerSpec } from "../layer.js";
import type { ContainerConfig } from "../oci.js";
import { formatBytes } from "../progress.js";
import type { TarEntry } from "../tar-writer.js";
import type { ProjectImagePlan } from "../project-image.js";

/** One group of a layer's files: a package, a generated file, or a project file. */
export interface PlanGroup {
  /** Path in the image (a directory for a package). */
  path: string;
  files: number;
  bytes: number;
  /** Where the files come from on this machine, or `generated` for files tscog writes. */
  source: string;
}

/** One layer of a plan, as `tscog debug` shows it. */
export interface PlanLayerSummary {
  name: string;
  files: number;
  bytes: number;
  groups: PlanGroup[];
}

/** A build plan in a printable, JSON-friendly form. */
export interface PlanSummary {
  platform: string;
  base: string;
  layers: PlanLayerSummary[];
  config: ContainerConfig;
}

const entryBytes = (e: TarEntry) => e.size ?? e.data?.length ?? 0;

/** Packages under a node_modules directory are one group each (`/opt/tscog/node_modules/@scope/name`). */
function groupKey(e: TarEntry): string {
  const m = /^(.*\/node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(e.path);
  return m ? m[1]! : e.path;
}

/** The longest directory every path lies in. */
function commonDir(paths: string[]): string {
  let dir = posix.dirname(paths[0]!);
  while (dir !== "/" && !paths.every((p) => p.startsWith(`${dir}/`))) dir = posix.dirname(dir);
  return dir;
}

function groupSource(entries: TarEntry[], key: string): string {
  const first = entries[0]!;
  if (first.type === "symlink") return `-> ${first.linkname}`;
  const sources = entries.flatMap((e) => (e.source ? [e.source] : []));
  if (sources.length === 0) return "(generated)";
  if (entries.length === 1 && key === first.path) return sources[0]!;
  // A package: the directory its files come from.
  return commonDir(sources);
}

function summarizeLayer(layer: LayerSpec): PlanLayerSummary {
  const groups = new Map<string, TarEntry[]>();
  for (const e of layer.entries) {
    if (e.type === "directory") continue;
    const key = groupKey(e);
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const list: PlanGroup[] = [...groups].map(([path, entries]) => ({
    path, files: entries.length, bytes: entries.reduce((n, e) => n + entryBytes(e), 0), source: groupSource(entries, path),
  }));
  list.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { name: layer.name, files: list.reduce((n, g) => n + g.files, 0), bytes: list.reduce((n, g) => n + g.bytes, 0), groups: list };
}

/** Summarizes a plan: per layer its files grouped by package, sizes and sources; the container config. */
export function summarizePlan(plan: ProjectImagePlan): PlanSummary {
  const layers = plan.layers.map(summarizeLayer);
  const platform = `${plan.platform.os}/${plan.platform.architecture}${plan.platform.variant ? `/${plan.platform.variant}` : ""}`;
  if (plan.baseEntries) layers.unshift(summarizeLayer({ name: "base", entries: plan.baseEntries }));
  const base = plan.baseEntries ? `${plan.baseSource} (assembled from this machine's Node and shared libraries)` : `${plan.baseSource} (pulled when building)`;
  return { platform, base, layers, config: plan.config };
}

/** Long label values (the OpenAPI schema, the config) are shortened to one line. */
function shortValue(value: string, max = 100): string {
  return value.length <= max ? value : `${value.slice(0, max)}… (${formatBytes(value.length)})`;
}

/**
 * The plan as text, the way `cog debug` shows a Dockerfile: the base, each
 * layer with its files (packages as one line) and sizes, then the config.
 * @example
 * process.stdout.write(formatPlan(summarizePlan(await planProjectImage(options))));
 */
export function formatPlan(summary: PlanSummary, options: { maxGroups?: number } = {}): string {
  const max = options.maxGroups ?? 40;
  const lines = [`# platform ${summary.platform}`, `FROM ${summary.base}`, ""];
  summary.layers.forEach((layer, i) => {
    lines.push(`# layer ${i + 1}: ${layer.name}, ${layer.files} file${layer.files === 1 ? "" : "s"}, ${formatBytes(layer.bytes)} uncompressed`);
    for (const g of layer.groups.slice(0, max)) {
      const count = g.files > 1 ? `, ${g.files} files` : "";
      if (g.source.startsWith("-> ")) lines.push(`LINK ${g.path} ${g.source}`);
      else lines.push(`COPY ${g.source} ${g.path}  # ${formatBytes(g.bytes)}${count}`);
    }
    if (layer.groups.length > max) lines.push(`# … ${layer.groups.length - max} more (tscog debug --json lists every one)`);
    lines.push("");
  });
  const c = summary.config;
  if (c.User) lines.push(`USER ${c.User}`);
  if (c.WorkingDir) lines.push(`WORKDIR ${c.WorkingDir}`);
  for (const kv of c.Env ?? []) lines.push(`ENV ${kv}`);
  for (const port of Object.keys(c.ExposedPorts ?? {})) lines.push(`EXPOSE ${port}`);
  for (const [k, v] of Object.entries(c.Labels ?? {})) lines.push(`LABEL ${k}=${JSON.stringify(shortValue(v))}`);
  if (c.Healthcheck?.Test) lines.push(`HEALTHCHECK CMD ${JSON.stringify(c.Healthcheck.Test.slice(1))}`);
  if (c.StopSignal) lines.push(`STOPSIGNAL ${c.StopSignal}`);
  if (c.Entrypoint) lines.push(`ENTRYPOINT ${JSON.stringify(c.Entrypoint)}`);
  if (c.Cmd) lines.push(`CMD ${JSON.stringify(c.Cmd)}`);
  return `${lines.join("\n")}\n`;
}
