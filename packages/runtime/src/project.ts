import { existsSync } from "node:fs";
import { resolve, join, relative } from "node:path";
import { PredictorError } from "@tscog/sdk";
import { loadConfig, type CogConfig } from "./config.js";

/** A tscog project on disk: its directory, validated config and predictor reference. */
export interface Project {
  dir: string;
  configFile: string;
  config: CogConfig;
  predictor: { file: string; className: string };
}

/** Reads `cog.yaml` in `dir` and checks that the predictor file exists. */
export async function loadProject(dir: string): Promise<Project> {
  const root = resolve(dir);
  const configFile = join(root, "cog.yaml");
  const config = await loadConfig(configFile);
  const sep = config.predict.lastIndexOf(":");
  const file = resolve(root, config.predict.slice(0, sep));
  const className = config.predict.slice(sep + 1);
  if (!existsSync(file)) {
    throw new PredictorError(
      "PREDICTOR_LOAD",
      `${configFile}: predict: "${config.predict}" names ${relative(root, file) || file}, which does not exist in ${root}.`,
      { file: configFile, field: "predict" },
    );
  }
  return { dir: root, configFile, config, predictor: { file, className } };
}

/**
 * The predictor's environment from cog.yaml: `environment` entries, plus
 * `TSCOG_GPU` / `TSCOG_CPU_FALLBACK` from `build.gpu` / `build.cpu_fallback`
 * (the ONNX engine picks CUDA from them; `TSCOG_DEVICE` still overrides).
 */
export function projectEnvironment(config: CogConfig): Record<string, string> {
  const env: Record<string, string> = {};
  if (config.build?.gpu !== undefined) env.TSCOG_GPU = config.build.gpu ? "1" : "0";
  if (config.build?.cpu_fallback !== undefined) env.TSCOG_CPU_FALLBACK = config.build.cpu_fallback ? "1" : "0";
  for (const entry of config.environment ?? []) {
    const eq = entry.indexOf("=");
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}
