/**
 * `POST /v1/files` bodies: `multipart/form-data` with a `content` file part and
 * optional `metadata` (JSON, as a field or a file part, as the `replicate`
 * client sends it), `filename` and `type` fields. Parsed with busboy as the
 * bytes arrive; the file goes straight to disk while its size and checksums
 * are counted, so no upload is ever held in memory.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { basename } from "node:path";
import busboy from "busboy";
import { TscogError } from "@tscog/sdk";
import type { HttpRequest } from "../http/http.js";
import { isMultipart } from "../http/negotiate.js";
import type { FileStore, StoredFile } from "./file-store.js";

/** Largest `metadata` part, bytes. */
const MAX_METADATA_BYTES = 64 * 1024;
/** Room for the form's boundaries and part headers around the file, bytes. */
const FORM_OVERHEAD_BYTES = MAX_METADATA_BYTES + 64 * 1024;
const PARTS_HELP = "send the file as the multipart part `content`, with optional `metadata` (JSON), `filename` and `type`";

const tooLarge = (limit: number) => new TscogError("PAYLOAD_TOO_LARGE", `The uploaded file is larger than the server's limit of ${limit} bytes per file.`);
const badRequest = (message: string) => new TscogError("BAD_REQUEST", message);

/**
 * Reads an upload into `store`. `origin` is the base of the URLs this file's
 * record will carry. Errors are TscogErrors (400, 413, 415); a failed upload
 * leaves nothing behind, and the rest of its body is read and dropped.
 */
export async function receiveUpload(request: HttpRequest, store: FileStore, origin: string): Promise<StoredFile> {
  const contentType = request.headers.get("content-type");
  if (!isMultipart(contentType)) {
    throw new TscogError("UNSUPPORTED_MEDIA_TYPE", `Upload files as multipart/form-data (${PARTS_HELP}), got Content-Type: ${(contentType ?? "none").slice(0, 100)}.`);
  }
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > store.maxFileBytes + FORM_OVERHEAD_BYTES) throw tooLarge(store.maxFileBytes);
  store.checkCapacity();
  const body = request.body;
  if (!body) throw badRequest(`The upload has no body; ${PARTS_HELP}.`);

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": contentType! },
      limits: { files: 2, fields: 3, parts: 5, fieldNameSize: 100, fieldSize: MAX_METADATA_BYTES, fileSize: store.maxFileBytes + 1, headerPairs: 20 },
    });
  } catch (err) {
    throw badRequest(`The multipart body cannot be parsed: ${(err as Error).message}.`);
  }
  const temp = store.tempPath();
  let reserved = 0;
  let settled = false;
  let failure: TscogError | undefined;
  let content: Promise<{ size: number; sha256: string; md5: string }> | undefined;
  let contentStream: { destroy(): void } | undefined;
  let name: string | undefined;
  let type: string | undefined;
  let metadata: unknown = {};
  let failNow!: (err: TscogError) => void;
  const failed = new Promise<never>((_, reject) => (failNow = reject));
  failed.catch(() => {});
  const fail = (err: TscogError) => {
    if (failure) return;
    failure = err;
    failNow(err);
    // The body is no longer parsed, so the file part would never end: stop it (its file is closed, then removed).
    contentStream?.destroy();
  };
  const parseMetadata = (text: string) => {
    try {
      metadata = text.trim() === "" ? {} : JSON.parse(text);
    } catch {
      fail(badRequest("The `metadata` part is not valid JSON."));
    }
  };

  parser.on("file", (field, stream, info) => {
    if (failure) return void stream.resume();
    if (field === "metadata") {
      let text = "";
      stream.on("data", (chunk: Buffer) => {
        if (text.length + chunk.length > MAX_METADATA_BYTES) fail(badRequest(`The \`metadata\` part is larger than ${MAX_METADATA_BYTES} bytes.`));
        else text += chunk.toString("latin1");
      });
      stream.on("end", () => parseMetadata(Buffer.from(text, "latin1").toString("utf8")));
      return;
    }
    if (field !== "content" || content) {
      stream.resume();
      return fail(badRequest(field === "content" ? "The upload has more than one `content` part; send one file per request." : `Unexpected file part ${JSON.stringify(field.slice(0, 100))}; ${PARTS_HELP}.`));
    }
    name ??= info.filename ? basename(info.filename) : undefined;
    type ??= info.mimeType;
    contentStream = stream;
    content = writeContent(stream, temp, (bytes) => {
      if (settled) throw badRequest("The upload was stopped.");
      store.reserve(bytes);
      reserved += bytes;
    }).catch((err: unknown) => {
      const e = err instanceof TscogError ? err : badRequest("The uploaded file could not be read or stored.");
      fail(e);
      throw e;
    });
    content.catch(() => {});
    // busboy stops a file at its limit (here one byte over ours) and says so.
    stream.on("limit", () => fail(tooLarge(store.maxFileBytes)));
  });
  parser.on("field", (field, value, info) => {
    if (info.valueTruncated) return fail(badRequest(`The field ${JSON.stringify(field)} is larger than ${MAX_METADATA_BYTES} bytes.`));
    if (field === "metadata") parseMetadata(value);
    else if (field === "filename") name = basename(value);
    else if (field === "type") type = value;
    else fail(badRequest(`Unexpected field ${JSON.stringify(field.slice(0, 100))}; ${PARTS_HELP}.`));
  });
  for (const event of ["partsLimit", "filesLimit", "fieldsLimit"] as const) {
    parser.on(event, () => fail(new TscogError("PAYLOAD_TOO_LARGE", `The upload has too many parts; ${PARTS_HELP}.`)));
  }
  parser.on("error", (err: Error) => fail(badRequest(`The multipart body is malformed: ${err.message}.`)));
  const parsed = new Promise<void>((resolve) => parser.on("close", resolve));

  // Feed the parser; after a failure keep reading (and dropping) the body so the error reply can still be sent.
  void (async () => {
    try {
      for await (const chunk of body) {
        if (failure) continue;
        if (!parser.write(chunk)) await new Promise<void>((resolve) => { parser.once("drain", () => resolve()); parser.once("close", () => resolve()); });
      }
      if (!failure) parser.end();
    } catch {
      fail(badRequest("The upload's body could not be read (the client went away?)."));
    }
  })();

  try {
    await Promise.race([parsed, failed]);
    if (!content) throw badRequest(`The upload has no \`content\` part; ${PARTS_HELP}.`);
    const written = await Promise.race([content, failed]);
    if (failure) throw failure;
    const file = await store.add(temp, { name: name || "file", contentType: type || "application/octet-stream", ...written, metadata, origin });
    return file;
  } catch (err) {
    contentStream?.destroy();
    await content?.catch(() => {});
    await rm(temp, { force: true });
    throw err;
  } finally {
    settled = true;
    store.release(reserved);
  }
}

/** Streams one file part to `path`, counting its bytes (`count` may throw to stop) and hashing them. */
async function writeContent(stream: NodeJS.ReadableStream & { truncated?: boolean }, path: string, count: (bytes: number) => void) {
  const sha256 = createHash("sha256");
  const md5 = createHash("md5");
  let size = 0;
  const out = createWriteStream(path, { mode: 0o600 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      count(chunk.length);
      size += chunk.length;
      sha256.update(chunk);
      md5.update(chunk);
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  return { size, sha256: sha256.digest("hex"), md5: md5.digest("hex") };
}
