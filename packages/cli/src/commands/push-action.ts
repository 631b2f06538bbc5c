import { TscogError } from "@tscog/sdk";
import { formatBytes, formatPushEvent, parseReference, RegistryPublisher } from "@tscog/image";
import type { ImageFlags } from "../image-build-options.js";
import { imageNameFor } from "../image-build.js";
import { buildImageForProject } from "./build-action.js";

// The implementation of `tscog push`, loaded only when it runs.

/** Flags of `tscog push`. */
export interface PushFlags extends ImageFlags {
  chunkSize?: string;
}

/** `tscog push [REF]`: builds the image (cached layers) and pushes it; prints the digest. */
export async function pushCommand(flags: PushFlags, given?: string): Promise<void> {
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
}
