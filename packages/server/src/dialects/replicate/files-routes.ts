/**
 * Replicate's files API (`/v1/files`): upload (multipart), list, get, delete,
 * and the content itself at `urls.get`, which also works as a `Path` input of
 * a prediction on this server (read from disk, not downloaded).
 */
import { TscogError } from "@tscog/sdk";
import type { AppContext } from "../app-context.js";
import type { HttpRequest } from "../../http/http.js";
import { emptyReply } from "../../http/http.js";
import { jsonReply } from "../../http/http-errors.js";
import type { Router } from "../../http/router.js";
import { FILE_ID_PATTERN, FileStore, type StoredFile } from "../../files/file-store.js";
import { fileReply } from "../../files/file-reply.js";
import { receiveUpload } from "../../files/multipart-upload.js";

/** The app options the files routes read (`createApp`'s options may carry them). */
export interface FilesAppOptions {
  /** Where uploads go; default a store in a new temp directory with the default limits. */
  files?: FileStore;
}

/** Most files in one page of `GET /v1/files`. */
const PAGE_SIZE = 100;

/** Replicate's file JSON, with URLs under `base`. */
export function fileJson(file: StoredFile, base: string): Record<string, unknown> {
  return {
    id: file.id,
    name: file.name,
    content_type: file.contentType,
    size: file.size,
    etag: file.md5,
    checksums: { sha256: file.sha256, md5: file.md5 },
    metadata: file.metadata,
    created_at: file.createdAt,
    expires_at: file.expiresAt,
    urls: { get: `${base}/v1/files/${file.id}/content` },
  };
}

/** Registers `/v1/files` routes. */
export function filesRoutes(router: Router, ctx: AppContext, options: FilesAppOptions): void {
  let store = options.files;
  const files = () => (store ??= new FileStore());
  const baseUrl = (request: HttpRequest) => ctx.publicUrl ?? new URL(request.url).origin;
  const find = (id: string) => {
    const file = FILE_ID_PATTERN.test(id) ? files().get(id) : undefined;
    if (!file) throw new TscogError("NOT_FOUND", `No file with id ${JSON.stringify(id.slice(0, 100))} (it may have expired or been deleted).`);
    return file;
  };

  router.on("POST", "/v1/files", async (request) => {
    const base = baseUrl(request);
    const file = await receiveUpload(request, files(), base);
    return jsonReply(201, fileJson(file, base));
  });
  // Newest first; `next` pages on with an offset cursor.
  router.on("GET", "/v1/files", (request) => {
    const url = new URL(request.url);
    const cursor = url.searchParams.get("cursor") ?? "0";
    if (!/^\d{1,9}$/.test(cursor)) throw new TscogError("BAD_REQUEST", "cursor must be a value from a previous page's next URL.");
    const all = files().list();
    const start = Number(cursor);
    const base = baseUrl(request);
    const link = (at: number) => `${base}/v1/files?cursor=${at}`;
    return jsonReply(200, {
      previous: start > 0 ? link(Math.max(0, start - PAGE_SIZE)) : null,
      next: start + PAGE_SIZE < all.length ? link(start + PAGE_SIZE) : null,
      results: all.slice(start, start + PAGE_SIZE).map((f) => fileJson(f, base)),
    });
  });
  router.on("GET", "/v1/files/:id", (request, params) => jsonReply(200, fileJson(find(params.id!), baseUrl(request))));
  router.on("GET", "/v1/files/:id/content", (_request, params) => {
    const file = find(params.id!);
    return fileReply(files().contentPath(file.id), file.size, file.contentType, file.name);
  });
  router.on("DELETE", "/v1/files/:id", async (_request, params) => {
    await files().delete(find(params.id!).id);
    return emptyReply(204);
  });
}
