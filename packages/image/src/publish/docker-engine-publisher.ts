import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { execa } from "execa";
import { TscogError } from "@tscog/sdk";
import type { ImageResult } from "../builder.js";
import { normalizeEntries, tarStream } from "../tar-writer.js";
import { dockerArchiveEntries } from "./docker-archive.js";
import type { Publisher, PublishResult } from "./publisher.js";

/** True when a Docker engine answers `docker info`. */
export async function isDockerAvailable(docker = "docker"): Promise<boolean> {
  try {
    await execa(docker, ["info", "--format", "{{.ServerVersion}}"], { timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Loads an image into the local Docker engine by streaming a `docker load`
 * archive into `docker load` (no temp file). The digest it returns is the
 * engine's image ID (the config digest).
 */
export class DockerEnginePublisher implements Publisher {
  readonly #tags: string[];
  readonly #docker: string;

  constructor(options: { tags: string[]; docker?: string }) {
    this.#tags = options.tags;
    this.#docker = options.docker ?? "docker";
  }

  async publish(image: ImageResult): Promise<PublishResult> {
    const archive = Readable.from(tarStream(normalizeEntries(dockerArchiveEntries(image, this.#tags)), { mtime: 0 }));
    try {
      const child = execa(this.#docker, ["load"], { timeout: 600_000 });
      // If docker exits early the pipe breaks; its own error (awaited below) says why.
      const piped = pipeline(archive, child.stdin!).catch(() => {});
      await child;
      await piped;
    } catch (err) {
      const e = err as { stderr?: string; code?: string; message: string };
      const why = e.code === "ENOENT" ? `${this.#docker} is not installed` : (e.stderr || e.message).trim().split("\n").pop();
      throw new TscogError("REGISTRY", `docker load failed: ${why}`, { cause: err, hint: "is the Docker engine running? `docker info` should answer" });
    }
    return { destination: `docker:${this.#tags.join(",") || image.configDigest}`, digest: image.configDigest };
  }
}
