import { pathToFileURL } from "node:url";
import { readFile, rm } from "node:fs/promises";
import { dirname, relative } from "node:path";
import { createInputValidator, inputSchema, PredictorError, type PredictorClass } from "@tscog/sdk";
import { bundlePredictor } from "./bundle.js";
import { buildOpenApi, type OpenApiDocument } from "./openapi.js";
import { resolveOpenAiMapping, type InputSchemaLike } from "./openai-mapping.js";
import { readPredictorSource, type OutputKind } from "./output-type.js";
import { checkInputDeclarations, checkPredictorClass, pickPredictorExport } from "./predictor-checks.js";
import type { Project } from "./project.js";
import { createRunner, type PredictorRunner } from "./runner.js";
import { authorLocation } from "./stack.js";

/** A predictor imported and described, not yet set up. */
export interface LoadedPredictor {
  openapi: OpenApiDocument;
  outputKind: OutputKind;
  runner: PredictorRunner;
}

/**
 * Compiles (or takes a prebuilt `bundle`, or `$TSCOG_PREDICTOR_BUNDLE` as
 * images set it), imports the predictor class and
 * derives its OpenAPI document. Runs module top-level code but not `setup()`.
 */
export async function loadPredictor(project: Project, options: { bundle?: string } = {}): Promise<LoadedPredictor> {
  process.setSourceMapsEnabled(true);
  const { file: sourceFile, className } = project.predictor;
  const shown = relative(project.dir, sourceFile) || sourceFile;
  const prebuilt = options.bundle ?? process.env.TSCOG_PREDICTOR_BUNDLE;
  const bundle = prebuilt || (await bundlePredictor(project)).file;
  let mod: Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(bundle).href);
  } catch (err: any) {
    const loc = authorLocation(err, sourceFile);
    const where = loc ? `${relative(project.dir, loc.file)}:${loc.line}:${loc.column}: ` : `${shown}: `;
    throw new PredictorError("PREDICTOR_LOAD", `${where}loading the predictor failed: ${err?.message ?? err}`, { ...loc, cause: err });
  } finally {
    // Imported (source map included), or failed: a bundle we compiled is no longer needed.
    if (!prebuilt) await rm(dirname(bundle), { recursive: true, force: true });
  }
  const source = readPredictorSource(await readFile(sourceFile, "utf8"), className, sourceFile, { root: project.dir });
  const found = pickPredictorExport(mod, className) as PredictorClass | undefined;
  if (typeof found !== "function") {
    const classes = Object.entries(mod)
      .filter(([, v]) => typeof v === "function" && typeof (v as any).prototype?.predict === "function")
      .map(([k]) => k);
    const what = found === undefined ? `does not export "${className}"` : `exports "${className}", but it is a ${found === null ? "null" : typeof found}, not a class`;
    const hint = classes.length
      ? ` Predictor classes it exports: ${classes.join(", ")}; set predict: "${shown}:${classes[0]}" in cog.yaml.`
      : ` Export a class that extends BasePredictor, e.g. \`export class ${className} extends BasePredictor { ... }\`.`;
    throw new PredictorError("PREDICTOR_LOAD", `${shown} ${what}.${hint}`, { file: sourceFile, field: "predict" });
  }
  const at = { dir: project.dir, sourceFile, className, source };
  const cls = checkPredictorClass(found, at);
  checkInputDeclarations(cls, at);
  const { input, enums } = inputSchema(cls.inputs ?? {});
  const output = source.outputType();
  const openapi = buildOpenApi({ input, output: output.schema, enums });
  resolveOpenAiMapping(project.config, openapi.components.schemas.Input as InputSchemaLike, { file: project.configFile, projectDir: project.dir });
  const runner = createRunner({
    predictorClass: cls,
    validator: createInputValidator(openapi.components.schemas),
    inputSchemas: openapi.components.schemas,
    sourceFile,
  });
  return { openapi, outputKind: output.kind, runner };
}
