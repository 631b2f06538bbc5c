import { relative } from "node:path";
import { execa } from "execa";
import { PredictorError } from "@tscog/sdk";
import type { Project } from "@tscog/runtime";
import { checkConfig } from "./check-config.js";
import { formatDiagnostic, parseTscOutput, type TypeDiagnostic } from "./diagnostics.js";
import { findTypeScriptCompiler, type TypeScriptCompiler } from "./find-compiler.js";

/** What a type check found, and with which compiler and tsconfig. */
export interface TypeCheckResult {
  diagnostics: TypeDiagnostic[];
  compiler: TypeScriptCompiler;
  /** The tsconfig used, relative to the project (".tscog/tsconfig.check.json" when the project has none). */
  config: string;
}

/** Errors listed in one report; the rest are counted. */
const SHOWN = 50;

/** Runs the TypeScript compiler over the project (no output files) and returns its errors. */
export async function typeCheckProject(project: Project): Promise<TypeCheckResult> {
  const compiler = findTypeScriptCompiler(project.dir);
  const config = await checkConfig(project.dir, project.predictor.file);
  const run = await execa(process.execPath, [compiler.tscBin, "-p", config.file, "--noEmit", "--pretty", "false"], {
    cwd: project.dir,
    reject: false,
    all: true,
    env: { NO_COLOR: "1" },
  });
  const diagnostics = parseTscOutput(run.all ?? "", project.dir, project.dir);
  if (run.exitCode !== 0 && diagnostics.length === 0) {
    throw new PredictorError("PREDICTOR_LOAD", `The TypeScript compiler (${compiler.tscBin}) failed without reporting an error (exit ${run.exitCode ?? run.signal}): ${(run.all ?? "").slice(0, 2000)}`);
  }
  return { diagnostics, compiler, config: relative(project.dir, config.file) };
}

/** The error for a failed check: one `file:line:col message` per line, then how to skip it (`skipHint`). */
export function typeCheckError(result: TypeCheckResult, skipHint: string): PredictorError {
  const { diagnostics } = result;
  const lines = diagnostics.slice(0, SHOWN).map(formatDiagnostic);
  if (diagnostics.length > SHOWN) lines.push(`... and ${diagnostics.length - SHOWN} more`);
  const count = `${diagnostics.length} type error${diagnostics.length === 1 ? "" : "s"}`;
  const first = diagnostics.find((d) => d.file !== undefined);
  return new PredictorError(
    "PREDICTOR_LOAD",
    `${count} (TypeScript ${result.compiler.version}, ${result.config}):\n${lines.join("\n")}`,
    { file: first?.file, line: first?.line, column: first?.column, hint: skipHint },
  );
}

/** Type-checks the project and throws `PREDICTOR_LOAD` listing the errors, if any. */
export async function assertTypeChecks(project: Project, skipHint: string): Promise<TypeCheckResult> {
  const result = await typeCheckProject(project);
  if (result.diagnostics.length > 0) throw typeCheckError(result, skipHint);
  return result;
}
