import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PredictorError } from "@tscog/sdk";

/** A TypeScript compiler found on disk: its `tsc` script, version and where it came from. */
export interface TypeScriptCompiler {
  /** The `tsc` script (run with `node`). */
  tscBin: string;
  version: string;
  /** "project": the project's own `typescript`; "tscog": the one installed with tscog. */
  source: "project" | "tscog";
}

/** Reads the `typescript` package that `fromFile`'s directory resolves, if any. */
function compilerFrom(fromFile: string, source: TypeScriptCompiler["source"]): TypeScriptCompiler | undefined {
  let manifestPath: string;
  try {
    manifestPath = createRequire(fromFile).resolve("typescript/package.json");
  } catch {
    return undefined;
  }
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { version: string; bin?: string | Record<string, string> };
  const bin = typeof manifest.bin === "string" ? manifest.bin : manifest.bin?.tsc;
  if (!bin) return undefined;
  return { tscBin: join(dirname(manifestPath), bin), version: manifest.version, source };
}

/**
 * The compiler `tscog check` runs: the project's own `typescript` when it has
 * one (so the editor and tscog agree), else the one installed with tscog.
 */
export function findTypeScriptCompiler(projectDir: string): TypeScriptCompiler {
  const found = compilerFrom(join(projectDir, "package.json"), "project") ?? compilerFrom(fileURLToPath(import.meta.url), "tscog");
  if (found) return found;
  throw new PredictorError("PREDICTOR_LOAD", `No TypeScript compiler was found for ${projectDir}: neither the project nor tscog's installation has the "typescript" package.`, {
    hint: "install it in the project (npm install --save-dev typescript), or skip the check (tscog build --skip-type-check)",
  });
}
