import { createWriteStream, existsSync, statSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, extname, join, resolve } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { InputError, PredictorError } from "@tscog/sdk";
import { outboundRequest } from "./outbound-request.js";
import { UrlPolicyError, type UrlPolicy } from "./url-policy.js";

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

/** Limits and address policy for `Path` inputs given as http(s) URLs. */
export interface DownloadOptions {
  /** Also fetch from loopback, private, link-local and other non-public addresses (local development). Default false. */
  allowPrivateUrls?: boolean;
  /** Hosts fetched whatever they resolve to: exact names or IPs, or `*.example.com`. */
  trustedHosts?: readonly string[];
  /** Largest file, in bytes (data: URIs included). Default 100 MiB. */
  maxBytes?: number;
  /** Time for the whole download, redirects included, in ms; 0 for none. Default 60 s. */
  timeoutMs?: number;
  /** The server's own uploads (`POST /v1/files`): their URLs are read from this store instead of downloaded. */
  ownFiles?: OwnFiles;
}

/**
 * Where the server keeps uploaded files: `<dir>/<id>` (bytes) beside
 * `<dir>/<id>.json` (its record, with the `origin` its URLs were given under),
 * and `<dir>/origins.json` (every such origin). A URL
 * `<origin>/v1/files/<id>[/content]` is the server's own when its origin is
 * one of those or of `origins` (the server's public URL).
 */
export interface OwnFiles {
  dir: string;
  origins?: readonly string[];
}

/** The path of the server's own file URLs: `/v1/files/<id>` or `/v1/files/<id>/content`. */
const OWN_FILE_PATH = /^\/v1\/files\/([a-z2-7]{26})(?:\/content)?\/?$/;

/** Defaults of `DownloadOptions`. */
export const DOWNLOAD_DEFAULTS = { maxBytes: 100 * 1024 * 1024, timeoutMs: 60_000, maxRedirects: 5 } as const;

/**
 * A prediction's downloaded files, removed by `cleanup()`. Downloads stop at
 * once when the prediction's signal aborts (the prediction is then CANCELED)
 * or when `cleanup()` runs.
 */
export class InputFiles {
  #dir?: string;
  #count = 0;
  readonly #stop = new AbortController();

  constructor(private readonly options: DownloadOptions = {}) {}

  async #tempFile(fileName: string): Promise<string> {
    this.#dir ??= await mkdtemp(join(tmpdir(), "tscog-input-"));
    // One folder per file: two URLs ending in the same name must not overwrite each other.
    const folder = join(this.#dir, String(this.#count++));
    await mkdir(folder);
    return join(folder, fileName);
  }

  /** Turns one `Path` input value into a local file path; `signal` is the prediction's. */
  async resolve(name: string, value: string, source: FileSource, signal?: AbortSignal): Promise<string> {
    if (/^data:/i.test(value)) return this.#decodeDataUri(name, value);
    if (/^https?:/i.test(value)) return (await this.#ownFile(name, value)) ?? this.#download(name, value, signal);
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

  async #decodeDataUri(name: string, uri: string): Promise<string> {
    const maxBytes = this.options.maxBytes ?? DOWNLOAD_DEFAULTS.maxBytes;
    let res: Response;
    try {
      res = await fetch(uri);
    } catch (err) {
      throw new InputError(`Input "${name}": not a valid data: URI.`, { field: name, cause: err });
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > maxBytes) throw tooLarge(name, "the data: URI", maxBytes);
    const mime = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
    const file = await this.#tempFile(`${name}${EXT_BY_MIME[mime] ?? ""}`);
    await writeFile(file, bytes);
    return file;
  }

  /** A copy of one of the server's own uploaded files, or undefined when `url` is not one of them. */
  async #ownFile(name: string, url: string): Promise<string | undefined> {
    const own = this.options.ownFiles;
    if (!own) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    const id = OWN_FILE_PATH.exec(parsed.pathname)?.[1];
    if (!id || parsed.search) return undefined;
    let record: { origin?: string; name?: string; contentType?: string; size?: number; expiresAt?: string } | undefined;
    try {
      record = JSON.parse(await readFile(join(own.dir, `${id}.json`), "utf8"));
    } catch {
      record = undefined;
    }
    if (parsed.origin !== record?.origin && !own.origins?.includes(parsed.origin) && !(await knownOrigins(own.dir)).includes(parsed.origin)) return undefined;
    const missing = () =>
      new InputError(`Input "${name}": there is no file ${id} on this server (it may have expired or been deleted); upload it again with POST /v1/files.`, {
        field: name,
        details: [{ loc: ["body", "input", name], msg: "file does not exist", type: "value_error.path.not_exists" }],
      });
    if (!record || Date.parse(record.expiresAt ?? "") <= Date.now()) throw missing();
    const maxBytes = this.options.maxBytes ?? DOWNLOAD_DEFAULTS.maxBytes;
    if ((record.size ?? 0) > maxBytes) throw tooLarge(name, `the file ${id}`, maxBytes);
    const stored = basename(record.name ?? "");
    const file = await this.#tempFile(stored && stored !== "." && stored !== ".." && extname(stored) ? stored : `${name}${EXT_BY_MIME[record.contentType ?? ""] ?? ""}`);
    try {
      await copyFile(join(own.dir, id), file);
    } catch {
      throw missing();
    }
    return file;
  }

