import { Command } from "commander";
import { projectDirOption, runAction } from "../command-helpers.js";
import { addImageBuildOptions } from "../image-build-options.js";
import type { PushFlags } from "./push-action.js";

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
    runAction(async (flags: PushFlags, given?: string) => (await import("./push-action.js")).pushCommand(flags, given)),
  );
}
