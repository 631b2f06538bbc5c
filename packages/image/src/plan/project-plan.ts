import { readFile, realpath, stat } from "node:fs/promises";
import { basename, posix } from "node:path";
import { IMAGE_USER } from "../base-offline.js";
import type { LayerSpec } from "../layer.js";
import type { ContainerConfig } from "../oci.js";
import type { TarEntry } from "../tar-writer.js";
import { isWeightFile, listProjectFiles } from "./project-files.js";

/** Where things live inside a tscog image. */
export const IMAGE_PATHS = {
  app: "/opt/tscog",
  server: "/opt/tscog/server.mjs",
  nodeModules: "/opt/tscog/node_modules",
  src: "/src",
  predictorBundle: "/src/.tscog/predictor.mjs",
  openapi: "/src/openapi.json",
} as const;

/** The port the server listens on inside the image. */
export const IMAGE_PORT = 5000;

/** Inputs of `planProjectLayers`. */
export interface ProjectLayersInput {
  /** The project directory (holding cog.yaml). */
  projectDir: string;
  /** The effective config, for the `run.cog.config` label. */
  config: unknown;
  /** The OpenAPI document, written to /src/openapi.json and the `run.cog.openapi_schema` label. */
  openapi: unknown;
  /** The bundled predictor (ESM), written to `/src/.tscog/predictor.mjs`. */
  predictorCode: string;
  /** The tscog server bundle (a file on disk), copied to `/opt/tscog/server.mjs`. */
  serverBundle: string;
  /** Data files the server bundle reads, relative to `/opt/tscog`. */
  serverAssets?: { path: string; source: string }[];
  /** node_modules entries of unbundlable packages (from `nativePackageEntries`). */
  nativeEntries: TarEntry[];
  /** Files larger than this many bytes go to the weights layer (default 1 MiB). */
  weightThreshold?: number;
  /** Image title label (default: the project directory's name). */
  title?: string;
  /** `org.opencontainers.image.created` and the config's `created` (seconds since the epoch). */
  sourceDateEpoch: number;
  /** Extra labels. */
  labels?: Record<string, string>;
  /** Where the base came from, for the `org.opencontainers.image.base.name` label. */
  baseName?: string;
  /** Files (real paths) never copied into a layer, e.g. build secrets kept in the project directory. */
  exclude?: readonly string[];
}

/** The layers (dependencies, weights, code) and config of a project's image, without the base. */
export interface ProjectLayers {
  layers: LayerSpec[];
  config: ContainerConfig;
}

const SECOND = 1_000_000_000;

/** A health check that needs nothing but node: READY or BUSY from `/health-check` is healthy. */
export const HEALTHCHECK_SCRIPT =
  "fetch('http://127.0.0.1:'+(process.env.PORT||5000)+'/health-check').then(r=>r.json()).then(j=>process.exit(['READY','BUSY'].includes(j.status)?0:1),()=>process.exit(1))";

/**
 * Plans the layers above the base, ordered so an edit to `predict.ts` changes
 * only the last, small one: dependencies (server bundle + pruned native
 * packages), weights (large files and model directories), code (small project
 * files, the predictor bundle, cog.yaml, openapi.json).
 */
export async function planProjectLayers(input: ProjectLayersInput): Promise<ProjectLayers> {
  const { uid, gid } = IMAGE_USER;
  const threshold = input.weightThreshold ?? 1024 * 1024;
  const serverCode = await readFile(input.serverBundle);
  const dependencies: LayerSpec = {
    name: "dependencies",
    entries: [
      { path: IMAGE_PATHS.server, type: "file", mode: 0o644, uid: 0, gid: 0, data: serverCode },
      ...(await Promise.all((input.serverAssets ?? []).map(async (a): Promise<TarEntry> => ({
        path: posix.join(IMAGE_PATHS.app, a.path), type: "file", mode: 0o644, uid: 0, gid: 0, source: a.source, size: (await stat(a.source)).size,
      })))),
      ...input.nativeEntries,
      // ESM ignores NODE_PATH: a root node_modules link lets /src bundles import native packages too.
      { path: "/node_modules", type: "symlink", mode: 0o777, uid: 0, gid: 0, linkname: "opt/tscog/node_modules" },
    ],
  };
  const srcDir: TarEntry = { path: IMAGE_PATHS.src, type: "directory", mode: 0o755, uid, gid };
  const weights: TarEntry[] = [];
  const code: TarEntry[] = [srcDir, { path: posix.dirname(IMAGE_PATHS.predictorBundle), type: "directory", mode: 0o755, uid, gid }];
  const excluded = new Set(input.exclude ?? []);
  for (const f of await listProjectFiles(input.projectDir)) {
    if (excluded.size > 0 && excluded.has(await realpath(f.file))) continue;
    const entry: TarEntry = { path: posix.join(IMAGE_PATHS.src, f.rel), type: "file", mode: f.mode & 0o111 ? 0o755 : 0o644, uid: 0, gid: 0, source: f.file, size: f.size };
    (isWeightFile(f, threshold) ? weights : code).push(entry);
  }
  const openapiText = JSON.stringify(input.openapi);
  code.push(
    { path: IMAGE_PATHS.predictorBundle, type: "file", mode: 0o644, uid: 0, gid: 0, data: Buffer.from(input.predictorCode) },
    { path: IMAGE_PATHS.openapi, type: "file", mode: 0o644, uid: 0, gid: 0, data: Buffer.from(JSON.stringify(input.openapi, null, 2) + "\n") },
  );
  const layers: LayerSpec[] = [dependencies];
  if (weights.length > 0) layers.push({ name: "weights", entries: [srcDir, ...weights] });
  layers.push({ name: "code", entries: code });

  const created = new Date(input.sourceDateEpoch * 1000).toISOString().replace(".000Z", "Z");
  const config: ContainerConfig = {
    User: `${uid}:${gid}`,
    WorkingDir: IMAGE_PATHS.src,
    Env: [
      `PORT=${IMAGE_PORT}`,
      "NODE_ENV=production",
      `HOME=${IMAGE_USER.home}`,
      `TSCOG_PROJECT_DIR=${IMAGE_PATHS.src}`,
      `TSCOG_PREDICTOR_BUNDLE=${IMAGE_PATHS.predictorBundle}`,
    ],
    ExposedPorts: { [`${IMAGE_PORT}/tcp`]: {} },
    Entrypoint: ["node", IMAGE_PATHS.server],
    StopSignal: "SIGTERM",
    Healthcheck: { Test: ["CMD", "node", "-e", HEALTHCHECK_SCRIPT], Interval: 5 * SECOND, Timeout: 5 * SECOND, StartPeriod: 60 * SECOND, Retries: 3 },
    Labels: {
      "run.cog.openapi_schema": openapiText,
      "run.cog.config": JSON.stringify(input.config),
      "org.opencontainers.image.created": created,
      "org.opencontainers.image.title": input.title ?? basename(input.projectDir),
      ...(input.baseName ? { "org.opencontainers.image.base.name": input.baseName } : {}),
      ...input.labels,
    },
  };
  return { layers, config };
}
