/**
 * Replies whose body is a file on disk. `HttpReply` bodies are text, so a file
 * reply carries its path under `FILE_BODY`; `serveFilesOverNode` streams it as
 * bytes. Its text `body` fails when read, so no adapter sends a mangled file.
 */
import type { HttpReply, TextStream } from "../http/http.js";

/** Where a file reply's bytes are. */
export const FILE_BODY = Symbol("tscog.fileBody");

/** A reply with a file body. */
export type FileReply = HttpReply & { [FILE_BODY]: string };

/** True for a reply made by `fileReply`. */
export function isFileReply(reply: HttpReply): reply is FileReply {
  return typeof (reply as Partial<FileReply>)[FILE_BODY] === "string";
}

const textOnly: TextStream = {
  [Symbol.asyncIterator]() {
    return {
      next: () => Promise.reject(new Error("a file body can only be sent by the Node adapter (serve() or listen() with serveFilesOverNode)")),
      return: () => Promise.resolve({ done: true, value: undefined }),
    };
  },
};

/** A 200 reply sending the file at `path` (`size` bytes) as `contentType`, named `name`. */
export function fileReply(path: string, size: number, contentType: string, name: string): FileReply {
  return {
    status: 200,
    headers: {
      "content-type": contentType,
      "content-length": String(size),
      "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
      "x-content-type-options": "nosniff",
      "cache-control": "private, no-store",
    },
    body: textOnly,
    [FILE_BODY]: path,
  };
}
