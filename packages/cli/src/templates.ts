import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_COMPILER_OPTIONS } from "./type-check/check-config.js";

/** The folder holding project templates: `$TSCOG_TEMPLATES`, or `templates/` above this package. */
export function templatesDir(): string {
  if (process.env.TSCOG_TEMPLATES) return process.env.TSCOG_TEMPLATES;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (dir !== dirname(dir)) {
    const candidate = join(dir, "templates");
    if (existsSync(join(candidate, "hello", "cog.yaml"))) return candidate;
    dir = dirname(dir);
  }
  throw new Error("tscog's templates folder was not found next to its installation; set TSCOG_TEMPLATES");
}

/** Names of the project templates (folders with a cog.yaml). */
export function templateNames(): string[] {
  const dir = templatesDir();
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, "cog.yaml")))
    .map((d) => d.name)
    .sort();
}

/** This tscog installation's package directory (symlinks resolved): what a project's package.json points at. */
export function tscogPackageDir(): string {
  return realpathSync(fileURLToPath(new URL("../..", import.meta.url)));
}

/** The version of `name` installed beside tscog, if any (for the devDependencies `init` writes). */
function installedVersion(name: string): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** A package name made from a directory name ("My Model" → "my-model"). */
function packageName(dir: string): string {
  return basename(dir).toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+|[-]+$/g, "") || "model";
}

/**
 * The files beside predict.ts and cog.yaml that make a project anywhere on
 * disk an ordinary TypeScript project: package.json (depending on this tscog
 * installation, plus typescript and Node's types for the editor and
 * `tscog check`), tsconfig.json, .gitignore and .dockerignore.
 */
export function projectSetupFiles(dir: string): Record<string, string> {
  const devDependencies: Record<string, string> = {};
  for (const name of ["@types/node", "typescript"]) {
    const version = installedVersion(name);
    if (version) devDependencies[name] = `^${version}`;
  }
  const pkg = {
    name: packageName(dir),
    version: "0.1.0",
    private: true,
    type: "module",
    scripts: { predict: "tscog predict", check: "tscog check", build: "tscog build", serve: "tscog serve" },
    dependencies: { tscog: `file:${tscogPackageDir()}` },
    devDependencies,
  };
  const tsconfig = {
    compilerOptions: { ...DEFAULT_COMPILER_OPTIONS, ...(devDependencies["@types/node"] ? { types: ["node"] } : {}) },
    include: ["**/*.ts"],
    exclude: ["node_modules", ".tscog", "dist"],
  };
  return {
    "package.json": `${JSON.stringify(pkg, null, 2)}\n`,
    "tsconfig.json": `${JSON.stringify(tsconfig, null, 2)}\n`,
    ".gitignore": "node_modules/\n.tscog/\ndist/\n",
    // tscog build always leaves these out; the file keeps `docker build` and other tools in line.
    ".dockerignore": "node_modules\n.tscog\n.git\ndist\n# what `tscog predict` writes (output.png, output.0.wav, ...)\n/output.*\n",
  };
}
