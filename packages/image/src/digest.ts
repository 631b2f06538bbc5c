import { createHash, type Hash } from "node:crypto";
import { Transform } from "node:stream";

/** `sha256:<hex>` of some bytes. */
export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** The hex part of a `sha256:` digest. */
export function digestHex(digest: string): string {
  if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new Error(`not a sha256 digest: ${digest}`);
  return digest.slice(7);
}

/** A pass-through stream that hashes and counts what flows through it. */
export class DigestCounter extends Transform {
  readonly #hash: Hash = createHash("sha256");
  /** Bytes seen so far. */
  size = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.#hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }

  /** `sha256:<hex>` of everything seen; call once, after the stream ended. */
  digest(): string {
    return `sha256:${this.#hash.digest("hex")}`;
  }
}
