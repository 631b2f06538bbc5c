import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import { DeclarationError, type JsonSchema } from "@tscog/sdk";
import { findClass, findPredict, inputLines, type PredictInSource } from "./predictor-source/predictor-class.js";
import { SourceModules } from "./predictor-source/source-modules.js";
import { firstTypeArg, isIteratorName, referenceName, SUPPORTED_OUTPUT_TYPES, TypeSchemas, UnsupportedType, type Scope } from "./predictor-source/type-schema.js";

/** How a predictor's output is produced and shown. */
export type OutputKind = "value" | "iterator" | "concatenate";

/** The output of `predict` as its source declares it. */
export interface OutputType {
  kind: OutputKind;
  /** The OpenAPI `Output` schema. */
  schema: JsonSchema;
}

/** What the predictor's source says: its output type, where the class and its inputs are declared. */
export interface PredictorSourceInfo {
  /** Line of the class declaration, when the class was found in the source. */
  classLine?: number;
  /** Where each input of `static inputs` is declared, when the source shows it. */
  inputLines: Map<string, { file: string; line: number }>;
  /** Whether `predict` is a field holding a function (`predict = async () => ...`) rather than a method. */
  predictIsField?: boolean;
  /** `predict`'s output type; throws `DeclarationError` (file:line) for a return type tscog cannot describe. */
  outputType(): OutputType;
}

/** Options for reading a predictor's source. */
export interface SourceOptions {
  /** Paths in messages are shown relative to this directory (the project's). */
  root?: string;
}

function classify(types: TypeSchemas, predict: PredictInSource | undefined): OutputType {
  if (!predict) return { kind: "value", schema: { title: "Output" } };
  const scope: Scope = { mod: predict.mod, params: new Map() };
  let node = predict.returnType;
  while (node && referenceName(node) === "Promise") node = firstTypeArg(node);
  const name = referenceName(node);
  if (name === "ConcatenateIterator") {
    const items = firstTypeArg(node!) ? types.schema(firstTypeArg(node!), scope) : { type: "string" };
    return {
      kind: "concatenate",
      schema: { title: "Output", type: "array", items, "x-cog-array-type": "iterator", "x-cog-array-display": "concatenate" },
    };
  }
  if (isIteratorName(name) || (!node && predict.generator)) {
    return {
      kind: "iterator",
      schema: { title: "Output", type: "array", items: node ? types.schema(firstTypeArg(node), scope) : {}, "x-cog-array-type": "iterator" },
    };
  }
  return { kind: "value", schema: { title: "Output", ...types.schema(node, scope) } };
}

/**
 * Reads the predictor class in TypeScript source, the way Cog reads Python
 * annotations (no code is run): `predict`'s return type as the OpenAPI
 * `Output` schema, following interfaces and type aliases into relative
 * imports, and where the class and its inputs are declared. Throws
 * `DeclarationError` (INVALID_DECLARATION) naming file:line for a return
 * type it cannot describe.
 */
export function readPredictorSource(source: string, className: string, file: string, options: SourceOptions = {}): PredictorSourceInfo {
  const modules = new SourceModules();
  const mod = modules.add(file, source);
  const cls = findClass(modules, mod, className);
  const types = new TypeSchemas(modules);
  if (!cls) return { inputLines: new Map(), outputType: () => classify(types, undefined) };
  const predict = findPredict(modules, cls);
  const outputType = () => {
    try {
      return classify(types, predict);
    } catch (err) {
      if (!(err instanceof UnsupportedType)) throw err;
      const shown = (options.root !== undefined && relative(options.root, err.file)) || err.file;
      const where = [shown, err.line, err.column].filter((p) => p !== undefined).join(":");
      throw new DeclarationError(
        `${where}: the output type of ${cls.node.id?.name ?? className}.predict() uses ${err.what}, which tscog cannot turn into a JSON Schema for the OpenAPI Output. ` +
          `Supported: ${SUPPORTED_OUTPUT_TYPES}. To publish the output without a schema, declare predict's return type as Promise<unknown>.`,
        { file: err.file, line: err.line, column: err.column, field: "output" },
      );
    }
  };
  return { classLine: cls.node.loc?.start.line, inputLines: inputLines(modules, cls), predictIsField: predict?.declaredAs === "field", outputType };
}

/** The output type of `predict` on class `className` in TypeScript source (see `readPredictorSource`). */
export function outputTypeFromSource(source: string, className: string, file: string, options: SourceOptions = {}): OutputType {
  return readPredictorSource(source, className, file, options).outputType();
}

/** `outputTypeFromSource` for a file on disk. */
export async function outputTypeOf(file: string, className: string, options: SourceOptions = {}): Promise<OutputType> {
  return outputTypeFromSource(await readFile(file, "utf8"), className, file, options);
}
