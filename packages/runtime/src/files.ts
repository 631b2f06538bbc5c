import { existsSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, extname, join, resolve } from "node:path";
import { InputError } from "@tscog/sdk";

/** Where `Path` inputs may come from: local files (CLI) or data:/http(s) URLs (server). */
export type FileSource = "local" | "remote";

const EXT_BY_MIME: Record<string, string> = {
  "text/plain": ".txt",
  "application/json": ".json",
  "image/png": ".png",
  "image/jpeg": ".jpg",
  "image/gif": ".gif",
  "image/webp": ".webp",
  "audio/wav": ".wav",
  "audio/mpeg": ".mp3",
  "application/pdf": ".pdf",
};
const MIME_BY_EXT = Object.fromEntries(Object.entries(EXT_BY_MIME).map(([m, e]) => [e, m]));

/** A prediction's downloaded files, removed by `cleanup()`. */
export class InputFiles {
  #dir?: string;

  async #tempDir(): Promise<string> {
    this.#dir ??= await mkdtemp(join(tmpdir(), "tscog-input-"));
    return this.#dir;
  }

  /** Turns one `Path` input value into a local file path. */
  async resolve(name: string, value: string, source: FileSource): Promise<string> {
    if (/^(data|https?):/i.test(value)) return this.#download(name, value);
    if (source === "remote") {
      throw new InputError(`Input "${name}" must be a data: URI or an http(s) URL, got ${JSON.stringify(value.slice(0, 80))}.`, {
        field: name,
        details: [{ loc: ["body", "input", name], msg: "must be a data: URI or an http(s) URL", type: "value_error.url" }],
      });
    }
    const file = resolve(value);
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw new InputError(`Input "${name}": file ${file} does not exist (give a path to a readable file, or a data:/http(s) URL).`, {
        field: name,
        details: [{ loc: ["body", "input", name], msg: "file does not exist", type: "value_error.path.not_exists" }],
      });
    }
    return file;
  }

  async #download(name: string, url: string): Promise<string> {
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
    } catch (err: any) {
      throw new InputError(`Input "${name}": cannot fetch ${url.slice(0, 80)}: ${err?.cause?.message ?? err?.message ?? err}.`, { field: name, cause: err });
    }
    if (!res.ok) throw new InputError(`Input "${name}": fetching ${url.slice(0, 80)} gave HTTP ${res.status}.`, { field: name });
    const mime = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
    const fromUrl = url.startsWith("data:") ? "" : basename(new URL(url).pathname);
    const fileName = fromUrl && extname(fromUrl) ? fromUrl : `${name}${EXT_BY_MIME[mime] ?? extname(fromUrl)}`;
    const file = join(await this.#tempDir(), fileName);
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    return file;
  }

  /** Deletes every file this prediction downloaded. */
  async cleanup(): Promise<void> {
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }
}

/** True for a `Path` schema (`format: uri`). */
const isPathSchema = (schema: unknown) => (schema as Record<string, unknown> | undefined)?.format === "uri";

/** True for a schema of a `Path` or a list of them. */
export function holdsFiles(schema: unknown): boolean {
  return isPathSchema(schema) || isPathSchema((schema as Record<string, unknown> | undefined)?.items);
}

/**
 * Replaces the value of every `Path` input (`format: uri`, or a list of them)
 * in `input` with `fn(value, name)`; `name` is `input.index` for list items.
 */
export async function mapFileInputs(
  input: Record<string, unknown>,
  properties: Record<string, Record<string, unknown>>,
  fn: (value: string, name: string) => Promise<string>,
): Promise<void> {
  for (const [name, schema] of Object.entries(properties)) {
    const v = input[name];
    if (isPathSchema(schema) && typeof v === "string") input[name] = await fn(v, name);
    else if (isPathSchema(schema.items) && Array.isArray(v)) {
      input[name] = await Promise.all(v.map((item, i) => fn(String(item), `${name}.${i}`)));
    }
  }
}

/** A file as a data: URI, the way Cog returns `Path` outputs without an upload URL. */
export async function fileToDataUri(file: string): Promise<string> {
  const mime = MIME_BY_EXT[extname(file).toLowerCase()] ?? "application/octet-stream";
  return `data:${mime};base64,${(await readFile(file)).toString("base64")}`;
}

/**
 * For an Output schema with files (`format: uri`, or a list of them), a
 * function turning each local path into a data: URI; undefined otherwise.
 */
export function fileOutputEncoder(output: Record<string, unknown> | undefined): ((value: unknown) => Promise<unknown>) | undefined {
  if (!holdsFiles(output)) return undefined;
  const encode = (v: unknown): Promise<unknown> =>
    typeof v === "string" && !/^(data|https?):/.test(v) ? fileToDataUri(v) : Array.isArray(v) ? Promise.all(v.map(encode)) : Promise.resolve(v);
  return encode;
}
