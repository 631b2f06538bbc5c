import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join, dirname } from "node:path";
import { arch } from "node:os";
import { execa } from "execa";
import { TscogError } from "@tscog/sdk";
import { offlineBaseEntries, offlineBaseImage } from "./base-offline.js";
import { pullBaseImage } from "./base-pull.js";
import { LayerBuilder, type BaseImage, type BuildEvent, type Builder, type ImageResult } from "./builder.js";
import { LayerCache } from "./layer-cache.js";
import type { ContainerConfig, Platform } from "./oci.js";
import type { LayerSpec } from "./layer.js";
import type { TarEntry } from "./tar-writer.js";
import { checkSecretsAbsent, type BuildSecret } from "./plan/build-secrets.js";
import { bareImports, nativePackageEntries, type PackageRequest } from "./plan/native-packages.js";
import { planProjectLayers } from "./plan/project-plan.js";
import { bundleServer } from "./plan/server-bundle.js";

/** Options of `buildProjectImage`. */
export interface ProjectImageOptions {
  /** The project directory (holding cog.yaml). */
  projectDir: string;
  /** The effective (validated) config, carried in the `run.cog.config` label. */
  config: unknown;
  /** The OpenAPI document of the predictor. */
  openapi: unknown;
  /** Bundles the predictor (`bundlePredictor` from @tscog/runtime, injected). */
  bundlePredictor(): Promise<{ code: string }>;
  /** The server entry module: bundled with esbuild unless `serverBundled` is set. */
  serverEntry: string;
  /** `serverEntry` is already a self-contained ESM bundle: copy it as is. */
  serverBundled?: boolean;
  /** `build.base_image`; without it the offline base is assembled from the local node. */
  baseImage?: string;
  /** `build.gpu`: needs a CUDA base image and onnxruntime's CUDA provider. */
  gpu?: boolean;
  /** Unbundlable packages copied into the image (default onnxruntime-node, and @huggingface/tokenizers when present). */
  nativePackages?: string[];
  /** Where to resolve the native packages from (default: the server entry's directory). */
  resolveFrom?: string;
  /** The project's production dependencies (its package.json `dependencies`, minus tscog), copied too. */
  projectPackages?: string[];
  /** Target platform (default linux and this machine's CPU). */
  platform?: Platform;
  /** Seconds since the epoch for every timestamp (default `$SOURCE_DATE_EPOCH`, else 0). */
  sourceDateEpoch?: number;
  cache?: LayerCache;
  /** The builder to use (default a `LayerBuilder` over `cache`). */
  builder?: Builder;
  title?: string;
  labels?: Record<string, string>;
  insecureRegistries?: string[];
  /** Build-time secrets: their files stay out of every layer, and the build fails if a value would land in the image. */
  secrets?: readonly BuildSecret[];
  onProgress?(event: BuildEvent): void;
}

/** What `buildProjectImage` will build, known before any layer is built (`tscog debug` prints it). */
export interface ProjectImagePlan {
  platform: Platform;
  created: Date;
  /** Where the base comes from: a reference pulled when building, or the offline base. */
  baseSource: string;
  /** The offline base's files; undefined for a pulled base (its layers are only known after pulling). */
  baseEntries?: TarEntry[];
  /** The layers above the base, in order. */
  layers: LayerSpec[];
  /** Our container config (merged over the base's when building). */
  config: ContainerConfig;
  /** Gets the base image (pulls it, or builds the offline base layer). */
  base(): Promise<BaseImage>;
}

/** What the server bundle leaves to node_modules: native bindings and the registry of backends they share. */
const NATIVE_EXTERNALS = ["onnxruntime-node", "onnxruntime-common"];

/** This machine's platform in OCI terms. */
export function hostPlatform(): Platform {
  return { os: "linux", architecture: arch() === "x64" ? "amd64" : arch() };
}

/** `SOURCE_DATE_EPOCH` as seconds (0 when unset); a clear error when it is not a number. */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === "") return 0;
  if (!/^\d+$/.test(raw)) throw new TscogError("BUILD_FAILED", `SOURCE_DATE_EPOCH must be whole seconds since 1970, got "${raw}"`);
  return Number(raw);
}

