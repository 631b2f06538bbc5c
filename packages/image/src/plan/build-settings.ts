import { TscogError } from "@tscog/sdk";

/** The `build` section of cog.yaml, as far as image planning reads it. */
export interface BuildSettings {
  base_image?: string;
  node_version?: string;
  system_packages?: string[];
  run?: string[];
}

/**
 * Rejects build settings a daemonless build cannot honour, rather than
 * silently ignoring them: `system_packages` and `run` need a container to run
 * in, and the offline base ships the Node that runs tscog.
 */
export function checkBuildSettings(build: BuildSettings | undefined, nodeVersion: string = process.versions.node): void {
  if (!build) return;
  for (const field of ["system_packages", "run"] as const) {
    if (build[field]?.length) {
      throw new TscogError(
        "BUILD_FAILED",
        `cog.yaml build.${field} is set, but tscog builds images without a Docker daemon and cannot run package managers or commands while building.`,
        {
          field: `build.${field}`,
          hint: `Build an image that already has them (e.g. FROM node:20-bookworm-slim + RUN ... in a Dockerfile), push it, name it in build.base_image, and remove build.${field}.`,
        },
      );
    }
  }
  const wanted = build.node_version;
  if (wanted && !build.base_image && !(nodeVersion === wanted || nodeVersion.startsWith(`${wanted}.`))) {
    throw new TscogError(
      "BUILD_FAILED",
      `cog.yaml build.node_version is "${wanted}", but with no build.base_image the image gets the Node that runs tscog (${nodeVersion}).`,
      { field: "build.node_version", hint: `Run tscog with Node ${wanted}, or set build.base_image to an image with Node ${wanted} (e.g. node:${wanted}-bookworm-slim).` },
    );
  }
}
