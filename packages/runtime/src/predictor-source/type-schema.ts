/**
 * TypeScript types → JSON Schema for the OpenAPI `Output`, the way Cog turns
 * a Pydantic output model into its `Output` component: object types,
 * interfaces and type aliases (in the predictor's file or imported from a
 * relative file), arrays, optional members, string-literal unions (enums),
 * `Path` (a file: `format: uri`). A type it cannot describe is an error naming
 * the file and line, never a silent `{}`.
 */
import { schemaTitle, type JsonSchema } from "@tscog/sdk";
import { builtinSchema, mergeObjectSchemas, unionSchema } from "./schema-shapes.js";
import type { AstNode, SourceModule, SourceModules } from "./source-modules.js";

/** What the output type may use, for error messages. */
export const SUPPORTED_OUTPUT_TYPES =
  "string, number, boolean, null, literal types and unions of them, arrays (T[], Array<T>), tuples, object types, " +
  "interfaces, type aliases and enums (declared in the predictor's file or imported from a relative file such as ./types.js), " +
  "Record<string, T>, Partial/Required/Readonly/Pick/Omit of those, Path (a file), Secret, Date, and any/unknown for values left undescribed";

/** A type tscog cannot describe, with where it is written. */
export class UnsupportedType extends Error {
  constructor(
    readonly what: string,
    readonly file: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
  ) {
    super(what);
  }
}

/** The file and type parameters a type node is read in. */
export interface Scope {
  mod: SourceModule;
  params: Map<string, { node: AstNode | undefined; scope: Scope }>;
}

const ITERATORS = new Set(["AsyncGenerator", "AsyncIterator", "AsyncIterable", "AsyncIterableIterator", "Generator", "Iterator", "Iterable", "ConcatenateIterator"]);

const typeArgs = (node: AstNode): AstNode[] => (node.typeParameters ?? node.typeArguments)?.params ?? [];

/** The plain name of a type reference (`Foo`, or `Foo` in `ns.Foo`). */
export function referenceName(node: AstNode | undefined): string | undefined {
  if (node?.type !== "TSTypeReference") return undefined;
  const n = node.typeName;
  return n.type === "Identifier" ? n.name : n.type === "TSQualifiedName" ? n.right.name : undefined;
}

/** First type argument of a reference (`T` in `Promise<T>`). */
export const firstTypeArg = (node: AstNode): AstNode | undefined => typeArgs(node)[0];

/** The text of a `/** ... *\/` comment right before a member, as its description. */
function docComment(node: AstNode): string | undefined {
  const block = (node.leadingComments as { type: string; value: string }[] | undefined)?.filter((c) => c.type === "CommentBlock" && c.value.startsWith("*")).pop();
  if (!block) return undefined;
  const text = block.value
    .slice(1)
    .split("\n")
    .map((l) => l.replace(/^\s*\*\s?/, "").trim())
    .filter((l) => l && !l.startsWith("@"))
    .join(" ")
    .trim();
  return text || undefined;
}

const propertyName = (key: AstNode): string | undefined =>
  key.type === "Identifier" ? key.name : key.type === "StringLiteral" ? key.value : key.type === "NumericLiteral" ? String(key.value) : undefined;

/** Converts type annotations to JSON Schema, following names across the predictor's files. */
export class TypeSchemas {
  readonly #stack: string[] = [];

  constructor(readonly modules: SourceModules) {}

  unsupported(node: AstNode, scope: Scope, what: string): UnsupportedType {
    return new UnsupportedType(what, scope.mod.file, node.loc?.start.line, node.loc ? node.loc.start.column + 1 : undefined);
  }

  /** JSON Schema for one type node; throws `UnsupportedType`. */
  schema(node: AstNode | undefined, scope: Scope): JsonSchema {
    if (!node) return {};
    switch (node.type) {
      case "TSStringKeyword":
        return { type: "string" };
      case "TSNumberKeyword":
        return { type: "number" };
      case "TSBigIntKeyword":
        return { type: "integer" };
      case "TSBooleanKeyword":
        return { type: "boolean" };
      case "TSNullKeyword":
        return { nullable: true };
      case "TSObjectKeyword":
        return { type: "object" };
      case "TSAnyKeyword":
      case "TSUnknownKeyword":
      case "TSVoidKeyword":
      case "TSUndefinedKeyword":
        return {};
      case "TSParenthesizedType":
      case "TSOptionalType":
        return this.schema(node.typeAnnotation, scope);
      case "TSTypeOperator":
        if (node.operator === "readonly") return this.schema(node.typeAnnotation, scope);
        throw this.unsupported(node, scope, `\`${node.operator}\` types`);
      case "TSLiteralType":
        return this.literal(node, scope);
      case "TSArrayType":
        return { type: "array", items: this.schema(node.elementType, scope) };
      case "TSTupleType":
        return this.tuple(node, scope);
      case "TSUnionType":
        return this.union(node, scope);
      case "TSIntersectionType":
        return this.intersection(node.types.map((t: AstNode) => ({ node: t, schema: this.schema(t, scope) })), scope);
      case "TSTypeLiteral":
        return this.object(node.body ?? node.members, scope);
      case "TSTypeReference":
        return this.reference(node, scope);
      case "TSFunctionType":
      case "TSConstructorType":
        throw this.unsupported(node, scope, "functions (JSON cannot carry them)");
      case "TSTypeQuery":
        throw this.unsupported(node, scope, "`typeof` types (write the type out, or give it a name with an interface)");
      case "TSIndexedAccessType":
        throw this.unsupported(node, scope, "indexed access types (T[K])");
      case "TSConditionalType":
        throw this.unsupported(node, scope, "conditional types");
      case "TSMappedType":
        throw this.unsupported(node, scope, "mapped types");
      case "TSImportType":
        throw this.unsupported(node, scope, '`import("...")` types (import the type by name instead)');
      default:
        throw this.unsupported(node, scope, `${node.type.replace(/^TS/, "").replace(/Type$|Keyword$/, "")} types`);
    }
  }

