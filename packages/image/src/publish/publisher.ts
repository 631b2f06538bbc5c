import type { ImageResult } from "../builder.js";

/** What a publish did. */
export interface PublishResult {
  /** Where the image went, e.g. `127.0.0.1:5000/model@sha256:…`, `oci:./out`, `docker-archive:img.tar`, `docker:model:latest`. */
  destination: string;
  /** Manifest digest (registry, OCI layout) or image ID (Docker engine). */
  digest: string;
  /** Blobs sent, by digest, with their sizes (registry only). */
  uploaded?: { digest: string; size: number }[];
  /** Blobs the destination already had. */
  skipped?: string[];
  /** Blobs mounted from another repository. */
  mounted?: string[];
  /** Blob bytes sent over the network (registry only). */
  bytesUploaded?: number;
}

/** Takes a built image somewhere. Never builds (builders do). */
export interface Publisher {
  publish(image: ImageResult): Promise<PublishResult>;
}
