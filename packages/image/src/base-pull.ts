import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import type { ReadableStream } from "node:stream/web";
import { TscogError } from "@tscog/sdk";
import type { BaseImage } from "./builder.js";
import type { LayerCache } from "./layer-cache.js";
import type { Layer } from "./layer.js";
import { MediaType, type ImageConfig, type ImageIndex, type ImageManifest, type Platform } from "./oci.js";
import { parseReference, referenceTarget, formatReference } from "./reference.js";
import { BlobLocations } from "./registry/blob-locations.js";
import { resolveCredentials } from "./registry/credentials.js";
import { RegistryClient } from "./registry/registry-client.js";

/** Options of `pullBaseImage`. */
export interface PullOptions {
  cache: LayerCache;
  platform: Platform;
  insecureRegistries?: string[];
  /** Called per layer: whether it was already cached. */
  onLayer?(layer: Layer): void;
}

const ACCEPT = [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest];

/**
 * Pulls a base image with the OCI distribution API: resolves an index to the
 * manifest for `platform`, then fetches config and layers into the layer
 * cache (verifying digests; cached blobs are not fetched again).
 */
export async function pullBaseImage(refText: string, options: PullOptions): Promise<BaseImage> {
  const ref = parseReference(refText);
  const client = new RegistryClient({
    registry: ref.registry, repository: ref.repository, actions: "pull",
    credentials: await resolveCredentials(ref.registry), insecureRegistries: options.insecureRegistries,
  });
  const name = formatReference(ref);
  let doc;
  try {
    doc = await client.getManifest(referenceTarget(ref), ACCEPT);
  } catch (err) {
    if (err instanceof TscogError && /HTTP 404/.test(err.message)) {
      throw new TscogError("BUILD_FAILED", `base image ${name} does not exist (the registry has no such repository or tag)`, { cause: err, field: "build.base_image" });
    }
    if (err instanceof TscogError) {
      throw new TscogError(err.code, `cannot pull base image ${name} (build.base_image): ${err.message}`, { cause: err, field: "build.base_image", hint: err.hint });
    }
    throw err;
  }
  let manifest = JSON.parse(doc.bytes.toString("utf8")) as ImageManifest | ImageIndex;
  if ("manifests" in manifest) {
    const want = options.platform;
    const match = manifest.manifests.find((m) => m.platform?.os === want.os && m.platform?.architecture === want.architecture && (!want.variant || m.platform?.variant === want.variant));
    if (!match) {
      const have = manifest.manifests.map((m) => m.platform && `${m.platform.os}/${m.platform.architecture}`).filter(Boolean).join(", ");
      throw new TscogError("BUILD_FAILED", `base image ${name} has no ${want.os}/${want.architecture} variant (it has: ${have})`, { field: "build.base_image" });
    }
    manifest = JSON.parse((await client.getManifest(match.digest, ACCEPT)).bytes.toString("utf8")) as ImageManifest;
  }
  const m = manifest as ImageManifest;
  const fetchBlob = async (digest: string, size: number): Promise<boolean> => {
    if ((await options.cache.blobSize(digest)) === size) return true;
    const res = await client.getBlob(digest);
    await options.cache.writeBlob(Readable.fromWeb(res.body! as ReadableStream), digest);
    return false;
  };
  await fetchBlob(m.config.digest, m.config.size);
  const configJson = JSON.parse(await readFile(options.cache.blobPath(m.config.digest), "utf8")) as ImageConfig;
  const diffIds = configJson.rootfs?.diff_ids ?? [];
  if (diffIds.length !== m.layers.length) throw new TscogError("BUILD_FAILED", `base image ${name}: config lists ${diffIds.length} layers, manifest ${m.layers.length}`);
  const layers: Layer[] = [];
  for (const [i, d] of m.layers.entries()) {
    if (!/tar\+gzip|tar\.gzip|rootfs\.diff\.tar\.gzip/.test(d.mediaType)) {
      throw new TscogError("BUILD_FAILED", `base image ${name}: layer ${d.digest} has media type ${d.mediaType}; only gzip layers are supported`);
    }
    const cached = await fetchBlob(d.digest, d.size);
    const layer: Layer = {
      name: `base ${i + 1}/${m.layers.length}`, mediaType: MediaType.ociLayerGzip, digest: d.digest, size: d.size,
      diffId: diffIds[i], file: options.cache.blobPath(d.digest), cached,
    };
    options.onLayer?.(layer);
    layers.push(layer);
  }
  await new BlobLocations(options.cache.dir).record(ref.registry, ref.repository, m.layers.map((l) => l.digest));
  return { source: name, layers, config: configJson };
}
