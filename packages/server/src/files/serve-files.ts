/** What `serve()` sets up for files: the upload store, its URLs as `Path` inputs, and `--upload-url`. */
import type { DownloadOptions } from "@tscog/runtime";
import { FileStore, type FileStoreOptions } from "./file-store.js";
import { checkUploadUrl, type OutputUploadOptions } from "./output-uploader.js";
import type { FilesAppOptions } from "../dialects/replicate/files-routes.js";

/** The server's own uploads, as the predictor's `Path` inputs see them. */
type OwnFiles = NonNullable<DownloadOptions["ownFiles"]>;

/** The files settings of `ServeOptions`. */
export interface ServeFilesOptions {
  files?: FileStoreOptions;
  uploadUrl?: string;
  /** The server's public URL: file URLs under it are always its own. */
  publicUrl?: string;
}

/** The pieces `serve()` wires in. */
export interface ServeFiles {
  store: FileStore;
  /** For the worker's `Path` inputs: the server's own file URLs are read from the store's directory. */
  ownFiles: OwnFiles;
  /** For the worker's `Path` outputs; undefined without an upload URL. */
  uploads?: OutputUploadOptions;
  /** Spread into `createApp`'s options. */
  appOptions: FilesAppOptions;
}

export type { FileStoreOptions };

/** Creates the file store and the upload settings for a server. Throws BAD_REQUEST for a malformed upload URL. */
export function serveFiles(options: ServeFilesOptions): ServeFiles {
  const uploads = options.uploadUrl ? { url: checkUploadUrl(options.uploadUrl) } : undefined;
  const store = new FileStore(options.files);
  const origins = options.publicUrl ? [new URL(options.publicUrl).origin] : [];
  return {
    store,
    ownFiles: { dir: store.dir, origins },
    uploads,
    appOptions: { files: store },
  };
}
