import { randomBytes } from "node:crypto";
import { copyFile, link, mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { TscogError } from "@tscog/sdk";
import type { ImageResult } from "../builder.js";
import { digestHex } from "../digest.js";
import { canonicalJson, MediaType } from "../oci.js";
import type { Publisher, PublishResult } from "./publisher.js";

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/**
 * Writes an OCI image layout directory (`oci-layout`, `index.json`,
 * `blobs/sha256/…`). It is assembled beside the target and renamed into place,
 * replacing an earlier layout there; any other non-empty directory is refused.
 */
export class OciLayoutPublisher implements Publisher {
  readonly #dir: string;
  readonly #tag?: string;

  constructor(options: { dir: string; tag?: string }) {
    this.#dir = resolve(options.dir);
    this.#tag = options.tag;
  }

  async publish(image: ImageResult): Promise<PublishResult> {
    const dir = this.#dir;
    if ((await exists(dir)) && !(await exists(join(dir, "oci-layout")))) {
      if ((await readdir(dir)).length > 0) throw new TscogError("BUILD_FAILED", `${dir} exists and is not an OCI layout; refusing to replace it`, { file: dir });
    }
    const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${randomBytes(6).toString("hex")}`);
    try {
      const blobs = join(tmp, "blobs", "sha256");
      await mkdir(blobs, { recursive: true });
      for (const digest of [image.configDigest, image.digest, ...image.layers.map((l) => l.digest)]) {
        const to = join(blobs, digestHex(digest));
        // Hard-link from the cache when on the same filesystem; blobs are immutable.
        await link(image.blobFile(digest), to).catch(() => copyFile(image.blobFile(digest), to));
      }
      await writeFile(join(tmp, "oci-layout"), canonicalJson({ imageLayoutVersion: "1.0.0" }));
      await writeFile(join(tmp, "index.json"), canonicalJson({
        schemaVersion: 2, mediaType: MediaType.ociIndex,
        manifests: [{ mediaType: MediaType.ociManifest, digest: image.digest, size: image.manifestBytes.length, ...(this.#tag ? { annotations: { "org.opencontainers.image.ref.name": this.#tag } } : {}) }],
      }));
      const old = `${tmp}.old`;
      const hadOld = await exists(dir);
      if (hadOld) await rename(dir, old);
      await rename(tmp, dir);
      if (hadOld) await rm(old, { recursive: true, force: true });
    } catch (err) {
      await rm(tmp, { recursive: true, force: true }).catch(() => {});
      if (err instanceof TscogError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new TscogError("BUILD_FAILED", `cannot write OCI layout ${dir}: ${code === "ENOSPC" ? "the disk is full" : (err as Error).message}`, { cause: err, file: dir });
    }
    return { destination: `oci:${dir}`, digest: image.digest };
  }
}
