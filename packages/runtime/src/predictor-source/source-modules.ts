/**
 * The predictor's TypeScript files as declarations: what each file declares,
 * imports and exports at the type level, read with @babel/parser (no code is
 * run, no type checker). Relative imports are followed on disk, as TypeScript
 * resolves them (`./types.js` → `./types.ts`, `./types` → `./types.ts` or
 * `./types/index.ts`).
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse } from "@babel/parser";
import { PredictorError } from "@tscog/sdk";

/** A Babel AST node (the parts this module reads). */
export type AstNode = { type: string; loc?: { start: { line: number; column: number } }; [key: string]: any };

/** Where an imported name comes from: `imported` is the exported name, `"*"` for a namespace import. */
export interface ImportedName {
  source: string;
  imported: string;
}

/** One parsed file. */
export interface SourceModule {
  file: string;
  /** Local declarations by name: interfaces (all of a merged name), type aliases, enums, classes, `const` initializers. */
  declarations: Map<string, AstNode[]>;
  imports: Map<string, ImportedName>;
  /** Exported name → local name, or a re-export from another file. */
  exports: Map<string, { local: string } | ImportedName>;
  /** `export * from "..."` sources. */
  starExports: string[];
}

/** The local name an anonymous `export default class` is filed under. */
export const DEFAULT_EXPORT = "*default*";

const nameOf = (node: AstNode | undefined): string | undefined => (node?.type === "Identifier" ? node.name : node?.type === "StringLiteral" ? node.value : undefined);

function declare(mod: SourceModule, name: string, node: AstNode): void {
  const list = mod.declarations.get(name);
  if (list) list.push(node);
  else mod.declarations.set(name, [node]);
}

/** Files a declaration under its name; returns that name. */
function addDeclaration(mod: SourceModule, node: AstNode): string[] {
  switch (node.type) {
    case "TSInterfaceDeclaration":
    case "TSTypeAliasDeclaration":
    case "TSEnumDeclaration":
    case "ClassDeclaration":
      if (node.id?.name) {
        declare(mod, node.id.name, node);
        return [node.id.name];
      }
      return [];
    case "VariableDeclaration": {
      const names: string[] = [];
      for (const d of node.declarations) {
        if (d.id?.type === "Identifier" && d.init) {
          declare(mod, d.id.name, d.init);
          names.push(d.id.name);
        }
      }
      return names;
    }
    default:
      return [];
  }
}

/** Parses TypeScript source into its type-level declarations, imports and exports. */
export function parseModule(source: string, file: string): SourceModule {
  let program: AstNode;
  try {
    program = parse(source, { sourceType: "module", plugins: ["typescript", "decorators-legacy"], errorRecovery: true }).program as AstNode;
  } catch (err: any) {
    throw new PredictorError("PREDICTOR_LOAD", `${file}:${err.loc?.line ?? 1}: cannot parse: ${err.message}`, { file, line: err.loc?.line, cause: err });
  }
  const mod: SourceModule = { file, declarations: new Map(), imports: new Map(), exports: new Map(), starExports: [] };
  for (const stmt of program.body as AstNode[]) {
    switch (stmt.type) {
      case "ImportDeclaration":
        for (const s of stmt.specifiers) {
          const imported = s.type === "ImportDefaultSpecifier" ? "default" : s.type === "ImportNamespaceSpecifier" ? "*" : nameOf(s.imported);
          if (imported) mod.imports.set(s.local.name, { source: stmt.source.value, imported });
        }
        break;
      case "ExportNamedDeclaration":
        if (stmt.declaration) for (const name of addDeclaration(mod, stmt.declaration)) mod.exports.set(name, { local: name });
        for (const s of stmt.specifiers ?? []) {
          const exported = nameOf(s.exported);
          if (!exported) continue;
          if (stmt.source) mod.exports.set(exported, { source: stmt.source.value, imported: s.type === "ExportNamespaceSpecifier" ? "*" : nameOf(s.local)! });
          else mod.exports.set(exported, { local: nameOf(s.local)! });
        }
        break;
      case "ExportDefaultDeclaration": {
        const d = stmt.declaration;
        if (d.type === "Identifier") mod.exports.set("default", { local: d.name });
        else if ((d.type === "ClassDeclaration" || d.type === "TSInterfaceDeclaration") && d.id?.name) {
          addDeclaration(mod, d);
          mod.exports.set("default", { local: d.id.name });
        } else {
          declare(mod, DEFAULT_EXPORT, d);
          mod.exports.set("default", { local: DEFAULT_EXPORT });
        }
        break;
      }
      case "ExportAllDeclaration":
        if (stmt.exported) mod.exports.set(nameOf(stmt.exported)!, { source: stmt.source.value, imported: "*" });
        else mod.starExports.push(stmt.source.value);
        break;
      default:
        addDeclaration(mod, stmt);
    }
  }
  return mod;
}

