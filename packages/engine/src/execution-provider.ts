/**
 * Choosing where the model runs: CPU by default, CUDA when the project asks
 * for a GPU. A CUDA request that cannot be met fails loudly (naming what is
 * missing) unless the user opted into falling back to CPU.
 */
import { existsSync, readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { createRequire } from "node:module";
import path from "node:path";
import { TscogError } from "@tscog/sdk";

/** Where to run: "auto" follows the environment (TSCOG_DEVICE, then TSCOG_GPU). */
export type Device = "auto" | "cpu" | "cuda";

export interface DeviceRequest {
  device?: Device;
  /** Run on CPU (with a warning) when CUDA is requested but unavailable. Default: TSCOG_CPU_FALLBACK=1. */
  cpuFallback?: boolean;
  /** Threads for one operator on CPU. Default: TSCOG_THREADS, else the available cores (at most 8). */
  intraOpThreads?: number;
}

/** What `resolveDevice` looks at; injectable so the CUDA branch can be tested without a GPU. */
export interface DeviceProbe {
  env: Record<string, string | undefined>;
  /** Path of onnxruntime's CUDA provider library, or undefined when it is not installed. */
  cudaProvider(): { found: string } | { missing: string };
  /** Path of the NVIDIA driver library (libcuda.so.1), or undefined when no driver is installed. */
  cudaDriver(): string | undefined;
  cores(): number;
}

/** The outcome: execution providers for the session, in order, and why. */
export interface ResolvedDevice {
  device: "cpu" | "cuda";
  executionProviders: ("cpu" | "cuda")[];
  intraOpThreads: number;
  /** Set when CUDA was requested but the CPU is used instead. */
  warning?: string;
}

const TRUE = /^(1|true|yes|on)$/i;

/** Decides between CPU and CUDA; throws MODEL_LOAD when CUDA is required but not usable. */
export function resolveDevice(request: DeviceRequest = {}, probe: DeviceProbe = systemProbe()): ResolvedDevice {
  const env = probe.env;
  let device = request.device ?? "auto";
  if (device === "auto") {
    const forced = env.TSCOG_DEVICE?.trim().toLowerCase();
    if (forced === "cpu" || forced === "cuda") device = forced;
    else if (forced) throw new TscogError("MODEL_LOAD", `TSCOG_DEVICE must be "cpu" or "cuda", got "${env.TSCOG_DEVICE}"`);
    else device = TRUE.test(env.TSCOG_GPU ?? "") ? "cuda" : "cpu";
  }
  const fromEnv = Number(env.TSCOG_THREADS);
  const intraOpThreads = request.intraOpThreads ?? (fromEnv > 0 ? Math.trunc(fromEnv) : Math.max(1, Math.min(8, probe.cores())));
  if (device === "cpu") return { device, executionProviders: ["cpu"], intraOpThreads };

  const fallback = request.cpuFallback ?? TRUE.test(env.TSCOG_CPU_FALLBACK ?? "");
  const provider = probe.cudaProvider();
  const driver = probe.cudaDriver();
  let problem: string | undefined;
  if ("missing" in provider) {
    problem =
      `onnxruntime's CUDA execution provider is not installed (${provider.missing} not found). ` +
      "Install it on a machine with CUDA 12 and network access with `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` " +
      "(npm itself no longer runs that script: package.json's allowScripts denies it)";
  } else if (!driver) {
    problem = "the NVIDIA driver is missing (libcuda.so.1 not found; is this a GPU host, with the container started with --gpus?)";
  }
  if (!problem) return { device: "cuda", executionProviders: ["cuda", "cpu"], intraOpThreads };
  if (fallback) return { device: "cpu", executionProviders: ["cpu"], intraOpThreads, warning: `CUDA requested but ${problem}; running on CPU` };
  throw new TscogError("MODEL_LOAD", `CUDA requested (gpu: true) but ${problem}.`, {
    hint: "Set TSCOG_CPU_FALLBACK=1 (or cpuFallback: true) to run on CPU instead, or TSCOG_DEVICE=cpu.",
  });
}

/** Looks at the real machine. */
export function systemProbe(): DeviceProbe {
  return {
    env: process.env,
    cores: () => availableParallelism(),
    cudaProvider: () => {
      const dir = onnxruntimeBinDir();
      const file = path.join(dir ?? "node_modules/onnxruntime-node/bin", "libonnxruntime_providers_cuda.so");
      return dir && existsSync(file) ? { found: file } : { missing: file };
    },
    cudaDriver: () => {
      const dirs = [
        ...(process.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean),
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib64",
        "/usr/lib",
        "/usr/local/nvidia/lib64",
        "/usr/lib/wsl/lib",
      ];
      for (const dir of dirs) {
        const file = path.join(dir, "libcuda.so.1");
        if (existsSync(file)) return file;
      }
      return undefined;
    },
  };
}

/**
 * The directory holding onnxruntime-node's native binding for this platform.
 * Looks at the loaded module first: inside a predictor bundle `import.meta.url`
 * is the bundle's location, from where the package may not resolve.
 */
function onnxruntimeBinDir(): string | undefined {
  const require = createRequire(import.meta.url);
  const loaded = Object.keys(require.cache).find((k) => /[\\/]onnxruntime-node[\\/]dist[\\/]index\.js$/.test(k));
  const roots: string[] = [];
  if (loaded) roots.push(path.resolve(path.dirname(loaded), ".."));
  for (const from of [import.meta.url, path.join(process.cwd(), "noop.js")]) {
    try {
      roots.push(path.dirname(createRequire(from).resolve("onnxruntime-node/package.json")));
    } catch {
      // not resolvable from here
    }
  }
  for (const root of roots) {
    const bin = path.join(root, "bin");
    if (!existsSync(bin)) continue;
    for (const napi of readdirSync(bin)) {
      const dir = path.join(bin, napi, process.platform, process.arch);
      if (existsSync(dir)) return dir;
    }
  }
  return undefined;
}
