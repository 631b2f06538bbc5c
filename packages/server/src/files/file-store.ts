/**
 * Files uploaded through `POST /v1/files`, kept on local disk: `<dir>/<id>`
 * holds the bytes, `<dir>/<id>.json` the record and `<dir>/origins.json` the
 * origins file URLs were handed out under (the predictor's thread reads both
 * to resolve the server's own file URLs, and to say when one was deleted). Limits: bytes per file,
 * bytes in all, number of files; records expire after the retention time.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { TscogError } from "@tscog/sdk";
import { newPredictionId } from "../predictions/prediction-id.js";

/** Settings of a `FileStore`. */
export interface FileStoreOptions {
  /** Where files live. Default a new directory under the OS temp dir, removed on `close()`. */
  dir?: string;
  /** Largest file, bytes. Default 100 MiB. */
  maxFileBytes?: number;
  /** Bytes of all files together. Default 1 GiB. */
  maxTotalBytes?: number;
  /** Most files kept. Default 10,000. */
  maxFiles?: number;
  /** Time a file is kept after its upload, ms. Default 24 h (Replicate's). */
  retentionMs?: number;
}

/** Defaults of `FileStoreOptions`. */
export const FILE_STORE_DEFAULTS = {
  maxFileBytes: 100 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxFiles: 10_000,
  retentionMs: 24 * 60 * 60 * 1000,
} as const;

/** One stored file's record (also written next to it as `<id>.json`). */
export interface StoredFile {
  id: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  md5: string;
  metadata: unknown;
  createdAt: string;
  expiresAt: string;
  /** The origin (`scheme://host`) whose URLs were handed out for this file: they resolve to it without a download. */
  origin: string;
}

/** The store's list of origins its URLs were given under, and the most it records. */
const ORIGINS_FILE = "origins.json";
const MAX_ORIGINS = 64;

/** File ids: what `FileStore` generates (26 base32 characters). */
export const FILE_ID_PATTERN = /^[a-z2-7]{26}$/;

/** The local disk store behind the files API. */
export class FileStore {
  readonly dir: string;
  readonly maxFileBytes: number;
  readonly maxTotalBytes: number;
  readonly maxFiles: number;
  readonly retentionMs: number;
  readonly #ownsDir: boolean;
  readonly #files = new Map<string, StoredFile>();
  readonly #origins = new Set<string>();
  #usedBytes = 0;
  #reservedBytes = 0;
  #timer?: NodeJS.Timeout;

  constructor(options: FileStoreOptions = {}) {
    this.#ownsDir = options.dir === undefined;
    this.dir = options.dir ?? join(tmpdir(), `tscog-files-${process.pid}-${randomBytes(6).toString("hex")}`);
    this.maxFileBytes = options.maxFileBytes ?? FILE_STORE_DEFAULTS.maxFileBytes;
    this.maxTotalBytes = options.maxTotalBytes ?? FILE_STORE_DEFAULTS.maxTotalBytes;
    this.maxFiles = options.maxFiles ?? FILE_STORE_DEFAULTS.maxFiles;
    this.retentionMs = options.retentionMs ?? FILE_STORE_DEFAULTS.retentionMs;
    // A configured directory is read now; a temp one is made on the first upload (most servers never get one).
    if (options.dir !== undefined && existsSync(this.dir)) this.#loadExisting();
    this.#timer = setInterval(() => void this.sweep(), Math.min(60_000, Math.max(1_000, this.retentionMs))).unref();
  }

  /** Bytes held by stored files. */
  get usedBytes(): number {
    return this.#usedBytes;
  }

  /** Where a new upload is written before it is complete (the directory exists from now on). */
  tempPath(): string {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    return join(this.dir, `.upload-${randomBytes(8).toString("hex")}`);
  }

  /** Throws PAYLOAD_TOO_LARGE when no further file may be added. */
  checkCapacity(): void {
    if (this.#files.size >= this.maxFiles) {
      throw new TscogError("PAYLOAD_TOO_LARGE", `The server already holds its limit of ${this.maxFiles} files; delete some (DELETE /v1/files/{id}) or wait for them to expire.`);
    }
  }