/** A declaration found by name, with the file it is in. */
export interface Found {
  mod: SourceModule;
  nodes: AstNode[];
}

const isFile = (path: string) => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** Reads files on demand (each once) and follows names across relative imports and re-exports. */
export class SourceModules {
  readonly #modules = new Map<string, SourceModule>();

  /** Registers a file's source (the predictor file, already read). */
  add(file: string, source: string): SourceModule {
    const mod = parseModule(source, file);
    this.#modules.set(file, mod);
    return mod;
  }

  /** The file a relative specifier names, as TypeScript resolves it; undefined for packages and missing files. */
  resolveSpecifier(from: SourceModule, specifier: string): string | undefined {
    if (!specifier.startsWith("./") && !specifier.startsWith("../") && !specifier.startsWith("/")) return undefined;
    const base = resolve(dirname(from.file), specifier);
    const swapped = base.replace(/\.([mc]?)jsx?$/, (_, m: string) => `.${m}ts`);
    const candidates = [swapped, swapped.replace(/\.ts$/, ".tsx"), base, `${base}.ts`, `${base}.tsx`, `${base}.mts`, `${base}.d.ts`, `${base}/index.ts`];
    return candidates.find(isFile);
  }

  /** The parsed module at a relative specifier; undefined when it is a package or cannot be found. */
  module(from: SourceModule, specifier: string): SourceModule | undefined {
    const file = this.resolveSpecifier(from, specifier);
    if (!file) return undefined;
    let mod = this.#modules.get(file);
    if (!mod) {
      mod = parseModule(readFileSync(file, "utf8"), file);
      this.#modules.set(file, mod);
    }
    return mod;
  }

  /** A name as seen from inside `mod`: declared there, or imported from a relative file. */
  lookup(mod: SourceModule, name: string, seen = new Set<string>()): Found | undefined {
    const nodes = mod.declarations.get(name);
    if (nodes) return { mod, nodes };
    const imported = mod.imports.get(name);
    if (!imported || imported.imported === "*") return undefined;
    const target = this.module(mod, imported.source);
    return target && this.exported(target, imported.imported, seen);
  }

  /** What `mod` exports under `name`, following re-exports and `export *`. */
  exported(mod: SourceModule, name: string, seen = new Set<string>()): Found | undefined {
    const key = `${mod.file}#${name}`;
    if (seen.has(key)) return undefined;
    seen.add(key);
    const entry = mod.exports.get(name);
    if (entry && "local" in entry) return this.lookup(mod, entry.local, seen);
    if (entry && entry.imported !== "*") {
      const target = this.module(mod, entry.source);
      return target && this.exported(target, entry.imported, seen);
    }
    for (const source of mod.starExports) {
      const target = this.module(mod, source);
      const found = target && this.exported(target, name, seen);
      if (found) return found;
    }
    return undefined;
  }

  /** The module a namespace import (`import * as t from "./types"`) names, when it is a relative file. */
  namespace(mod: SourceModule, local: string): SourceModule | undefined {
    const imported = mod.imports.get(local);
    return imported?.imported === "*" ? this.module(mod, imported.source) : undefined;
  }
}
