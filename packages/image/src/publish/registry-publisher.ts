import { TscogError } from "@tscog/sdk";
import type { ImageResult } from "../builder.js";
import { defaultCacheDir } from "../layer-cache.js";
import { parseReference, type ImageReference } from "../reference.js";
import { BlobLocations } from "../registry/blob-locations.js";
import { resolveCredentials, type Credentials } from "../registry/credentials.js";
import { RegistryClient } from "../registry/registry-client.js";
import type { RetryOptions } from "../registry/retry.js";
import type { Publisher, PublishResult } from "./publisher.js";

/** Per-blob progress of a push. */
export interface PushEvent {
  digest: string;
  size: number;
  action: "exists" | "mounted" | "uploaded";
  /** Layer name, or `config`. */
  name: string;
}

/** Options of `RegistryPublisher`. */
export interface RegistryPublisherOptions {
  /** Where to push, e.g. `ghcr.io/acme/model:v1`. */
  reference: string;
  /** Explicit credentials; by default they come from the environment or the Docker config. */
  credentials?: Credentials;
  insecureRegistries?: string[];
  /** Blobs larger than this go up in PATCH chunks of this size (default 32 MiB). */
  chunkSize?: number;
  /** Cache directory holding the record of which repository has which blob (for mounts). */
  cacheDir?: string;
  /** Blobs uploaded at once (default 3). */
  concurrency?: number;
  retry?: RetryOptions;
  onProgress?(event: PushEvent): void;
}

/**
 * Pushes an image with the OCI distribution API, no daemon: HEAD each blob and
 * skip those present, mount blobs known to live in another repository of the
 * same registry, upload the rest, then PUT the manifest under the tag.
 */
export class RegistryPublisher implements Publisher {
  readonly #ref: ImageReference;
  readonly #options: RegistryPublisherOptions;

  constructor(options: RegistryPublisherOptions) {
    this.#ref = parseReference(options.reference);
    if (this.#ref.digest) throw new TscogError("BAD_REQUEST", `cannot push to "${options.reference}": a push target names a tag, not a digest`);
    this.#options = options;
  }

  async publish(image: ImageResult): Promise<PublishResult> {
    const ref = this.#ref;
    const credentials = this.#options.credentials ?? (await resolveCredentials(ref.registry));
    const client = new RegistryClient({
      registry: ref.registry, repository: ref.repository, actions: "pull,push", credentials,
      insecureRegistries: this.#options.insecureRegistries, retry: this.#options.retry,
    });
    const locations = new BlobLocations(this.#options.cacheDir ?? defaultCacheDir());
    const blobs = [
      { digest: image.configDigest, size: image.configBytes.length, file: image.blobFile(image.configDigest), name: "config" },
      ...image.layers.map((l) => ({ digest: l.digest, size: l.size, file: l.file, name: l.name })),
    ];
    const seen = new Set<string>();
    const unique = blobs.filter((b) => !seen.has(b.digest) && seen.add(b.digest));
    const result = { uploaded: [] as { digest: string; size: number }[], skipped: [] as string[], mounted: [] as string[] };

    const pushOne = async (b: (typeof unique)[number]): Promise<void> => {
      let action: PushEvent["action"];
      if ((await client.headBlob(b.digest)) !== undefined) {
        action = "exists";
        result.skipped.push(b.digest);
      } else {
        const from = await locations.find(ref.registry, b.digest, ref.repository);
        if (from && (await client.mountBlob(b.digest, from).catch(() => false))) {
          action = "mounted";
          result.mounted.push(b.digest);
        } else {
          await client.uploadBlob({ digest: b.digest, size: b.size, file: b.file, chunkSize: this.#options.chunkSize });
          action = "uploaded";
          result.uploaded.push({ digest: b.digest, size: b.size });
        }
      }
      this.#options.onProgress?.({ digest: b.digest, size: b.size, action, name: b.name });
    };

    // A few blobs at a time; the manifest goes up only once every blob is there.
    const queue = [...unique];
    const workers = Array.from({ length: Math.min(this.#options.concurrency ?? 3, queue.length) }, async () => {
      for (let b = queue.shift(); b; b = queue.shift()) await pushOne(b);
    });
    await Promise.all(workers);
    const tag = ref.tag ?? "latest";
    const reported = await client.putManifest(tag, image.manifestBytes, image.manifest.mediaType);
    if (reported && reported !== image.digest) {
      throw new TscogError("REGISTRY", `${ref.registry} stored the manifest under ${reported}, expected ${image.digest}`);
    }
    await locations.record(ref.registry, ref.repository, unique.map((b) => b.digest));
    return {
      destination: `${ref.registry}/${ref.repository}:${tag}@${image.digest}`,
      digest: image.digest,
      ...result,
      bytesUploaded: client.bytesUploaded,
    };
  }
}