  async #download(name: string, url: string, signal?: AbortSignal): Promise<string> {
    const timeoutMs = this.options.timeoutMs ?? DOWNLOAD_DEFAULTS.timeoutMs;
    const timeout = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
    const stop = AbortSignal.any([this.#stop.signal, ...(timeout ? [timeout] : []), ...(signal ? [signal] : [])]);
    const origin = originOf(url);
    try {
      return await downloadUrl(url, stop, this.options, (contentType) => this.#tempFile(fileNameFor(name, url, contentType)));
    } catch (err) {
      if (signal?.aborted || this.#stop.signal.aborted) throw new PredictorError("CANCELED", "The prediction was canceled.", { cause: err });
      const where = `Input "${name}": could not fetch the file at ${origin}`;
      if (err instanceof UrlPolicyError) {
        throw new InputError(`${where}: refused by the server's URL policy (only http(s) URLs on public addresses are fetched).`, { field: name, cause: err });
      }
      if (err instanceof DownloadRefused) throw new InputError(`${where}: ${err.message}.`, { field: name, cause: err });
      if (timeout?.aborted) throw new InputError(`${where}: the download did not finish within ${timeoutMs / 1000} s.`, { field: name, cause: err });
      throw new InputError(`${where}: download failed.`, { field: name, cause: err });
    }
  }

  /** Stops downloads still running and deletes every file this prediction downloaded. */
  async cleanup(): Promise<void> {
    this.#stop.abort();
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }
}

/** The origins the server's file URLs were handed out under (empty when none were). */
async function knownOrigins(dir: string): Promise<string[]> {
  try {
    const list: unknown = JSON.parse(await readFile(join(dir, "origins.json"), "utf8"));
    return Array.isArray(list) ? list.filter((o): o is string => typeof o === "string") : [];
  } catch {
    return [];
  }
}

/** A download stopped for a reason the client may be told (HTTP status, size). */
class DownloadRefused extends Error {}

const tooLarge = (name: string, what: string, maxBytes: number) =>
  new InputError(`Input "${name}": ${what} is larger than the server's limit of ${maxBytes} bytes.`, { field: name });

/** The URL's file name when it has an extension, else the input's name with one for the content type. */
function fileNameFor(name: string, url: string, contentType: string): string {
  const fromUrl = basename(new URL(url).pathname);
  if (fromUrl !== "." && fromUrl !== ".." && extname(fromUrl)) return fromUrl;
  return `${name}${EXT_BY_MIME[contentType.split(";")[0]!.trim()] ?? ""}`;
}

/** `scheme://host:port` of a URL: what error messages show (paths and queries may hold credentials). */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(an invalid URL)";
  }
}

/** Counts bytes through, failing once there are more than `maxBytes`. */
function byteLimit(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > maxBytes) callback(new DownloadRefused(`the file is larger than the server's limit of ${maxBytes} bytes`));
      else callback(null, chunk);
    },
  });
}

/**
 * GETs `url` under the download policy, following up to 5 redirects (each hop
 * checked again), and streams the body into the file `place(contentType)` names.
 */
