/**
 * The predictor class as written in its source: where it is declared, its
 * `predict` method (also inherited from a class in the project) and the lines
 * of its input declarations, so errors can point at the author's file.
 */
import type { AstNode, SourceModule, SourceModules } from "./source-modules.js";

/** A class declaration (or expression) and the file it is in. */
export interface ClassInSource {
  node: AstNode;
  mod: SourceModule;
}

/** `predict` as declared: its return type annotation, whether it is a generator, a method or a field holding a function. */
export interface PredictInSource {
  returnType: AstNode | undefined;
  generator: boolean;
  mod: SourceModule;
  declaredAs: "method" | "field";
}

const isClass = (n: AstNode) => n.type === "ClassDeclaration" || n.type === "ClassExpression";
const keyName = (key: AstNode | undefined) => (key?.type === "Identifier" ? key.name : key?.type === "StringLiteral" ? key.value : undefined);

/** The class the module exports as `className` (`default` for `export default class`), or declares under that name. */
export function findClass(modules: SourceModules, mod: SourceModule, className: string): ClassInSource | undefined {
  const found = modules.exported(mod, className) ?? modules.lookup(mod, className);
  const node = found?.nodes.find(isClass);
  return node && found ? { node, mod: found.mod } : undefined;
}

/** `predict` on the class or, when it inherits it, on a base class declared in the project. */
export function findPredict(modules: SourceModules, cls: ClassInSource, depth = 0): PredictInSource | undefined {
  for (const m of cls.node.body.body as AstNode[]) {
    if (m.static || keyName(m.key) !== "predict") continue;
    if (m.type === "ClassMethod" || m.type === "TSDeclareMethod") {
      return { returnType: m.returnType?.typeAnnotation, generator: m.generator === true, mod: cls.mod, declaredAs: "method" };
    }
    if (m.type === "ClassProperty" && (m.value?.type === "ArrowFunctionExpression" || m.value?.type === "FunctionExpression")) {
      return { returnType: m.value.returnType?.typeAnnotation ?? m.typeAnnotation?.typeAnnotation?.returnType?.typeAnnotation, generator: m.value.generator === true, mod: cls.mod, declaredAs: "field" };
    }
  }
  const sup = cls.node.superClass;
  if (sup?.type !== "Identifier" || depth > 20) return undefined;
  const base = modules.lookup(cls.mod, sup.name)?.nodes.find(isClass);
  const baseMod = base && modules.lookup(cls.mod, sup.name)!.mod;
  return base && baseMod ? findPredict(modules, { node: base, mod: baseMod }, depth + 1) : undefined;
}

function unwrap(node: AstNode | undefined): AstNode | undefined {
  let n = node;
  while (n && ["TSAsExpression", "TSSatisfiesExpression", "TSTypeAssertion", "ParenthesizedExpression", "TSNonNullExpression"].includes(n.type)) n = n.expression;
  return n;
}

/** Line of each input's declaration (`steps: Input.integer(...)`) in `static inputs`, where the source shows them. */
export function inputLines(modules: SourceModules, cls: ClassInSource): Map<string, { file: string; line: number }> {
  const lines = new Map<string, { file: string; line: number }>();
  const field = (cls.node.body.body as AstNode[]).find((m) => m.type === "ClassProperty" && m.static && keyName(m.key) === "inputs");
  let value = unwrap(field?.value);
  let mod = cls.mod;
  if (value?.type === "Identifier") {
    const found = modules.lookup(cls.mod, value.name);
    value = unwrap(found?.nodes[0]);
    if (found) mod = found.mod;
  }
  if (value?.type !== "ObjectExpression") return lines;
  for (const p of value.properties as AstNode[]) {
    const name = p.type === "ObjectProperty" ? keyName(p.key) : undefined;
    if (name !== undefined && p.key.loc) lines.set(name, { file: mod.file, line: p.key.loc.start.line });
  }
  return lines;
}
