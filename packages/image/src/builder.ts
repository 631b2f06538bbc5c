import type { LayerCache } from "./layer-cache.js";
import { buildLayer, type Layer, type LayerSpec } from "./layer.js";
import { canonicalJson, MediaType, type ContainerConfig, type HistoryEntry, type ImageConfig, type ImageManifest, type Platform } from "./oci.js";
import { sha256Digest } from "./digest.js";

/** A base image: layers already in the cache and the config they came with. */
export interface BaseImage {
  /** Where it came from, e.g. `docker.io/library/node:20-bookworm-slim` or `tscog:offline-base`. */
  source: string;
  layers: Layer[];
  config: ImageConfig;
}

/** What to build: a base, the layers on top of it (in order) and the container config. */
export interface BuildPlan {
  platform: Platform;
  /** Creation time written to the config and history (use `SOURCE_DATE_EPOCH`). */
  created: Date;
  base?: BaseImage;
  layers: LayerSpec[];
  /** Merged over the base's config; `Env` and `Labels` merge by name. */
  config: ContainerConfig;
  /** Manifest annotations. */
  annotations?: Record<string, string>;
}

/** A built image: its documents, layers (blobs in the cache) and digest. */
export interface ImageResult {
  /** Digest of the manifest: the image's identity in a registry. */
  digest: string;
  manifest: ImageManifest;
  manifestBytes: Buffer;
  config: ImageConfig;
  configBytes: Buffer;
  configDigest: string;
  /** Every layer, base first. */
  layers: Layer[];
  /** Sum of compressed layer and config sizes. */
  size: number;
  /** Sum of uncompressed layer sizes, counting pulled base layers as their compressed size. */
  uncompressedSize: number;
  /** The file holding a blob (config or layer) of this image. */
  blobFile(digest: string): string;
}

/** Progress of a build, one event per layer then one at the end. */
export type BuildEvent =
  | { kind: "layer"; layer: Layer; index: number; count: number; seconds: number; base: boolean }
  | { kind: "done"; image: ImageResult; seconds: number };

/** Options of `Builder.build`. */
export interface BuildOptions {
  onProgress?(event: BuildEvent): void;
}

/** Turns a plan into an image. Never talks to a registry (publishers do). */
export interface Builder {
  build(plan: BuildPlan, options?: BuildOptions): Promise<ImageResult>;
}

function mergeEnv(base: string[] = [], ours: string[] = []): string[] {
  const env = new Map<string, string>();
  for (const kv of [...base, ...ours]) env.set(kv.split("=", 1)[0], kv);
  return [...env.values()];
}

/** Merges our container config over the base image's. */
export function mergeContainerConfig(base: ContainerConfig, ours: ContainerConfig): ContainerConfig {
  const merged: ContainerConfig = { ...base, ...ours };
  merged.Env = mergeEnv(base.Env, ours.Env);
  if (base.Labels || ours.Labels) merged.Labels = { ...base.Labels, ...ours.Labels };
  if (base.ExposedPorts || ours.ExposedPorts) merged.ExposedPorts = { ...base.ExposedPorts, ...ours.ExposedPorts };
  // An explicit Entrypoint replaces the base's Cmd too, as in a Dockerfile.
  if (ours.Entrypoint && !ours.Cmd) delete merged.Cmd;
  return merged;
}

/**
 * The layer builder: builds each planned layer reproducibly (through the
 * layer cache), then writes the config and manifest. Same plan and files in,
 * same digest out.
 * @example
 * const image = await new LayerBuilder({ cache: new LayerCache() }).build(plan);
 * console.log(image.digest);
 */
export class LayerBuilder implements Builder {
  readonly #cache: LayerCache;
  readonly #level: number;

  constructor(options: { cache: LayerCache; gzipLevel?: number }) {
    this.#cache = options.cache;
    this.#level = options.gzipLevel ?? 6;
  }

  async build(plan: BuildPlan, options: BuildOptions = {}): Promise<ImageResult> {
    const started = performance.now();
    const mtime = Math.floor(plan.created.getTime() / 1000);
    const created = plan.created.toISOString().replace(".000Z", "Z");
    const baseLayers = plan.base?.layers ?? [];
    const count = baseLayers.length + plan.layers.length;
    baseLayers.forEach((layer, index) => options.onProgress?.({ kind: "layer", layer, index, count, seconds: 0, base: true }));
    const layers: Layer[] = [...baseLayers];
    for (const spec of plan.layers) {
      const t = performance.now();
      const layer = await buildLayer(spec, { cache: this.#cache, mtime, level: this.#level });
      layers.push(layer);
      options.onProgress?.({ kind: "layer", layer, index: layers.length - 1, count, seconds: (performance.now() - t) / 1000, base: false });
    }
    const baseConfig = plan.base?.config;
    const history: HistoryEntry[] = [
      ...(baseConfig?.history ?? baseLayers.map(() => ({ created, created_by: `base: ${plan.base!.source}` }))),
      ...plan.layers.map((l) => ({ created, created_by: `tscog build: ${l.name}` })),
    ];
    const config: ImageConfig = {
      created,
      architecture: plan.platform.architecture,
      os: plan.platform.os,
      ...(plan.platform.variant ? { variant: plan.platform.variant } : {}),
      config: mergeContainerConfig(baseConfig?.config ?? {}, plan.config),
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
      history,
    };
    const configBytes = canonicalJson(config);
    const configBlob = await this.#cache.putBlob(configBytes);
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: configBlob.digest, size: configBlob.size },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      ...(plan.annotations && Object.keys(plan.annotations).length > 0 ? { annotations: plan.annotations } : {}),
    };
    const manifestBytes = canonicalJson(manifest);
    await this.#cache.putBlob(manifestBytes);
    const cache = this.#cache;
    const image: ImageResult = {
      digest: sha256Digest(manifestBytes),
      manifest,
      manifestBytes,
      config,
      configBytes,
      configDigest: configBlob.digest,
      layers,
      size: configBlob.size + layers.reduce((n, l) => n + l.size, 0),
      uncompressedSize: configBlob.size + layers.reduce((n, l) => n + (l.diffSize ?? l.size), 0),
      blobFile: (digest) => cache.blobPath(digest),
    };
    options.onProgress?.({ kind: "done", image, seconds: (performance.now() - started) / 1000 });
    return image;
  }
}