  private literal(node: AstNode, scope: Scope): JsonSchema {
    const lit = node.literal;
    switch (lit.type) {
      case "StringLiteral":
        return { type: "string", enum: [lit.value] };
      case "NumericLiteral":
        return { type: Number.isInteger(lit.value) ? "integer" : "number", enum: [lit.value] };
      case "BooleanLiteral":
        return { type: "boolean", enum: [lit.value] };
      case "TemplateLiteral":
        return { type: "string" };
      case "UnaryExpression":
        if (lit.operator === "-" && lit.argument.type === "NumericLiteral") return { type: Number.isInteger(lit.argument.value) ? "integer" : "number", enum: [-lit.argument.value] };
    }
    throw this.unsupported(node, scope, "this literal type");
  }

  private tuple(node: AstNode, scope: Scope): JsonSchema {
    const elements: AstNode[] = node.elementTypes;
    const rest = elements.some((e) => e.type === "TSRestType");
    const items = elements.map((e) => this.schema(e.type === "TSNamedTupleMember" ? e.elementType : e.type === "TSRestType" ? firstTypeArg(e.typeAnnotation) ?? e.typeAnnotation.elementType : e, scope));
    const distinct = [...new Map(items.map((s) => [JSON.stringify(s), s])).values()];
    const required = elements.filter((e) => e.type !== "TSOptionalType" && e.type !== "TSRestType" && !e.optional).length;
    return {
      type: "array",
      items: distinct.length === 1 ? distinct[0] : { anyOf: distinct },
      minItems: required,
      ...(rest ? {} : { maxItems: elements.length }),
    };
  }

  /** `"a" | "b"` → an enum; `T | null` → nullable T; `T | undefined` → T; anything else → anyOf. */
  private union(node: AstNode, scope: Scope): JsonSchema {
    const members = (node.types as AstNode[]).filter((t) => t.type !== "TSUndefinedKeyword" && t.type !== "TSVoidKeyword");
    return unionSchema(members.map((t) => this.schema(t, scope)));
  }

  private intersection(parts: { node: AstNode; schema: JsonSchema }[], scope: Scope): JsonSchema {
    const notObject = parts.find((p) => p.schema.type !== "object");
    if (notObject) throw this.unsupported(notObject.node, scope, "an intersection (&) with a type that is not an object type");
    return mergeObjectSchemas(parts.map((p) => p.schema));
  }

