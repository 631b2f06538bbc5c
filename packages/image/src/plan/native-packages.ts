import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { createRequire, isBuiltin } from "node:module";
import { dirname, join, posix, relative, sep } from "node:path";
import { TscogError } from "@tscog/sdk";
import type { Platform } from "../oci.js";
import type { TarEntry } from "../tar-writer.js";

/** Node's names for an OCI architecture. */
function nodeArch(architecture: string): string {
  return architecture === "amd64" ? "x64" : architecture;
}

/** Dependencies only used by install scripts: never needed at run time. */
const INSTALL_ONLY: Record<string, string[]> = { "onnxruntime-node": ["adm-zip", "global-agent"] };

/**
 * Which files of a package belong in an image for `platform`. onnxruntime-node
 * ships binaries for every OS and CPU under `bin/napi-v*\/<os>/<arch>/`: only
 * the target's are kept, and its install script is dropped.
 */
export function keepPackageFile(pkg: string, rel: string, platform: Platform): boolean {
  if (pkg === "onnxruntime-node") {
    if (rel.startsWith("script/")) return false;
    const m = /^bin\/napi-v\d+\/([^/]+)\/([^/]+)\//.exec(rel);
    if (m) return m[1] === platform.os && m[2] === nodeArch(platform.architecture);
  }
  if (rel === "package.json") return true;
  // Docs, tests, source maps and TypeScript sources are not needed to run.
  return !/(^|\/)(\.github|test|tests|__tests__|docs?)\//.test(rel) && !/\.(md|map|ts|mts|cts)$/.test(rel);
}

async function packageDir(name: string, from: string | string[]): Promise<string> {
  if (Array.isArray(from)) {
    for (const [i, dir] of from.entries()) {
      try {
        return await packageDir(name, dir);
      } catch (err) {
        if (i === from.length - 1) throw err;
      }
    }
  }
  from = String(from);
  const require = createRequire(join(from, "noop.js"));
  try {
    return dirname(await realpath(require.resolve(`${name}/package.json`)));
  } catch {
    // Packages whose `exports` hide package.json: walk up from the main file.
    try {
      let dir = dirname(require.resolve(name));
      while (!(await stat(join(dir, "package.json")).then(() => true, () => false))) dir = dirname(dir);
      return await realpath(dir);
    } catch (err) {
      throw new TscogError("BUILD_FAILED", `cannot find the package "${name}" (needed in the image) from ${from}`, { cause: err, hint: `run npm install in ${from}` });
    }
  }
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, d.name);
    if (d.isDirectory()) {
      if (d.name !== "node_modules") out.push(...(await walk(full)));
    } else if (d.isFile() || d.isSymbolicLink()) out.push(full);
  }
  return out;
}

/** A package to copy into the image, and where to resolve it from. */
export interface PackageRequest {
  name: string;
  /** Directories to resolve it from, first match wins (a project, the tscog installation). */
  from: string | string[];
  /** Skip it silently when it cannot be found. */
  optional?: boolean;
}

/** Options of `nativePackageEntries`. */
export interface NativePackageOptions {
  /** Packages to copy with their run-time dependencies, e.g. onnxruntime-node and the project's dependencies. */
  packages: PackageRequest[];
  /** Where `node_modules` goes in the image, e.g. `/opt/tscog/node_modules`. */
  target: string;
  platform: Platform;
}

/**
 * Entries copying packages that cannot be bundled (native bindings) and their
 * run-time dependencies into the image's `node_modules`, pruned to the target
 * platform. Returns the entries and the host paths of native `.node` files
 * (whose shared libraries the offline base must carry) and every package copied.
 */
export async function nativePackageEntries(options: NativePackageOptions): Promise<{ entries: TarEntry[]; bindings: string[]; packages: string[] }> {
  const entries: TarEntry[] = [];
  const bindings: string[] = [];
  const done = new Set<string>();
  const queue: PackageRequest[] = [...options.packages];
  for (let item = queue.shift(); item; item = queue.shift()) {
    if (done.has(item.name)) continue;
    let dir: string;
    try {
      dir = await packageDir(item.name, item.from);
    } catch (err) {
      if (item.optional) continue;
      throw err;
    }
    done.add(item.name);
    const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    const skip = INSTALL_ONLY[item.name] ?? [];
    for (const dep of Object.keys(manifest.dependencies ?? {})) if (!skip.includes(dep)) queue.push({ name: dep, from: dir, optional: item.optional });
    for (const file of (await walk(dir)).sort()) {
      const rel = relative(dir, file).split(sep).join("/");
      if (!keepPackageFile(item.name, rel, options.platform)) continue;
      const st = await stat(file);
      const path = posix.join(options.target, item.name, rel);
      entries.push({ path, type: "file", mode: st.mode & 0o111 ? 0o755 : 0o644, uid: 0, gid: 0, source: await realpath(file), size: st.size });
      if (rel.endsWith(".node")) bindings.push(file);
    }
  }
  return { entries, bindings, packages: [...done] };
}

/**
 * The packages a bundle still imports by bare name (`import "ajv"`,
 * `import("onnxruntime-node")`, `require("x")`), Node built-ins excluded:
 * what must sit in the image's node_modules for the bundle to load.
 */
export function bareImports(code: string): string[] {
  const names = new Set<string>();
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(["'])([^"'./\s][^"'\s]*)\1/g;
  for (const m of code.matchAll(re)) {
    const spec = m[2];
    if (spec.startsWith("node:") || isBuiltin(spec)) continue;
    names.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);
  }
  return [...names].sort();
}
