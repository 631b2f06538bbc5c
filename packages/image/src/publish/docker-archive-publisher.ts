import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { TscogError } from "@tscog/sdk";
import type { ImageResult } from "../builder.js";
import { normalizeEntries, tarStream } from "../tar-writer.js";
import { dockerArchiveEntries } from "./docker-archive.js";
import type { Publisher, PublishResult } from "./publisher.js";

/** Writes a `docker load` tarball (also an OCI layout archive). The file appears complete or not at all. */
export class DockerArchivePublisher implements Publisher {
  readonly #file: string;
  readonly #tags: string[];

  constructor(options: { file: string; tags?: string[] }) {
    this.#file = resolve(options.file);
    this.#tags = options.tags ?? [];
  }

  async publish(image: ImageResult): Promise<PublishResult> {
    const tmp = `${this.#file}.tmp-${randomBytes(6).toString("hex")}`;
    try {
      await mkdir(dirname(this.#file), { recursive: true });
      const entries = normalizeEntries(dockerArchiveEntries(image, this.#tags));
      await pipeline(Readable.from(tarStream(entries, { mtime: 0 })), createWriteStream(tmp));
      await rename(tmp, this.#file);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      const code = (err as NodeJS.ErrnoException).code;
      throw new TscogError("BUILD_FAILED", `cannot write ${this.#file}: ${code === "ENOSPC" ? "the disk is full" : (err as Error).message}`, { cause: err, file: this.#file });
    }
    return { destination: `docker-archive:${this.#file}`, digest: image.digest };
  }
}
