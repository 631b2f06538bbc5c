import { readFile } from "node:fs/promises";
import { parse } from "@babel/parser";
import { PredictorError, type JsonSchema } from "@tscog/sdk";

/** How a predictor's output is produced and shown. */
export type OutputKind = "value" | "iterator" | "concatenate";

export interface OutputType {
  kind: OutputKind;
  /** The OpenAPI `Output` schema. */
  schema: JsonSchema;
}

const ITERATORS = new Set(["AsyncGenerator", "AsyncIterator", "AsyncIterable", "AsyncIterableIterator", "Generator", "Iterator", "Iterable"]);

type TypeNode = { type: string; [k: string]: any };

function refName(node: TypeNode): string | undefined {
  if (node.type !== "TSTypeReference") return undefined;
  const n = node.typeName;
  return n.type === "Identifier" ? n.name : n.type === "TSQualifiedName" ? n.right.name : undefined;
}

function typeArg(node: TypeNode): TypeNode | undefined {
  return (node.typeParameters ?? node.typeArguments)?.params?.[0];
}

/** JSON Schema for a TypeScript type annotation; `{}` where the type says nothing useful. */
function schemaOf(node: TypeNode | undefined): JsonSchema {
  if (!node) return {};
  switch (node.type) {
    case "TSStringKeyword":
      return { type: "string" };
    case "TSNumberKeyword":
      return { type: "number" };
    case "TSBooleanKeyword":
      return { type: "boolean" };
    case "TSArrayType":
      return { type: "array", items: schemaOf(node.elementType) };
    case "TSParenthesizedType":
      return schemaOf(node.typeAnnotation);
    case "TSTypeLiteral": {
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      for (const m of node.members) {
        if (m.type !== "TSPropertySignature" || m.key.type !== "Identifier") continue;
        properties[m.key.name] = { title: m.key.name, ...schemaOf(m.typeAnnotation?.typeAnnotation) };
        if (!m.optional) required.push(m.key.name);
      }
      return { type: "object", properties, ...(required.length ? { required } : {}) };
    }
    case "TSTypeReference": {
      const name = refName(node);
      if (name === "Path") return { type: "string", format: "uri" };
      if (name === "Secret") return { type: "string", format: "password", writeOnly: true, "x-cog-secret": true };
      if (name === "Array" || name === "ReadonlyArray") return { type: "array", items: schemaOf(typeArg(node)) };
      if (name === "Promise") return schemaOf(typeArg(node));
      if (name === "Record") return { type: "object" };
      return {};
    }
    default:
      return {};
  }
}

function classify(annotation: TypeNode | undefined, isGenerator: boolean): OutputType {
  let node = annotation;
  while (node && refName(node) === "Promise") node = typeArg(node);
  const name = node ? refName(node) : undefined;
  if (name === "ConcatenateIterator") {
    const items = typeArg(node!) ? schemaOf(typeArg(node!)) : { type: "string" };
    return {
      kind: "concatenate",
      schema: { title: "Output", type: "array", items, "x-cog-array-type": "iterator", "x-cog-array-display": "concatenate" },
    };
  }
  if ((name && ITERATORS.has(name)) || (!node && isGenerator)) {
    return {
      kind: "iterator",
      schema: { title: "Output", type: "array", items: node ? schemaOf(typeArg(node)) : {}, "x-cog-array-type": "iterator" },
    };
  }
  return { kind: "value", schema: { title: "Output", ...schemaOf(node) } };
}

/**
 * Reads the return type of `predict` on class `className` from TypeScript
 * source, the way Cog reads Python annotations: no code is run.
 */
export function outputTypeFromSource(source: string, className: string, file: string): OutputType {
  let ast;
  try {
    ast = parse(source, { sourceType: "module", plugins: ["typescript", "decorators-legacy"], errorRecovery: true });
  } catch (err: any) {
    throw new PredictorError("PREDICTOR_LOAD", `${file}:${err.loc?.line ?? 1}: cannot parse: ${err.message}`, {
      file,
      line: err.loc?.line,
      cause: err,
    });
  }
  for (const stmt of ast.program.body as TypeNode[]) {
    const decl = stmt.type === "ExportNamedDeclaration" || stmt.type === "ExportDefaultDeclaration" ? stmt.declaration : stmt;
    if (decl?.type !== "ClassDeclaration" || decl.id?.name !== className) continue;
    const method = decl.body.body.find(
      (m: TypeNode) => (m.type === "ClassMethod" || m.type === "TSDeclareMethod") && !m.static && m.key?.name === "predict",
    );
    if (!method) return classify(undefined, false);
    return classify(method.returnType?.typeAnnotation, method.generator === true);
  }
  return classify(undefined, false);
}

/** `outputTypeFromSource` for a file on disk. */
export async function outputTypeOf(file: string, className: string): Promise<OutputType> {
  return outputTypeFromSource(await readFile(file, "utf8"), className, file);
}
