import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, Option } from "commander";
import { TscogError } from "@tscog/sdk";
import { bundlePredictor, loadPredictor, loadProject, type Project } from "@tscog/runtime";
import {
  buildProjectImage,
  checkBuildSettings,
  DockerArchivePublisher,
  DockerEnginePublisher,
  familiarName,
  formatBuildEvent,
  formatBytes,
  IMAGE_PATHS,
  isDockerAvailable,
  OciLayoutPublisher,
  parseReference,
  type BuildEvent,
  type ImageResult,
  type Publisher,
} from "@tscog/image";
import { projectDirOption, runAction } from "../command-helpers.js";

/** Flags shared by `tscog build` and `tscog push`. */
export interface ImageFlags {
  project: string;
  gpu?: boolean;
  progress?: "plain" | "tty" | "quiet";
  insecureRegistry?: string[];
  debug?: boolean;
}

interface BuildFlags extends ImageFlags {
  tag?: string;
  output?: string;
}

/**
 * The server module the image runs (bundled into /opt/tscog/server.mjs):
 * `$TSCOG_SERVER_ENTRY`, else the CLI's `serve-main.js` beside this command.
 */
export function serverEntry(): string {
  if (process.env.TSCOG_SERVER_ENTRY) return resolve(process.env.TSCOG_SERVER_ENTRY);
  return fileURLToPath(new URL("../serve-main.js", import.meta.url));
}

/** The image name used when none is given: `tscog-<project dir>:latest`. */
export function defaultImageName(projectDir: string): string {
  const slug = basename(projectDir).toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "") || "model";
  return `tscog-${slug}:latest`;
}

async function projectDependencies(dir: string): Promise<string[]> {
  try {
    const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    return Object.keys(pkg.dependencies ?? {}).filter((n) => n !== "tscog" && !n.startsWith("@tscog/"));
  } catch {
    return [];
  }
}

/** Prints build progress: one line per layer and a summary (tty mode redraws a status line). */
function progressPrinter(mode: ImageFlags["progress"]): (event: BuildEvent) => void {
  const tty = mode === "tty" || (mode === undefined && process.stderr.isTTY);
  return (event) => {
    if (mode === "quiet") return;
    if (tty) process.stderr.write("\r\x1b[2K");
    process.stderr.write(`${formatBuildEvent(event)}\n`);
    if (tty && event.kind === "layer" && event.index + 1 < event.count) process.stderr.write(`building layer ${event.index + 2}/${event.count}…`);
  };
}

/**
 * Loads the project and builds its image (layers come from the cache when
 * unchanged). Shared by `tscog build` and `tscog push`.
 */
export async function buildImageForProject(flags: ImageFlags): Promise<{ project: Project; image: ImageResult }> {
  const project = await loadProject(flags.project);
  checkBuildSettings(project.config.build);
  const entry = serverEntry();
  if (!existsSync(entry)) {
    throw new TscogError("BUILD_FAILED", `the tscog server entry ${entry} is missing`, { hint: "build tscog first (npm run build), or set TSCOG_SERVER_ENTRY" });
  }
  const { openapi } = await loadPredictor(project);
  const image = await buildProjectImage({
    projectDir: project.dir,
    config: project.config,
    openapi,
    bundlePredictor: () => bundlePredictor(project, { externals: "bare", runtimeDir: IMAGE_PATHS.src, outFile: join(project.dir, ".tscog", "image", "predictor.mjs") }),
    serverEntry: entry,
    // Native packages (onnxruntime-node) come from this tscog installation.
    resolveFrom: fileURLToPath(new URL(".", import.meta.url)),
    projectPackages: await projectDependencies(project.dir),
    baseImage: project.config.build?.base_image,
    gpu: flags.gpu ?? project.config.build?.gpu ?? false,
    insecureRegistries: flags.insecureRegistry,
    title: basename(project.dir),
    onProgress: progressPrinter(flags.progress),
  });
  return { project, image };
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

/** `tscog build`: builds the project's image daemonlessly and loads or writes it. */
export function registerBuild(program: Command): Command {
  return program
    .command("build")
    .description("Build a reproducible OCI image of the project (no Docker daemon needed to build)")
    .addOption(projectDirOption())
    .option("-t, --tag <name>", "image name (default: tscog-<project directory>:latest)")
    .option("--gpu", "build for GPU (overrides build.gpu)")
    .option("--no-gpu", "build for CPU (overrides build.gpu)")
    .option("--output <dest>", "oci:DIR, docker-archive:FILE or docker (default: the local Docker engine when running, else .tscog/image.tar)")
    .addOption(new Option("--progress <mode>", "progress output").choices(["plain", "tty", "quiet"]))
    .option("--insecure-registry <host>", "registry reachable over plain http when pulling the base image (repeatable)", (v: string, p: string[]) => [...p, v], [] as string[])
    .option("--debug", "show stack traces")
    .action(
      runAction(async (flags: BuildFlags) => {
        const tag = familiarName(parseReference(flags.tag ?? defaultImageName(flags.project)));
        const { image } = await buildImageForProject(flags);
        const { publisher, note } = await chooseOutput(flags.output, tag, flags.project);
        const result = await publisher.publish(image);
        if (note) process.stderr.write(`${note}\n`);
        process.stderr.write(`${result.destination}  (${formatBytes(image.size)} compressed, ${formatBytes(image.uncompressedSize)} uncompressed)\n`);
        process.stdout.write(`${image.digest}\n`);
      }),
    );
}