  /** Counts `bytes` more of an upload in progress against the total limit; PAYLOAD_TOO_LARGE when over it. */
  reserve(bytes: number): void {
    if (this.#usedBytes + this.#reservedBytes + bytes > this.maxTotalBytes) {
      throw new TscogError("PAYLOAD_TOO_LARGE", `Stored files would exceed the server's total limit of ${this.maxTotalBytes} bytes; delete some (DELETE /v1/files/{id}) or wait for them to expire.`);
    }
    this.#reservedBytes += bytes;
  }

  /** Gives back bytes reserved for an upload (it finished or failed). */
  release(bytes: number): void {
    this.#reservedBytes = Math.max(0, this.#reservedBytes - bytes);
  }

  /** Moves a complete upload at `tempPath` into the store. */
  async add(tempPath: string, info: Omit<StoredFile, "id" | "createdAt" | "expiresAt">): Promise<StoredFile> {
    const id = newPredictionId();
    const now = Date.now();
    const file: StoredFile = { id, ...info, createdAt: new Date(now).toISOString(), expiresAt: new Date(now + this.retentionMs).toISOString() };
    await rename(tempPath, this.contentPath(id));
    await writeFile(join(this.dir, `${id}.json`), JSON.stringify(file));
    this.#files.set(id, file);
    this.#usedBytes += file.size;
    if (!this.#origins.has(file.origin) && this.#origins.size < MAX_ORIGINS) {
      this.#origins.add(file.origin);
      await writeFile(join(this.dir, ORIGINS_FILE), JSON.stringify([...this.#origins]));
    }
    return file;
  }

  /** The file's record, or undefined when there is none (or it expired). */
  get(id: string): StoredFile | undefined {
    const file = this.#files.get(id);
    return file && Date.parse(file.expiresAt) > Date.now() ? file : undefined;
  }

  /** Where the file's bytes are. */
  contentPath(id: string): string {
    return join(this.dir, id);
  }

  /** Every live file, newest first. */
  list(): StoredFile[] {
    const now = Date.now();
    return [...this.#files.values()].filter((f) => Date.parse(f.expiresAt) > now).reverse().sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** Deletes a file; false when there was none. */
  async delete(id: string): Promise<boolean> {
    const file = this.#files.get(id);
    if (!file) return false;
    this.#files.delete(id);
    this.#usedBytes -= file.size;
    await Promise.all([rm(this.contentPath(id), { force: true }), rm(join(this.dir, `${id}.json`), { force: true })]);
    return true;
  }

  /** Deletes expired files. */
  async sweep(): Promise<void> {
    const now = Date.now();
    for (const file of [...this.#files.values()]) if (Date.parse(file.expiresAt) <= now) await this.delete(file.id);
  }

  /** Stops the expiry timer; removes the directory when the store made it. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    if (this.#ownsDir) await rm(this.dir, { recursive: true, force: true });
  }

  /** Picks up the records of a configured directory (files survive a restart); drops partial uploads. */
  #loadExisting(): void {
    const now = Date.now();
    try {
      for (const origin of JSON.parse(readFileSync(join(this.dir, ORIGINS_FILE), "utf8")) as string[]) this.#origins.add(origin);
    } catch {
      // none yet
    }
    for (const name of readdirSync(this.dir)) {
      if (name.startsWith(".upload-")) rmSync(join(this.dir, name), { force: true });
      if (!name.endsWith(".json") || !FILE_ID_PATTERN.test(name.slice(0, -5))) continue;
      try {
        const file = JSON.parse(readFileSync(join(this.dir, name), "utf8")) as StoredFile;
        if (Date.parse(file.expiresAt) <= now) throw new Error("expired");
        this.#files.set(file.id, file);
        this.#usedBytes += file.size;
      } catch {
        rmSync(join(this.dir, name), { force: true });
        rmSync(join(this.dir, name.slice(0, -5)), { force: true });
      }
    }
  }
}
