import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve as resolvePath } from "node:path";
import { randomBytes } from "node:crypto";
import { TscogError } from "@tscog/sdk";
import { sha256Digest, digestHex } from "../digest.js";

/** Options of `bundleServer`. */
export interface BundleServerOptions {
  /** The server's entry module (e.g. tscog's `serve-main.js`). */
  entry: string;
  /** Directory for the output (content-addressed file name). */
  outDir: string;
  /** Packages left as imports (they are copied into the image's node_modules). */
  external: string[];
}

/** A bundled server: the bundle file and the data files it reads, to ship beside it. */
export interface ServerBundle {
  file: string;
  /** Files referenced as `new URL("./x.json", import.meta.url)`: `path` is relative to the bundle's directory. */
  assets: { path: string; source: string }[];
}

const CODE_FILE = /\.(js|mjs|cjs|ts|mts|cts|node)$/;
const ASSET_URL = /new URL\((["'])(\.{1,2}\/[^"'\n]+)\1,\s*import\.meta\.url\)/g;

/**
 * An esbuild plugin for data files packages read next to their own module
 * (`readFileSync(new URL("../schema/x.json", import.meta.url))`): once bundled,
 * `import.meta.url` is the bundle's, so each such URL is rewritten to
 * `./assets/<hash>-<name>` and the file is listed for copying there.
 */
function assetUrlPlugin(assets: Map<string, string>): import("esbuild").Plugin {
  return {
    name: "tscog-asset-urls",
    setup(b) {
      b.onLoad({ filter: /\.(js|mjs)$/ }, async (args) => {
        const text = await readFile(args.path, "utf8");
        if (!text.includes("import.meta.url")) return undefined;
        let changed = false;
        const out = await replaceAsync(text, ASSET_URL, async (whole, _q, rel: string) => {
          if (CODE_FILE.test(rel)) return whole;
          const source = resolvePath(dirname(args.path), rel);
          const bytes = await readFile(source).catch(() => undefined);
          if (!bytes) return whole;
          const path = `assets/${digestHex(sha256Digest(bytes)).slice(0, 12)}-${basename(source)}`;
          assets.set(path, source);
          changed = true;
          return `new URL(${JSON.stringify("./" + path)}, import.meta.url)`;
        });
        return changed ? { contents: out, loader: "js" } : undefined;
      });
    },
  };
}

async function replaceAsync(text: string, re: RegExp, fn: (...m: string[]) => Promise<string>): Promise<string> {
  const parts: Promise<string>[] = [];
  let last = 0;
  for (const m of text.matchAll(re)) {
    parts.push(Promise.resolve(text.slice(last, m.index)), fn(...(m as unknown as string[])));
    last = m.index! + m[0].length;
  }
  parts.push(Promise.resolve(text.slice(last)));
  return (await Promise.all(parts)).join("");
}

/**
 * Bundles the server entry with esbuild into one ESM file for Node 20, with
 * the native packages left external and data files collected as assets.
 * Same inputs, same bytes: the output is stored under its own digest.
 */
export async function bundleServer(options: BundleServerOptions): Promise<ServerBundle> {
  const esbuild = await import("esbuild");
  const assets = new Map<string, string>();
  let code: Uint8Array;
  try {
    const result = await esbuild.build({
      entryPoints: [options.entry],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      write: false,
      external: options.external,
      legalComments: "none",
      plugins: [assetUrlPlugin(assets)],
      logLevel: "silent",
      // CommonJS dependencies inside an ESM bundle still call require().
      banner: { js: 'import { createRequire as __tscogCreateRequire } from "node:module"; const require = __tscogCreateRequire(import.meta.url);' },
    });
    code = result.outputFiles[0].contents;
  } catch (err) {
    throw new TscogError("BUILD_FAILED", `cannot bundle the server entry ${options.entry}: ${(err as Error).message.split("\n")[0]}`, { cause: err, file: options.entry });
  }
  await mkdir(options.outDir, { recursive: true });
  const file = join(options.outDir, `server-${digestHex(sha256Digest(code)).slice(0, 16)}.mjs`);
  const existing = await readFile(file).catch(() => undefined);
  if (!existing || !existing.equals(code)) {
    const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await writeFile(tmp, code);
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
  return { file, assets: [...assets].sort().map(([path, source]) => ({ path, source })) };
}
