import { constants, createGzip, type Gzip } from "node:zlib";

/** Options of `deterministicGzip`. */
export interface GzipOptions {
  /** zlib level 1–9; 6 balances speed and size like `gzip -6`. */
  level?: number;
}

/**
 * A gzip stream whose bytes depend only on its input: zlib with fixed level,
 * window, memory and strategy, header mtime 0 and the OS byte forced to 255
 * ("unknown") so the same input compresses the same on every host.
 */
export function deterministicGzip(options: GzipOptions = {}): Gzip {
  const gzip = createGzip({ level: options.level ?? 6, windowBits: 15, memLevel: 8, strategy: constants.Z_DEFAULT_STRATEGY });
  let first = true;
  const push = gzip.push.bind(gzip);
  // zlib writes the 10-byte header at the start of the first output chunk; fix its mutable fields there.
  gzip.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (first && Buffer.isBuffer(chunk) && chunk.length >= 10) {
      first = false;
      chunk.writeUInt32LE(0, 4);
      chunk[9] = 255;
    }
    return push(chunk, encoding);
  };
  return gzip;
}
