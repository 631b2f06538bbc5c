/**
 * Cog's `--upload-url`: each `Path` output is sent with one HTTP PUT of its
 * bytes to `<upload-url>/<file name>` (with its Content-Type and
 * `X-Prediction-ID`), and the output holds the resulting URL: the reply's
 * `Location` when there is one, else the URL put to, without its query
 * (signing parameters). The operator chose the URL, so its host may be
 * private; redirects are followed only on that same origin.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { basename, extname } from "node:path";
import { pipeline } from "node:stream/promises";
import { TscogError } from "@tscog/sdk";

/** Where and how `Path` outputs are uploaded. */
export interface OutputUploadOptions {
  /** Base URL; a file goes to `url + "/" + its name` (a trailing slash is added when missing). */
  url: string;
  /** Time for one file's upload, ms. Default 120 s. */
  timeoutMs?: number;
}

/** Defaults of `OutputUploadOptions`. */
export const UPLOAD_DEFAULTS = { timeoutMs: 120_000, maxRedirects: 5 } as const;

const MIME_BY_EXT: Record<string, string> = {
  ".txt": "text/plain", ".json": "application/json", ".csv": "text/csv", ".html": "text/html", ".md": "text/markdown",
  ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml",
  ".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".flac": "audio/flac", ".mp4": "video/mp4", ".webm": "video/webm",
  ".pdf": "application/pdf", ".zip": "application/zip", ".tar": "application/x-tar", ".gz": "application/gzip", ".npy": "application/octet-stream",
};

/** Checks an upload URL given by the operator (flag, env or option). */
export function checkUploadUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.hash) {
    throw new TscogError("BAD_REQUEST", `The upload URL must be an http(s) URL such as https://storage.example.com/outputs/, got ${JSON.stringify(value.slice(0, 200))}.`);
  }
  return url.href;
}

/** The URL without query and fragment: what messages and outputs show. */
const withoutQuery = (url: URL) => `${url.origin}${url.pathname}`;

/** PUTs the file at `path` under the upload URL; resolves with the URL the output holds. PREDICTION_FAILED on any failure. */
export async function uploadOutputFile(path: string, options: OutputUploadOptions & { predictionId?: string }): Promise<string> {
  const base = new URL(options.url.endsWith("/") ? options.url : `${options.url}/`);
  const name = basename(path);
  let target = new URL(encodeURIComponent(name), base);
  const failed = (reason: string, cause?: unknown) =>
    new TscogError("PREDICTION_FAILED", `Uploading the output file ${name} to ${withoutQuery(target)} (--upload-url) failed: ${reason}.`, { cause });
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (err) {
    throw failed("the predictor's output file cannot be read", err);
  }
  const headers = {
    "content-type": MIME_BY_EXT[extname(name).toLowerCase()] ?? "application/octet-stream",
    "content-length": String(size),
    "user-agent": "tscog",
    ...(options.predictionId ? { "x-prediction-id": options.predictionId } : {}),
  };
  const timeoutMs = options.timeoutMs ?? UPLOAD_DEFAULTS.timeoutMs;
  const signal = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
  for (let hop = 0; ; hop++) {
    let res: IncomingMessage;
    try {
      res = await put(target, path, headers, signal);
    } catch (err) {
      throw failed(signal?.aborted ? `no answer within ${timeoutMs / 1000} s` : `could not connect (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, err);
    }
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    const text = await readSome(res);
    if ((status === 307 || status === 308) && location) {
      const next = new URL(location, target);
      if (next.origin !== base.origin) throw failed(`redirected to another host (${next.origin}); uploads follow redirects only on the upload URL's own origin`);
      if (hop >= UPLOAD_DEFAULTS.maxRedirects) throw failed(`more than ${UPLOAD_DEFAULTS.maxRedirects} redirects`);
      target = next;
      continue;
    }
    if (status < 200 || status >= 300) throw failed(`the upload server answered HTTP ${status}${text ? `: ${text}` : ""}`);
    const final = location ? new URL(location, target) : target;
    return withoutQuery(final);
  }
}

/** One PUT of the file's bytes; resolves with the response (its body unread). */
function put(url: URL, path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<IncomingMessage> {
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "PUT", headers, agent: false, signal }, resolve);
    req.on("error", reject);
    pipeline(createReadStream(path), req).catch(reject);
  });
}

/** The first 200 characters of a reply's body (for error messages); the rest is dropped. */
async function readSome(res: IncomingMessage): Promise<string> {
  let text = "";
  try {
    for await (const chunk of res) {
      if (text.length < 200) text += String(chunk);
    }
  } catch {
    // the body is only for the message
  }
  return text.replace(/\s+/g, " ").trim().slice(0, 200);
}
