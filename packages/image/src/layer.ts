import { stat } from "node:fs/promises";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DigestCounter, sha256Digest } from "./digest.js";
import { deterministicGzip } from "./gzip.js";
import type { CachedLayer, LayerCache } from "./layer-cache.js";
import { MediaType } from "./oci.js";
import { normalizeEntries, tarStream, type TarEntry } from "./tar-writer.js";

/** A layer to build: a name for progress output and the files it holds. */
export interface LayerSpec {
  /** Short name for progress and history, e.g. `base`, `dependencies`, `weights`, `code`. */
  name: string;
  entries: TarEntry[];
}

/** A built (or pulled) layer whose compressed blob sits in the layer cache. */
export interface Layer {
  name: string;
  mediaType: string;
  /** Digest of the compressed blob. */
  digest: string;
  /** Size of the compressed blob. */
  size: number;
  /** Digest of the uncompressed tarball (the config's `rootfs.diff_ids`). */
  diffId: string;
  /** Size of the uncompressed tarball, when known (not for pulled layers). */
  diffSize?: number;
  /** The blob on disk. */
  file: string;
  /** True when the blob came from the cache rather than being compressed now. */
  cached: boolean;
}

/** Options of `buildLayer`. */
export interface BuildLayerOptions {
  cache: LayerCache;
  /** mtime of every entry, seconds since the epoch. */
  mtime: number;
  /** gzip level (part of the cache key). */
  level?: number;
}

/** A cheap key over entry metadata and source-file stats: a hit skips reading any file. */
async function statKey(entries: TarEntry[], mtime: number, level: number): Promise<string> {
  const parts: unknown[] = [1, mtime, level];
  for (const e of entries) {
    const src = e.source ? await stat(e.source) : undefined;
    parts.push([e.path, e.type, e.mode, e.uid, e.gid, e.linkname ?? "", e.size ?? 0, e.data ? sha256Digest(e.data) : "",
      src ? [e.source, src.dev, src.ino, src.size, src.mtimeMs, src.ctimeMs] : ""]);
  }
  return `stat:${sha256Digest(JSON.stringify(parts))}`;
}

/**
 * Builds one layer reproducibly: normalized (sorted) entries, fixed mtime,
 * deterministic gzip. Looks in the cache first by file stats, then by the
 * uncompressed digest, and compresses only on a miss.
 */
export async function buildLayer(spec: LayerSpec, options: BuildLayerOptions): Promise<Layer> {
  const { cache, mtime } = options;
  const level = options.level ?? 6;
  const entries = normalizeEntries(spec.entries);
  const done = (hit: CachedLayer, cached: boolean): Layer => ({
    name: spec.name, mediaType: MediaType.ociLayerGzip, digest: hit.digest, size: hit.size, diffId: hit.diffId, diffSize: hit.diffSize,
    file: cache.blobPath(hit.digest), cached,
  });
  const quickKey = await statKey(entries, mtime, level);
  const quick = await cache.lookup(quickKey);
  if (quick) return done(quick, true);

  const raw = new DigestCounter();
  await pipeline(Readable.from(tarStream(entries, { mtime })), raw, new Writable({ write: (_c, _e, cb) => cb() }));
  const diffId = raw.digest();
  const contentKey = `diff:${diffId}:gzip-${level}`;
  const known = await cache.lookup(contentKey);
  if (known) {
    await cache.remember(quickKey, known);
    return done(known, true);
  }
  const blob = await cache.writeBlob(tarStream(entries, { mtime }), undefined, deterministicGzip({ level }));
  const built: CachedLayer = { diffId, digest: blob.digest, size: blob.size, diffSize: raw.size };
  await cache.remember(contentKey, built);
  await cache.remember(quickKey, built);
  return done(built, false);
}
