import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { Readable, type Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DigestCounter, digestHex, sha256Digest } from "./digest.js";

/** What the cache remembers about a built layer. */
export interface CachedLayer {
  diffId: string;
  digest: string;
  size: number;
  /** Size of the uncompressed tarball. */
  diffSize?: number;
}

/** A blob stored in the cache. */
export interface StoredBlob {
  digest: string;
  size: number;
  file: string;
}

/** The default cache directory: `$TSCOG_CACHE_DIR`, else `$XDG_CACHE_HOME/tscog`, else `~/.cache/tscog`. */
export function defaultCacheDir(): string {
  if (process.env.TSCOG_CACHE_DIR) return process.env.TSCOG_CACHE_DIR;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "tscog");
}

/**
 * A content-addressed store of compressed layer blobs (`blobs/sha256/<hex>`)
 * plus an index from build keys (a layer's diffID, or a cheap key over file
 * stats) to the blob, so unchanged layers are neither re-tarred nor recompressed.
 * Writes go to a temp file and are renamed into place: never half a blob.
 */
export class LayerCache {
  readonly #reuse: boolean;

  /**
   * `reuse: false` (`tscog build --no-cache`) makes every lookup miss, so each
   * layer is tarred and compressed again; what is built is still stored.
   */
  constructor(readonly dir: string = defaultCacheDir(), options: { reuse?: boolean } = {}) {
    this.#reuse = options.reuse ?? true;
  }

  /** Where the blob with this digest lives (whether or not it exists). */
  blobPath(digest: string): string {
    return join(this.dir, "blobs", "sha256", digestHex(digest));
  }

  /** Size of the stored blob, or undefined when it is missing. */
  async blobSize(digest: string): Promise<number | undefined> {
    try {
      return (await stat(this.blobPath(digest))).size;
    } catch {
      return undefined;
    }
  }

  /** Looks a build key up; returns the layer only when its blob is still present. */
  async lookup(key: string): Promise<CachedLayer | undefined> {
    if (!this.#reuse) return undefined;
    try {
      const entry = JSON.parse(await readFile(this.#indexPath(key), "utf8")) as CachedLayer;
      return (await this.blobSize(entry.digest)) === entry.size ? entry : undefined;
    } catch {
      return undefined;
    }
  }

  /** Records that a build key produced this layer. */
  async remember(key: string, layer: CachedLayer): Promise<void> {
    const file = this.#indexPath(key);
    await mkdir(join(this.dir, "index"), { recursive: true });
    const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    await writeFile(tmp, JSON.stringify(layer));
    await rename(tmp, file);
  }

  /**
   * Streams bytes (optionally through a transform such as gzip) into the
   * store; verifies them against `expectedDigest` when given.
   */
  async writeBlob(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Readable, expectedDigest?: string, via?: Transform): Promise<StoredBlob> {
    const dir = join(this.dir, "blobs", "sha256");
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.tmp-${randomBytes(8).toString("hex")}`);
    const counter = new DigestCounter();
    try {
      const input = source instanceof Readable ? source : Readable.from(source);
      if (via) await pipeline(input, via, counter, createWriteStream(tmp));
      else await pipeline(input, counter, createWriteStream(tmp));
      const digest = counter.digest();
      if (expectedDigest && digest !== expectedDigest) throw new Error(`blob digest mismatch: expected ${expectedDigest}, got ${digest}`);
      const file = this.blobPath(digest);
      await rename(tmp, file);
      return { digest, size: counter.size, file };
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
  }

  /** Stores a small blob held in memory (a config or manifest). */
  async putBlob(bytes: Uint8Array): Promise<StoredBlob> {
    const digest = sha256Digest(bytes);
    const file = this.blobPath(digest);
    if ((await this.blobSize(digest)) !== bytes.length) await this.writeBlob([bytes], digest);
    return { digest, size: bytes.length, file };
  }

  #indexPath(key: string): string {
    return join(this.dir, "index", digestHex(sha256Digest(key)) + ".json");
  }
}