/** Makes sure onnxruntime-node has its CUDA provider, running its installer (network needed) when missing. */
async function ensureCudaProvider(resolveFrom: string, platform: Platform): Promise<void> {
  let pkg: string;
  try {
    pkg = dirname(createRequire(join(resolveFrom, "noop.js")).resolve("onnxruntime-node/package.json"));
  } catch (err) {
    throw new TscogError("BUILD_FAILED", `gpu: true needs onnxruntime-node, which cannot be found from ${resolveFrom}`, { cause: err, field: "build.gpu" });
  }
  const dir = join(pkg, "bin", "napi-v6", "linux", platform.architecture === "amd64" ? "x64" : platform.architecture);
  if (existsSync(join(dir, "libonnxruntime_providers_cuda.so"))) return;
  try {
    await execa("node", ["script/install.js"], { cwd: pkg, env: { ONNXRUNTIME_NODE_INSTALL: "cuda12" }, timeout: 900_000 });
  } catch (err) {
    throw new TscogError("BUILD_FAILED", `gpu: true needs onnxruntime-node's CUDA provider (${dir}/libonnxruntime_providers_cuda.so), and installing it failed: ${(err as Error).message.split("\n")[0]}`, {
      cause: err, field: "build.gpu", hint: "on a machine with network access run: ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node",
    });
  }
}

/**
 * Plans a project's image without building a layer: bundles the predictor and
 * the server, lists the files of every layer and the container config.
 */
export async function planProjectImage(options: ProjectImageOptions): Promise<ProjectImagePlan> {
  const cache = options.cache ?? new LayerCache();
  const platform = options.platform ?? hostPlatform();
  const epoch = options.sourceDateEpoch ?? sourceDateEpoch();
  const resolveFrom = options.resolveFrom ?? dirname(options.serverEntry);
  if (options.gpu && !options.baseImage) {
    throw new TscogError("BUILD_FAILED", "gpu: true needs build.base_image naming a CUDA runtime image with Node (the offline base has no CUDA libraries)", {
      field: "build.base_image", hint: "for example an nvidia/cuda:12.x-cudnn-runtime image with Node 20 added",
    });
  }
  if (options.gpu) await ensureCudaProvider(resolveFrom, platform);
  let predictorCode: string;
  try {
    predictorCode = (await options.bundlePredictor()).code;
  } catch (err) {
    if (err instanceof TscogError) throw err;
    throw new TscogError("BUILD_FAILED", `cannot bundle the predictor: ${(err as Error).message}`, { cause: err });
  }
  const packages: PackageRequest[] = [
    ...(options.nativePackages ?? ["onnxruntime-node", "@huggingface/tokenizers"]).map((name) => ({ name, from: resolveFrom, optional: !options.nativePackages && name !== "onnxruntime-node" })),
    ...(options.projectPackages ?? []).map((name) => ({ name, from: options.projectDir })),
    // Whatever the predictor bundle leaves as a bare import must be installed beside it.
    ...bareImports(predictorCode).map((name) => ({ name, from: [options.projectDir, resolveFrom] })),
  ];
  const native = await nativePackageEntries({ packages, target: "/opt/tscog/node_modules", platform });
  const baseEntries = options.baseImage ? undefined : await offlineBaseEntries({ platform, nativeModules: native.bindings, cacheDir: cache.dir });
  const baseImage = options.baseImage;
  const base = baseImage
    ? () => pullBaseImage(baseImage, { cache, platform, insecureRegistries: options.insecureRegistries })
    : () => offlineBaseImage({ cache, platform, mtime: epoch, nativeModules: native.bindings, entries: baseEntries });
  const server = options.serverBundled ? { file: options.serverEntry, assets: [] } : await bundleServer({ entry: options.serverEntry, outDir: join(cache.dir, "server"), external: NATIVE_EXTERNALS });
  const planned = await planProjectLayers({
    projectDir: options.projectDir, config: options.config, openapi: options.openapi, predictorCode, serverBundle: server.file, serverAssets: server.assets,
    nativeEntries: native.entries, sourceDateEpoch: epoch, title: options.title, labels: options.labels,
    baseName: options.baseImage, exclude: (options.secrets ?? []).flatMap((s) => (s.file ? [s.file] : [])),
  });
  await checkSecretsAbsent(options.secrets ?? [], planned.layers, planned.config);
  return { platform, created: new Date(epoch * 1000), baseSource: baseImage ?? "tscog offline base", baseEntries, layers: planned.layers, config: planned.config, base };
}

/**
 * Builds a project's image: base (pulled or offline), dependencies, weights,
 * code. The one-call entry point the CLI uses.
 * @example
 * const image = await buildProjectImage({ projectDir, config, openapi, bundlePredictor: () => bundlePredictor(project), serverEntry });
 * await new DockerEnginePublisher({ tags: ["model:latest"] }).publish(image);
 */
export async function buildProjectImage(options: ProjectImageOptions): Promise<ImageResult> {
  const cache = options.cache ?? new LayerCache();
  const plan = await planProjectImage({ ...options, cache });
  const builder = options.builder ?? new LayerBuilder({ cache });
  return builder.build({ platform: plan.platform, created: plan.created, base: await plan.base(), layers: plan.layers, config: plan.config }, { onProgress: options.onProgress });
}
