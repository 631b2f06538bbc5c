import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build, type Message, type Plugin } from "esbuild";
import { PredictorError } from "@tscog/sdk";
import type { Project } from "./project.js";

/** How imports of packages other than tscog are written into the bundle. */
export type ExternalMode =
  /** Rewritten to absolute file URLs resolved on this machine (local runs). */
  | "absolute"
  /** Left as bare names, to be resolved next to the bundle (images). */
  | "bare";

export interface BundleOptions {
  /** Where to write the bundle; a fresh temporary file by default. */
  outFile?: string;
  externals?: ExternalMode;
  /**
   * Where the project's files live when the bundle runs (e.g. `/src` in an
   * image); `import.meta.url`, `.dirname` and `.filename` in the author's files
   * point there. Default: the project directory itself.
   */
  runtimeDir?: string;
}

export interface PredictorBundle {
  file: string;
  code: string;
}

const TSCOG_NAMES = /^(tscog|@tscog\/[a-z-]+)$/;
const TSCOG_DIR = dirname(fileURLToPath(import.meta.url));
const RESOLVING = Symbol("tscog-resolving");

/** Resolves `tscog` to this installation and decides how other packages are imported. */
function importsPlugin(project: Project, externals: ExternalMode): Plugin {
  return {
    name: "tscog-imports",
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === RESOLVING) return undefined;
        if (args.path.startsWith("node:")) return { path: args.path, external: true };
        const pkg = args.path.startsWith("@") ? args.path.split("/").slice(0, 2).join("/") : args.path.split("/")[0]!;
        if (TSCOG_NAMES.test(pkg)) {
          let target: string;
          try {
            target = fileURLToPath(import.meta.resolve(args.path));
          } catch {
            target = fileURLToPath(import.meta.resolve("@tscog/sdk"));
          }
          return { path: target };
        }
        if (externals === "bare") return { path: args.path, external: true };
        // Resolve as Node's ESM loader would (the "import" condition), from the
        // importing file, then from tscog's own installation.
        for (const resolveDir of [args.resolveDir || project.dir, TSCOG_DIR]) {
          const r = await b.resolve(args.path, { kind: args.kind, resolveDir, importer: args.importer, pluginData: RESOLVING });
          if (r.errors.length === 0) return r.external ? { path: args.path, external: true } : { path: pathToFileURL(r.path).href, external: true };
        }
        return { errors: [{ text: `Cannot find package "${pkg}". Install it in the project (npm install ${pkg}).` }] };
      });
    },
  };
}

/**
 * Keeps `import.meta.url` in the author's files pointing at their source
 * location rather than at the bundle, so `new URL("./model", import.meta.url)`
 * finds files next to predict.ts.
 */
function sourceLocationPlugin(project: Project, runtimeDir: string): Plugin {
  return {
    name: "tscog-source-location",
    setup(b) {
      b.onLoad({ filter: /\.(m?[jt]s|tsx)$/ }, async (args) => {
        if (!args.path.startsWith(project.dir + "/") || args.path.includes("/node_modules/")) return undefined;
        const runtimeFile = join(runtimeDir, relative(project.dir, args.path));
        const text = (await readFile(args.path, "utf8"))
          .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(runtimeFile).href))
          .replaceAll("import.meta.dirname", JSON.stringify(dirname(runtimeFile)))
          .replaceAll("import.meta.filename", JSON.stringify(runtimeFile));
        const ext = args.path.split(".").pop()!;
        return { contents: text, loader: ext.endsWith("ts") || ext === "tsx" ? (ext === "tsx" ? "tsx" : "ts") : "js" };
      });
    },
  };
}

function formatMessage(m: Message, dir: string): string {
  if (!m.location) return m.text;
  const { file, line, column, lineText } = m.location;
  return `${relative(dir, file) || file}:${line}:${column + 1}: ${m.text}\n    ${lineText}`;
}

/**
 * Compiles the project's predictor and everything it imports from tscog into
 * one ESM file with an inline source map, so errors point at the author's
 * file and line. Other packages stay external.
 */
export async function bundlePredictor(project: Project, options: BundleOptions = {}): Promise<PredictorBundle> {
  const outFile = options.outFile ?? join(await mkdtemp(join(tmpdir(), "tscog-")), "predictor.mjs");
  let code: string;
  try {
    const result = await build({
      entryPoints: [project.predictor.file],
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      target: "node20",
      sourcemap: "inline",
      sourcesContent: false,
      logLevel: "silent",
      absWorkingDir: project.dir,
      outfile: outFile,
      banner: {
        js: 'import { createRequire as __tscogCreateRequire } from "node:module"; const require = __tscogCreateRequire(import.meta.url);',
      },
      plugins: [
        importsPlugin(project, options.externals ?? "absolute"),
        sourceLocationPlugin(project, options.runtimeDir ?? project.dir),
      ],
    });
    code = result.outputFiles[0]!.text;
  } catch (err: any) {
    const messages: Message[] = err?.errors ?? [];
    const first = messages[0];
    const text = messages.length
      ? messages.map((m) => formatMessage(m, project.dir)).join("\n")
      : String(err?.message ?? err);
    throw new PredictorError("PREDICTOR_LOAD", `The predictor does not compile:\n${text}`, {
      file: first?.location?.file ? join(project.dir, first.location.file) : project.predictor.file,
      line: first?.location?.line,
      column: first?.location ? first.location.column + 1 : undefined,
      cause: err,
    });
  }
  await mkdir(dirname(outFile), { recursive: true });
  await writeFile(outFile, code);
  return { file: outFile, code };
}
