import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Remembers which repository of a registry holds a blob, so a push to another
 * repository on the same registry can mount it instead of uploading it.
 * Stored as one small JSON file per registry under the cache directory.
 */
export class BlobLocations {
  constructor(readonly dir: string) {}

  #file(registry: string): string {
    return join(this.dir, "registry-blobs", `${registry.replace(/[^\w.-]/g, "_")}.json`);
  }

  async #read(registry: string): Promise<Record<string, string>> {
    try {
      return JSON.parse(await readFile(this.#file(registry), "utf8")) as Record<string, string>;
    } catch {
      return {};
    }
  }

  /** A repository on `registry` known to hold `digest`, other than `except`. */
  async find(registry: string, digest: string, except: string): Promise<string | undefined> {
    const repo = (await this.#read(registry))[digest];
    return repo && repo !== except ? repo : undefined;
  }

  /** Records that these blobs are in `repository` on `registry`. */
  async record(registry: string, repository: string, digests: string[]): Promise<void> {
    const known = await this.#read(registry);
    for (const d of digests) known[d] = repository;
    const file = this.#file(registry);
    await mkdir(join(this.dir, "registry-blobs"), { recursive: true });
    const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    await writeFile(tmp, JSON.stringify(known));
    await rename(tmp, file);
  }
}
