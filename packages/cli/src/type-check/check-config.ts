import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The tsconfig a type check runs with, and whether it is the project's own. */
export interface CheckConfig {
  file: string;
  own: boolean;
}

/**
 * Compiler options for projects without a tsconfig.json (the same ones `tscog
 * init` writes): modules resolved as esbuild, which bundles predict.ts, does.
 */
export const DEFAULT_COMPILER_OPTIONS = {
  target: "ES2022",
  lib: ["ES2023"],
  module: "ESNext",
  moduleResolution: "Bundler",
  strict: true,
  skipLibCheck: true,
  noEmit: true,
} as const;

const TSCOG_TYPES = fileURLToPath(new URL("../index.d.ts", import.meta.url));

/** The file `specifier` resolves to from `fromDir`, or undefined. */
function resolvesFrom(fromDir: string, specifier: string): string | undefined {
  try {
    return createRequire(join(fromDir, "package.json")).resolve(specifier);
  } catch {
    return undefined;
  }
}

/**
 * The project's `tsconfig.json` when it has one (used as it is). Otherwise a
 * generated `.tscog/tsconfig.check.json` with the defaults, checking the
 * predictor file and what it imports; `tscog` and Node's types come from
 * tscog's own installation when the project has not installed them.
 */
export async function checkConfig(projectDir: string, predictorFile: string): Promise<CheckConfig> {
  const own = join(projectDir, "tsconfig.json");
  if (existsSync(own)) return { file: own, own: true };
  // allowJs: a predict.js/.mjs predictor is compiled (not checked) so the TypeScript it imports is.
  const compilerOptions: Record<string, unknown> = { ...DEFAULT_COMPILER_OPTIONS, allowJs: true };
  if (!resolvesFrom(projectDir, "tscog") && existsSync(TSCOG_TYPES)) compilerOptions.paths = { tscog: [TSCOG_TYPES] };
  const nodeTypes = resolvesFrom(projectDir, "@types/node/package.json") ?? resolvesFrom(dirname(TSCOG_TYPES), "@types/node/package.json");
  if (nodeTypes) {
    compilerOptions.types = ["node"];
    compilerOptions.typeRoots = [dirname(dirname(nodeTypes))];
  } else {
    compilerOptions.lib = ["ES2023", "DOM"]; // console and timers without @types/node
  }
  const file = join(projectDir, ".tscog", "tsconfig.check.json");
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify({ compilerOptions, files: [predictorFile] }, null, 2)}\n`);
  return { file, own: false };
}