async function downloadUrl(url: string, signal: AbortSignal, options: DownloadOptions, place: (contentType: string) => Promise<string>): Promise<string> {
  const policy: UrlPolicy = { allowPrivate: options.allowPrivateUrls, trustedHosts: options.trustedHosts };
  const maxBytes = options.maxBytes ?? DOWNLOAD_DEFAULTS.maxBytes;
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    const res = await outboundRequest(current, { policy, signal, headers: { accept: "*/*", "user-agent": "tscog" } });
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (status >= 300 && status < 400 && location) {
      res.destroy();
      if (hop >= DOWNLOAD_DEFAULTS.maxRedirects) throw new DownloadRefused(`more than ${DOWNLOAD_DEFAULTS.maxRedirects} redirects`);
      current = new URL(location, current);
      continue;
    }
    if (status < 200 || status >= 300) {
      res.destroy();
      throw new DownloadRefused(`the server answered HTTP ${status}`);
    }
    const length = Number(res.headers["content-length"]);
    if (length > maxBytes) {
      res.destroy();
      throw new DownloadRefused(`the file is larger than the server's limit of ${maxBytes} bytes`);
    }
    const file = await place(String(res.headers["content-type"] ?? ""));
    await pipeline(res, byteLimit(maxBytes), createWriteStream(file), { signal });
    return file;
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

type Schema = Record<string, unknown> | undefined;
const branchesOf = (schema: Schema) => [...((schema?.anyOf ?? []) as Schema[]), ...((schema?.oneOf ?? []) as Schema[])];
const schemaOf = (value: unknown): Schema => (value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);

/** True when an Output schema has a `Path` anywhere: itself, list items, object properties, record values, union branches. */
export function outputHoldsFiles(schema: Schema, depth = 0): boolean {
  if (!schema || depth > 32) return false;
  if (isPathSchema(schema)) return true;
  const properties = Object.values(schemaOf(schema.properties) ?? {}) as Schema[];
  const nested = [schemaOf(schema.items), schemaOf(schema.additionalProperties), ...properties, ...branchesOf(schema)];
  return nested.some((s) => outputHoldsFiles(s, depth + 1));
}

/**
 * For an Output schema with files (see `outputHoldsFiles`), a function turning
 * each local path in a value (or an iterator's chunk) into what clients
 * receive: by default a data: URI, else what `encodeFile` makes of it (an
 * uploaded file's URL); undefined for other schemas. The schema decides what
 * is a file, so a string field beside a `Path` field stays a string.
 */
export function fileOutputEncoder(
  output: Record<string, unknown> | undefined,
  encodeFile: (path: string) => Promise<string> = fileToDataUri,
): ((value: unknown) => Promise<unknown>) | undefined {
  if (!outputHoldsFiles(output)) return undefined;
  const encode = async (schema: Schema, v: unknown): Promise<unknown> => {
    if (!schema || !outputHoldsFiles(schema)) return v;
    if (typeof v === "string" && isPathSchema(schema)) return /^(data|https?):/.test(v) ? v : encodeFile(v);
    const items = schemaOf(schema.items);
    if (Array.isArray(v)) return items ? Promise.all(v.map((item) => encode(items, item))) : v;
    // An iterator's (or list's) schema with a single chunk: the chunk is one item.
    if (items && schema.type === "array") return encode(items, v);
    const object = schemaOf(v);
    if (object && (schema.properties || schema.additionalProperties)) {
      const properties = schemaOf(schema.properties) ?? {};
      const rest = schemaOf(schema.additionalProperties);
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(object)) out[key] = await encode(Object.hasOwn(properties, key) ? schemaOf(properties[key]) : rest, value);
      return out;
    }
    for (const branch of branchesOf(schema)) {
      if (fits(branch, v)) return encode(branch, v);
    }
    return v;
  };
  return (value) => encode(output, value);
}

/** Whether `v` has the JSON type a union branch describes (enough to pick the branch that may hold files). */
function fits(schema: Schema, v: unknown): boolean {
  const type = schema?.type;
  if (type === "string") return typeof v === "string";
  if (type === "array") return Array.isArray(v);
  if (type === "object") return schemaOf(v) !== undefined;
  return false;
}
