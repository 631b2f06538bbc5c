/**
 * Checks on an imported predictor class before it is described or run: that
 * it is a class with a `predict` method (and a `setup` method when it has
 * one), and that its input declarations are sound. Each mistake is reported
 * in the author's terms, at the author's file and line.
 */
import { relative } from "node:path";
import { DeclarationError, inputDeclarationProblems, PredictorError, type PredictorClass } from "@tscog/sdk";
import type { PredictorSourceInfo } from "./output-type.js";

/** Where the predictor lives, for messages. */
export interface PredictorLocation {
  /** The project directory (paths in messages are relative to it). */
  dir: string;
  /** Absolute path of the predictor file. */
  sourceFile: string;
  className: string;
  source: PredictorSourceInfo;
}

const SHAPE = "A predictor is a class that extends BasePredictor (from \"tscog\") and defines predict(); setup() is optional";

function extendsBasePredictor(cls: Function): boolean {
  for (let p = Object.getPrototypeOf(cls); p && p !== Function.prototype; p = Object.getPrototypeOf(p)) {
    // esbuild may rename a bundled class to avoid a clash (BasePredictor2).
    if (/^BasePredictor\d*$/.test(p.name)) return true;
  }
  return false;
}

/** The module's export for `className`; an `export default class Predictor` also answers to "Predictor". */
export function pickPredictorExport(mod: Record<string, unknown>, className: string): unknown {
  if (mod[className] !== undefined || className === "default") return mod[className];
  const fallback = mod.default as { name?: unknown } | undefined;
  return typeof fallback === "function" && fallback.name === className ? fallback : undefined;
}

/**
 * Checks that `cls` can be run as a predictor; returns the class to run (one
 * without `setup` gets a no-op one, as Cog runs predictors without `setup`).
 * Throws PREDICTOR_LOAD naming the file, line and class.
 */
export function checkPredictorClass(cls: PredictorClass, at: PredictorLocation): PredictorClass {
  const shown = relative(at.dir, at.sourceFile) || at.sourceFile;
  const where = at.source.classLine ? `${shown}:${at.source.classLine}` : shown;
  const fail = (what: string) => new PredictorError("PREDICTOR_LOAD", `${where}: ${what}. ${SHAPE}.`, { file: at.sourceFile, line: at.source.classLine, field: "predict" });
  const name = `class ${cls.name || at.className}`;
  const proto = cls.prototype as Record<string, unknown> | undefined;
  const notBase = extendsBasePredictor(cls) ? "" : " (it does not extend BasePredictor)";
  // `predict = async (...) => ...` is set on each instance: the runner calls it just the same.
  if (typeof proto?.predict !== "function" && !at.source.predictIsField) {
    if (typeof (cls as unknown as Record<string, unknown>).predict === "function") throw fail(`${name} declares predict() as static; make it an instance method (remove "static")`);
    if (proto && Object.hasOwn(proto, "predict")) throw fail(`${name} has a predict that is not a method`);
    throw fail(`${name} has no predict() method${notBase}`);
  }
  const setup = proto?.setup;
  if (setup !== undefined && typeof setup !== "function") throw fail(`${name} has a setup that is not a method (${typeof setup})${notBase}`);
  if (setup !== undefined) return cls;
  // Cog calls setup() only when the class has one; the runner always calls it.
  const withSetup = class extends (cls as new () => object) {
    async setup(): Promise<void> {}
  };
  Object.defineProperty(withSetup, "name", { value: cls.name });
  return withSetup as unknown as PredictorClass;
}

/** Throws INVALID_DECLARATION listing every mistake in the class's `static inputs`, each at its line. */
export function checkInputDeclarations(cls: PredictorClass, at: PredictorLocation): void {
  const problems = inputDeclarationProblems((cls as { inputs?: unknown }).inputs);
  if (!problems.length) return;
  const shown = (file: string) => relative(at.dir, file) || file;
  const lines = problems.map((p) => {
    const loc = at.source.inputLines.get(p.input);
    const where = loc ? `${shown(loc.file)}:${loc.line}` : shown(at.sourceFile);
    const sep = /^(is|has) /.test(p.message) ? " " : ": ";
    return p.input ? `${where}: input "${p.input}"${sep}${p.message}` : `${where}: class ${at.className}: ${p.message}`;
  });
  const first = problems[0]!;
  const loc = at.source.inputLines.get(first.input);
  const message =
    lines.length === 1
      ? `${lines[0]}.`
      : `${lines.length} problems in the input declarations of ${at.className} (${shown(at.sourceFile)}):\n  ${lines.join("\n  ")}`;
  throw new DeclarationError(message, { file: loc?.file ?? at.sourceFile, line: loc?.line, field: first.input ? `inputs.${first.input}` : "inputs" });
}
