import { join } from "node:path";
import { TscogError } from "@tscog/sdk";
import { loadProject, type Project } from "@tscog/runtime";
import {
  buildProjectImage,
  DockerArchivePublisher,
  DockerEnginePublisher,
  familiarName,
  formatBytes,
  isDockerAvailable,
  OciLayoutPublisher,
  parseReference,
  type ImageResult,
  type Publisher,
} from "@tscog/image";
import type { ImageFlags } from "../image-build-options.js";
import { imageNameFor, withProjectImage } from "../image-build.js";
import { assertTypeChecks } from "../type-check/type-check.js";

// The implementation of `tscog build`, loaded only when a command builds an image.

/** Flags of `tscog build`. */
export interface BuildFlags extends ImageFlags {
  tag?: string;
  output?: string;
  skipTypeCheck?: boolean;
}

/**
 * Loads the project and builds its image (layers come from the cache when
 * unchanged, unless --no-cache). Shared by `tscog build`, `tscog push` and `tscog run`.
 */
export async function buildImageForProject(flags: ImageFlags): Promise<{ project: Project; image: ImageResult }> {
  return withProjectImage(flags, async (project, options) => ({ project, image: await buildProjectImage(options) }));
}

/** Where `--output` sends the image: `oci:DIR`, `docker-archive:FILE`, `docker`, or by default Docker when it runs, else a tarball. */
async function chooseOutput(output: string | undefined, tag: string, projectDir: string): Promise<{ publisher: Publisher; note?: string }> {
  if (output?.startsWith("oci:")) return { publisher: new OciLayoutPublisher({ dir: output.slice(4), tag: tag.slice(tag.lastIndexOf(":") + 1) }) };
  if (output?.startsWith("docker-archive:")) return { publisher: new DockerArchivePublisher({ file: output.slice("docker-archive:".length), tags: [tag] }) };
  if (output === "docker") return { publisher: new DockerEnginePublisher({ tags: [tag] }) };
  if (output !== undefined) {
    throw new TscogError("BAD_REQUEST", `--output "${output}" is not understood`, { hint: "use oci:DIR, docker-archive:FILE or docker" });
  }
  if (await isDockerAvailable()) return { publisher: new DockerEnginePublisher({ tags: [tag] }) };
  const file = join(projectDir, ".tscog", "image.tar");
  return { publisher: new DockerArchivePublisher({ file, tags: [tag] }), note: `no Docker engine is running; wrote a docker-archive instead (load it with: docker load -i ${file})` };
}

/** `tscog build`: type-checks, builds the image and hands it to the chosen output; prints the digest. */
export async function buildCommand(flags: BuildFlags): Promise<void> {
  if (!flags.skipTypeCheck) await assertTypeChecks(await loadProject(flags.project), "fix them, or build anyway with: tscog build --skip-type-check");
  const tag = familiarName(parseReference((await imageNameFor(flags.project, flags.tag, true))!));
  const { image } = await buildImageForProject(flags);
  const { publisher, note } = await chooseOutput(flags.output, tag, flags.project);
  const result = await publisher.publish(image);
  if (note) process.stderr.write(`${note}\n`);
  process.stderr.write(`${result.destination}  (${formatBytes(image.size)} compressed, ${formatBytes(image.uncompressedSize)} uncompressed)\n`);
  process.stdout.write(`${image.digest}\n`);
}
