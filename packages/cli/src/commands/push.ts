import { Command } from "commander";
import { TscogError } from "@tscog/sdk";
import { formatBytes, formatPushEvent, parseReference, RegistryPublisher } from "@tscog/image";
import { projectDirOption, runAction } from "../command-helpers.js";
import { addImageBuildOptions, imageNameFor, type ImageFlags } from "../image-build.js";
import { buildImageForProject } from "./build.js";

interface PushFlags extends ImageFlags {
  chunkSize?: string;
}

/** `tscog push [REF]`: builds if needed (cached layers), then pushes with the OCI distribution API. */
export function registerPush(program: Command): Command {
  const command = program
    .command("push")
    .description("Build the image if needed and push it to a registry (no Docker daemon); prints the digest")
    .argument("[ref]", "where to push, e.g. ghcr.io/acme/model:v1 or localhost:5000/model (default: cog.yaml image:)")
    .addOption(projectDirOption())
    .option("--gpu", "build for GPU (overrides build.gpu)")
    .option("--no-gpu", "build for CPU (overrides build.gpu)")
    .option("--insecure-registry <host>", "also allow plain http for this registry (localhost always is; repeatable)", (v: string, p: string[]) => [...p, v], [] as string[])
    .option("--chunk-size <bytes>", "upload blobs larger than this in chunks (default 33554432)")
    .option("--debug", "show stack traces");
  return addImageBuildOptions(command).action(
    runAction(async (flags: PushFlags, given?: string) => {
      const ref = await imageNameFor(flags.project, given, false);
      if (!ref) {
        throw new TscogError("BAD_REQUEST", "tscog push needs to know where to push: give a REF (e.g. tscog push registry.example.com/me/model:v1) or set image: in cog.yaml.");
      }
      parseReference(ref); // a malformed reference fails before anything is built
      const { image } = await buildImageForProject(flags);
      const publisher = new RegistryPublisher({
        reference: ref,
        insecureRegistries: flags.insecureRegistry,
        chunkSize: flags.chunkSize ? Number(flags.chunkSize) : undefined,
        onProgress: flags.progress === "quiet" ? undefined : (e) => process.stderr.write(`${formatPushEvent(e)}\n`),
      });
      const result = await publisher.publish(image);
      process.stderr.write(`pushed ${result.destination}: ${result.uploaded?.length ?? 0} blobs uploaded (${formatBytes(result.bytesUploaded ?? 0)}), ${result.skipped?.length ?? 0} already there, ${result.mounted?.length ?? 0} mounted\n`);
      process.stdout.write(`${result.digest}\n`);
    }),
  );
}
