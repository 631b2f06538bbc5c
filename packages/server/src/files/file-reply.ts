/** Replies whose body is a file on disk, streamed as bytes (opened only when the reply is sent). */
import { createReadStream } from "node:fs";
import type { BodyStream, HttpReply } from "../http/http.js";

/** The file's bytes; the file is opened on the first read and closed when the stream ends or is stopped. */
async function* fileBytes(path: string): BodyStream {
  yield* createReadStream(path) as AsyncIterable<Uint8Array>;
}

/** A 200 reply sending the file at `path` (`size` bytes) as `contentType`, named `name`. */
export function fileReply(path: string, size: number, contentType: string, name: string): HttpReply {
  return {
    status: 200,
    headers: {
      "content-type": contentType,
      "content-length": String(size),
      "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
      "x-content-type-options": "nosniff",
      "cache-control": "private, no-store",
    },
    body: fileBytes(path),
  };
}
