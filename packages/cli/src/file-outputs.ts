import { constants } from "node:fs";
import { access, copyFile, stat, writeFile } from "node:fs/promises";
import { dirname, extname, resolve } from "node:path";
import { TscogError, type JsonSchema } from "@tscog/sdk";
import type { OutputKind } from "@tscog/runtime";

/** How a predictor's output holds files: one `Path`, a list (or stream) of them, or none. */
export type FileOutputShape = "single" | "list" | undefined;

/** Reads the Output schema: `format: uri` is a file; an array (or iterator) of them is a list. */
export function fileOutputShape(schema: JsonSchema, kind: OutputKind): FileOutputShape {
  const items = schema.items as JsonSchema | undefined;
  if (kind === "value" && schema.format === "uri") return "single";
  if (items?.format === "uri" && (kind !== "value" || schema.type === "array")) return "list";
  return undefined;
}

const EXT_BY_MIME: Record<string, string> = {
  "text/plain": ".txt", "application/json": ".json", "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
  "image/webp": ".webp", "image/svg+xml": ".svg", "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/mpeg": ".mp3",
  "video/mp4": ".mp4", "application/pdf": ".pdf",
};

/** The extension a file output should get: its own, or the one of its data: URI's media type. */
function extensionOf(value: string): string {
  if (value.startsWith("data:")) return EXT_BY_MIME[value.slice(5).split(/[;,]/)[0]!.toLowerCase()] ?? "";
  if (/^https?:/.test(value)) return extname(new URL(value).pathname);
  return extname(value);
}

const cannotWrite = (message: string, file: string, hint?: string) => new TscogError("CANNOT_WRITE", message, { file, hint });

/**
 * Checks that an output file can be created before anything runs: `-o` onto
 * a directory, into a missing or unwritable directory is a CANNOT_WRITE error.
 * `flag` names where the path came from (`-o`, `--openapi-schema`); without
 * it the path is tscog's default name.
 */
export async function checkOutputPath(path: string, flag?: string): Promise<void> {
  const full = resolve(path);
  const what = flag ? `${flag} ${path}` : `the output file ${path}`;
  const st = await stat(full).catch(() => undefined);
  if (st?.isDirectory()) {
    const hint = flag ? `Give a file name, e.g. ${flag} ${path.replace(/\/$/, "")}/output${extname(path) || ".png"}.` : "Move it away, or choose another name with -o PATH.";
    throw cannotWrite(`${what} is a directory; the output is a file.`, full, hint);
  }
  const parent = dirname(full);
  const parentStat = await stat(parent).catch(() => undefined);
  if (!parentStat) throw cannotWrite(`${what}: the directory ${parent} does not exist.`, full, `Create it first (mkdir -p ${parent}) or choose another path.`);
  if (!parentStat.isDirectory()) throw cannotWrite(`${what}: ${parent} is not a directory.`, full);
  try {
    await access(st ? full : parent, constants.W_OK);
  } catch {
    throw cannotWrite(`${what}: no permission to write ${st ? full : `in ${parent}`}.`, full);
  }
}

/**
 * Writes file outputs as Cog does: `output.<ext>` in the current directory
 * (or the `-o` path), `output.0.<ext>`, `output.1.<ext>`… for several, and
 * says where on stderr. Values are local paths, data: URIs or http(s) URLs.
 */
export class FileOutputWriter {
  readonly written: string[] = [];

  constructor(
    private readonly target: string | undefined,
    private readonly list: boolean,
    private readonly log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  /** The file name for an output value (index for lists). */
  pathFor(value: string, index?: number): string {
    const suffix = index === undefined ? "" : `.${index}`;
    if (this.target) {
      const ext = extname(this.target);
      return ext ? `${this.target.slice(0, -ext.length)}${suffix}${ext}` : `${this.target}${suffix}${extensionOf(value)}`;
    }
    return `output${suffix}${extensionOf(value)}`;
  }

  /** Writes one output value to its file; returns the path. */
  async write(value: unknown, index?: number): Promise<string> {
    if (typeof value !== "string") throw new TscogError("INVALID_OUTPUT", `A file output must be a path or URL, got ${JSON.stringify(value)?.slice(0, 100)}.`);
    const path = this.pathFor(value, this.list ? (index ?? this.written.length) : undefined);
    await checkOutputPath(path, this.target ? "-o" : undefined);
    if (value.startsWith("data:") || /^https?:/.test(value)) {
      const res = await fetch(value);
      if (!res.ok) throw new TscogError("PREDICTION_FAILED", `Cannot download the output ${value.slice(0, 100)}: HTTP ${res.status}.`);
      await writeFile(path, Buffer.from(await res.arrayBuffer()));
    } else {
      await copyFile(value, path);
    }
    this.written.push(path);
    this.log(`Written output to ${path}`);
    return path;
  }

  /** Writes every file of a final output (one value or a list); returns the output with paths in place of the files. */
  async writeAll(output: unknown): Promise<unknown> {
    if (!this.list) return this.write(output);
    if (!Array.isArray(output)) throw new TscogError("INVALID_OUTPUT", "The predictor declared a list of files but returned something else.");
    const paths: string[] = [];
    for (const [i, v] of output.entries()) paths.push(await this.write(v, i));
    return paths;
  }
}
