import { Command } from "commander";
import { collect, projectDirOption, runAction } from "../command-helpers.js";
import { addImageBuildOptions, defaultImageName } from "../image-build-options.js";
import type { RunFlags } from "./run-action.js";

/** The image `tscog run` builds and runs: `tscog-<project dir>-run:latest`. */
export function runImageName(projectDir: string): string {
  return defaultImageName(projectDir).replace(/:latest$/, "-run:latest");
}

/** `tscog run -- COMMAND [ARG...]`: a command in the project's image (or, with --local, its environment here). */
export function registerRun(program: Command): Command {
  const command = program
    .command("run")
    .description("Run a command in the project's image with the project directory mounted at /src (as `cog run`), or with --local on this machine")
    .argument("<command...>", "the command and its arguments (put -- before them when they have options of their own)")
    .addOption(projectDirOption())
    .option("-e, --env <NAME=value>", "environment variable for the command (repeatable; over cog.yaml environment)", collect, [])
    .option("-p, --publish <port>", "publish a port of the container on the same port here, or HOST:CONTAINER (repeatable)", collect, [])
    .option("--local", "run on this machine, in the project directory with cog.yaml's environment, instead of in the image")
    .option("--debug", "show stack traces")
    .passThroughOptions();
  return addImageBuildOptions(command).action(
    runAction(async (flags: RunFlags, argv: string[]) => (await import("./run-action.js")).runCommand(flags, argv)),
  );
}
