import { basename } from "node:path";
import { Option, type Command } from "commander";
import { collect } from "./command-helpers.js";

// The image flags and their cheap defaults, apart from image-build.ts, so that
// registering `build`, `push`, `run` and `debug` does not load @tscog/image.

/** Flags shared by `tscog build`, `tscog push` and `tscog debug`. */
export interface ImageFlags {
  project: string;
  gpu?: boolean;
  progress?: "plain" | "tty" | "quiet";
  insecureRegistry?: string[];
  debug?: boolean;
  /** false with `--no-cache`. */
  cache?: boolean;
  /** `--secret id=NAME,src=PATH`, repeatable. */
  secret?: string[];
  /** `--openapi-schema PATH`: also write the OpenAPI document there. */
  openapiSchema?: string;
}

/** The image name used when none is given and cog.yaml has no `image:`: `tscog-<project dir>:latest`. */
export function defaultImageName(projectDir: string): string {
  const slug = basename(projectDir).toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "") || "model";
  return `tscog-${slug}:latest`;
}

/** Adds `--no-cache`, `--secret` and `--openapi-schema` (as `cog build` and `cog push` have them). */
export function addImageBuildOptions(command: Command): Command {
  return command
    .option("--no-cache", "build every layer again instead of reusing the layer cache (what is built is still cached)")
    .option("--secret <id=NAME,src=PATH>", "a build-time secret, readable during the build as $TSCOG_BUILD_SECRETS/NAME, never written into the image (repeatable; env=VAR instead of src)", collect, [])
    .option("--openapi-schema <path>", "also write the predictor's OpenAPI schema to this file")
    .addOption(new Option("--progress <mode>", "progress output").choices(["plain", "tty", "quiet"]));
}
