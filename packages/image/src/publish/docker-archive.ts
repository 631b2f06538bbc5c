import type { ImageResult } from "../builder.js";
import { canonicalJson, MediaType } from "../oci.js";
import { digestHex } from "../digest.js";
import type { TarEntry } from "../tar-writer.js";

/**
 * The entries of a `docker load` tarball: blobs under `blobs/sha256/`,
 * `manifest.json` and `repositories` for the Docker engine, and `oci-layout`
 * plus `index.json` so the same file is also an OCI layout archive.
 * Tags are familiar names such as `model:latest`.
 */
export function dockerArchiveEntries(image: ImageResult, tags: string[]): TarEntry[] {
  const blob = (digest: string) => `blobs/sha256/${digestHex(digest)}`;
  const file = (path: string, data: Uint8Array): TarEntry => ({ path, type: "file", mode: 0o644, uid: 0, gid: 0, data });
  const entries: TarEntry[] = [file(blob(image.configDigest), image.configBytes), file(blob(image.digest), image.manifestBytes)];
  for (const l of image.layers) entries.push({ path: blob(l.digest), type: "file", mode: 0o644, uid: 0, gid: 0, source: l.file, size: l.size });
  entries.push(file("manifest.json", canonicalJson([{ Config: blob(image.configDigest), RepoTags: tags, Layers: image.layers.map((l) => blob(l.digest)) }])));
  const repositories: Record<string, Record<string, string>> = {};
  for (const t of tags) {
    const colon = t.lastIndexOf(":");
    (repositories[t.slice(0, colon)] ??= {})[t.slice(colon + 1)] = digestHex(image.configDigest);
  }
  entries.push(file("repositories", canonicalJson(repositories)));
  entries.push(file("oci-layout", canonicalJson({ imageLayoutVersion: "1.0.0" })));
  entries.push(file("index.json", canonicalJson({
    schemaVersion: 2, mediaType: MediaType.ociIndex,
    manifests: [{ mediaType: MediaType.ociManifest, digest: image.digest, size: image.manifestBytes.length, ...(tags[0] ? { annotations: { "io.containerd.image.name": tags[0], "org.opencontainers.image.ref.name": tags[0].slice(tags[0].lastIndexOf(":") + 1) } } : {}) }],
  })));
  return entries;
}