  /** Members of an object type, interface body or class body. */
  object(members: AstNode[], scope: Scope): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    let additional: JsonSchema | undefined;
    for (const m of members) {
      if (m.type === "TSIndexSignature") {
        additional = this.schema(m.typeAnnotation?.typeAnnotation, scope);
        continue;
      }
      // A class's private and protected fields are still in its JSON; `#private` ones and statics are not.
      const isProperty = m.type === "TSPropertySignature" || (m.type === "ClassProperty" && !m.static);
      if (!isProperty || m.computed) continue;
      const name = propertyName(m.key);
      if (name === undefined) continue;
      const annotation: AstNode | undefined = m.typeAnnotation?.typeAnnotation;
      const description = docComment(m);
      properties[name] = { title: schemaTitle(name), ...this.schema(annotation, scope), ...(description ? { description } : {}) };
      const maybeUndefined = annotation?.type === "TSUnionType" && annotation.types.some((t: AstNode) => t.type === "TSUndefinedKeyword");
      if (!m.optional && !maybeUndefined) required.push(name);
    }
    return {
      type: "object",
      properties,
      ...(required.length ? { required } : {}),
      ...(additional && Object.keys(additional).length ? { additionalProperties: additional } : {}),
    };
  }

  private reference(node: AstNode, scope: Scope): JsonSchema {
    const args = typeArgs(node);
    if (node.typeName.type === "TSQualifiedName") {
      const ns = node.typeName.left.type === "Identifier" ? this.modules.namespace(scope.mod, node.typeName.left.name) : undefined;
      const found = ns && this.modules.exported(ns, node.typeName.right.name);
      if (!found) throw this.unsupported(node, scope, `the type ${node.typeName.left.name ?? "?"}.${node.typeName.right.name}, which is not a type exported by a relative file imported with \`import * as\``);
      return this.declared(node, node.typeName.right.name, found.mod, found.nodes, args, scope);
    }
    const name: string = node.typeName.name;
    const param = scope.params.get(name);
    if (param) return this.schema(param.node, param.scope);
    const found = this.modules.lookup(scope.mod, name);
    if (found) return this.declared(node, name, found.mod, found.nodes, args, scope);
    const imported = scope.mod.imports.get(name);
    if (imported && this.modules.resolveSpecifier(scope.mod, imported.source) === undefined && /^\.{0,2}\//.test(imported.source)) {
      throw this.unsupported(node, scope, `the type ${name}: "${imported.source}" was not found (looked for .ts, .tsx, .mts, .d.ts and index.ts)`);
    }
    if (imported && /^\.{0,2}\//.test(imported.source)) {
      throw this.unsupported(node, scope, `the type ${name}: "${imported.source}" does not export a type named ${imported.imported}`);
    }
    const builtinName = imported && imported.imported !== "*" ? imported.imported : name;
    return this.builtin(node, builtinName, args, scope, imported?.source);
  }

  private builtin(node: AstNode, name: string, args: AstNode[], scope: Scope, from: string | undefined): JsonSchema {
    const found = builtinSchema(name, (i) => this.schema(args[i], scope), (what) => {
      throw this.unsupported(node, scope, what);
    });
    if (found) return found;
    if (ITERATORS.has(name)) throw this.unsupported(node, scope, `${name} inside another type (an iterator can only be the whole return type of predict)`);
    const origin = from ? `imported from "${from}" (a package: tscog reads types only from the predictor's own files)` : "not declared in this file or imported from a relative file";
    throw this.unsupported(node, scope, `the type ${name}, ${origin}`);
  }

  /** A name declared in one of the predictor's files: interface, type alias, enum or class. */
  private declared(node: AstNode, name: string, mod: SourceModule, nodes: AstNode[], args: AstNode[], scope: Scope): JsonSchema {
    const key = `${mod.file}#${name}`;
    if (this.#stack.includes(key)) throw this.unsupported(node, scope, `the recursive type ${name} (JSON Schema here is written out in full, so a type cannot contain itself)`);
    this.#stack.push(key);
    try {
      const first = nodes.find((n) => n.type.startsWith("TS") || n.type === "ClassDeclaration") ?? nodes[0]!;
      const inner = (decl: AstNode): Scope => {
        const params = new Map<string, { node: AstNode | undefined; scope: Scope }>();
        (decl.typeParameters?.params ?? []).forEach((p: AstNode, i: number) => params.set(p.name?.name ?? p.name, { node: args[i] ?? p.default, scope: args[i] ? scope : { mod, params } }));
        return { mod, params };
      };
      switch (first.type) {
        case "TSTypeAliasDeclaration":
          return this.schema(first.typeAnnotation, inner(first));
        case "TSEnumDeclaration":
          return this.enumSchema(first, { mod, params: new Map() });
        case "TSInterfaceDeclaration": {
          const parts: { node: AstNode; schema: JsonSchema }[] = [];
          for (const decl of nodes.filter((n) => n.type === "TSInterfaceDeclaration")) {
            const s = inner(decl);
            for (const heritage of decl.extends ?? []) {
              const ref: AstNode = { type: "TSTypeReference", typeName: heritage.expression, typeParameters: heritage.typeParameters ?? heritage.typeArguments, loc: heritage.loc };
              parts.push({ node: heritage, schema: this.schema(ref, s) });
            }
            parts.push({ node: decl, schema: this.object(decl.body.body, s) });
          }
          return this.intersection(parts, { mod, params: new Map() });
        }
        case "ClassDeclaration":
          return this.object(first.body.body, inner(first));
        default:
          throw this.unsupported(node, scope, `${name}, which is a value, not a type`);
      }
    } finally {
      this.#stack.pop();
    }
  }

  private enumSchema(decl: AstNode, scope: Scope): JsonSchema {
    const values: unknown[] = [];
    let next = 0;
    for (const m of decl.members ?? decl.body?.members ?? []) {
      const init = m.initializer;
      if (!init) values.push(next++);
      else if (init.type === "StringLiteral") values.push(init.value);
      else if (init.type === "NumericLiteral") {
        values.push(init.value);
        next = init.value + 1;
      } else throw this.unsupported(m, scope, "enum members computed from expressions (give each a string or number literal)");
    }
    const allStrings = values.every((v) => typeof v === "string");
    const allNumbers = values.every((v) => typeof v === "number");
    if (!allStrings && !allNumbers) return { enum: values };
    return { type: allStrings ? "string" : values.every((v) => Number.isInteger(v)) ? "integer" : "number", enum: values };
  }
}

/** Whether a reference names an iterator (the return type of a generator `predict`). */
export const isIteratorName = (name: string | undefined): boolean => name !== undefined && ITERATORS.has(name);
