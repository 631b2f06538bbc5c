import { Command } from "commander";
import { addImageBuildOptions } from "../image-build-options.js";
import { projectDirOption, runAction } from "../command-helpers.js";
import type { BuildFlags } from "./build-action.js";

export { defaultImageName, type ImageFlags } from "../image-build-options.js";

/** `tscog build`: builds the project's image daemonlessly and loads or writes it. */
export function registerBuild(program: Command): Command {
  const command = program
    .command("build")
    .description("Build a reproducible OCI image of the project (no Docker daemon needed to build)")
    .addOption(projectDirOption())
    .option("-t, --tag <name>", "image name (default: cog.yaml image:, else tscog-<project directory>:latest)")
    .option("--gpu", "build for GPU (overrides build.gpu)")
    .option("--no-gpu", "build for CPU (overrides build.gpu)")
    .option("--output <dest>", "oci:DIR, docker-archive:FILE or docker (default: the local Docker engine when running, else .tscog/image.tar)")
    .option("--insecure-registry <host>", "registry reachable over plain http when pulling the base image (repeatable)", (v: string, p: string[]) => [...p, v], [] as string[])
    .option("--skip-type-check", "build without running the TypeScript compiler over the project first (tscog check)")
    .option("--debug", "show stack traces");
  return addImageBuildOptions(command).action(runAction(async (flags: BuildFlags) => (await import("./build-action.js")).buildCommand(flags)));
}
