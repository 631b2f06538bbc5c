import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, TscogError } from "@tscog/sdk";
import { bundlePredictor, loadPredictor, loadProject, type Project } from "@tscog/runtime";
import {
  checkBuildSettings,
  formatBuildEvent,
  IMAGE_PATHS,
  LayerCache,
  parseBuildSecret,
  parseReference,
  withBuildSecrets,
  type BuildEvent,
  type ProjectImageOptions,
} from "@tscog/image";
import { defaultImageName, type ImageFlags } from "./image-build-options.js";
import { checkOutputPath } from "./file-outputs.js";

/**
 * The server module the image runs (bundled into /opt/tscog/server.mjs):
 * `$TSCOG_SERVER_ENTRY`, else the CLI's `serve-main.js`.
 */
export function serverEntry(): string {
  if (process.env.TSCOG_SERVER_ENTRY) return resolve(process.env.TSCOG_SERVER_ENTRY);
  return fileURLToPath(new URL("./serve-main.js", import.meta.url));
}

/**
 * The image name: `-t`/REF when given, else cog.yaml's `image:`, else (when
 * `fallback`) `tscog-<project dir>:latest`. Undefined when there is none.
 */
export async function imageNameFor(projectDir: string, given: string | undefined, fallback: boolean): Promise<string | undefined> {
  if (given) return given;
  const project = await loadProject(projectDir);
  const fromConfig = project.config.image;
  if (fromConfig) {
    try {
      parseReference(fromConfig);
    } catch (err) {
      throw new ConfigError(`${project.configFile}: image: ${JSON.stringify(fromConfig)} is not an image reference: ${(err as Error).message}`, {
        file: project.configFile, field: "image", cause: err, hint: "Write it like registry.example.com/me/my-model or my-model:v1.",
      });
    }
    return fromConfig;
  }
  return fallback ? defaultImageName(projectDir) : undefined;
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
 * Loads the project and calls `fn` with everything `buildProjectImage` or
 * `planProjectImage` needs. Build secrets are readable (as files under
 * `$TSCOG_BUILD_SECRETS`) until `fn` returns, including while the predictor
 * is imported to read its schema.
 */
export async function withProjectImage<T>(flags: ImageFlags, fn: (project: Project, options: ProjectImageOptions) => Promise<T>): Promise<T> {
  const secrets = await Promise.all((flags.secret ?? []).map((s) => parseBuildSecret(s)));
  const project = await loadProject(flags.project);
  checkBuildSettings(project.config.build);
  if (flags.openapiSchema) await checkOutputPath(flags.openapiSchema, "--openapi-schema");
  const entry = serverEntry();
  if (!existsSync(entry)) {
    throw new TscogError("BUILD_FAILED", `the tscog server entry ${entry} is missing`, { hint: "build tscog first (npm run build), or set TSCOG_SERVER_ENTRY" });
  }
  return withBuildSecrets(secrets, async () => {
    const { openapi } = await loadPredictor(project);
    if (flags.openapiSchema) {
      await writeFile(flags.openapiSchema, `${JSON.stringify(openapi, null, 2)}\n`);
      process.stderr.write(`Written the OpenAPI schema to ${flags.openapiSchema}\n`);
    }
    return fn(project, {
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
      cache: new LayerCache(undefined, { reuse: flags.cache !== false }),
      secrets,
      onProgress: progressPrinter(flags.progress),
    });
  });
}
