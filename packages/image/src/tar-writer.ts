import { createReadStream } from "node:fs";
import { posix } from "node:path";

/** One entry of a layer tarball. Paths are relative to `/` and use `/`. */
export interface TarEntry {
  path: string;
  type: "file" | "directory" | "symlink";
  /** Permission bits, e.g. 0o755. */
  mode: number;
  uid: number;
  gid: number;
  /** File content held in memory. */
  data?: Uint8Array;
  /** File content read from disk while writing (with `size`). */
  source?: string;
  /** Size in bytes of `source` (checked while reading). */
  size?: number;
  /** Symlink target. */
  linkname?: string;
}

/** Options of `tarStream`. */
export interface TarOptions {
  /** Seconds since the epoch written as every entry's mtime. */
  mtime: number;
}

const BLOCK = 512;
const ZEROS = Buffer.alloc(BLOCK * 2);

/**
 * Normalizes entries for a reproducible tarball: strips leading `/` and `./`,
 * adds missing parent directories (root-owned 0755), drops duplicates (the
 * last one wins) and sorts by path bytes.
 */
export function normalizeEntries(entries: Iterable<TarEntry>): TarEntry[] {
  const byPath = new Map<string, TarEntry>();
  for (const e of entries) {
    const path = posix.normalize(e.path.replace(/^\/+/, "")).replace(/\/+$/, "");
    if (path === "." || path === "" || path.startsWith("..")) throw new Error(`invalid tar path "${e.path}"`);
    byPath.set(path, { ...e, path });
  }
  for (const path of [...byPath.keys()]) {
    for (let dir = posix.dirname(path); dir !== "."; dir = posix.dirname(dir)) {
      if (byPath.has(dir)) continue;
      byPath.set(dir, { path: dir, type: "directory", mode: 0o755, uid: 0, gid: 0 });
    }
  }
  return [...byPath.values()].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

function octal(buf: Buffer, value: number, offset: number, length: number): void {
  buf.write(value.toString(8).padStart(length - 1, "0") + "\0", offset, length, "ascii");
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function header(opts: { name: string; mode: number; uid: number; gid: number; size: number; mtime: number; type: string; linkname?: string }): Buffer {
  const buf = Buffer.alloc(BLOCK);
  buf.write(opts.name, 0, 100, "utf8");
  octal(buf, opts.mode & 0o7777, 100, 8);
  octal(buf, opts.uid, 108, 8);
  octal(buf, opts.gid, 116, 8);
  octal(buf, opts.size, 124, 12);
  octal(buf, opts.mtime, 136, 12);
  buf.write("        ", 148, 8, "ascii");
  buf.write(opts.type, 156, 1, "ascii");
  if (opts.linkname) buf.write(opts.linkname, 157, 100, "utf8");
  buf.write("ustar\0", 257, 6, "ascii");
  buf.write("00", 263, 2, "ascii");
  let sum = 0;
  for (const b of buf) sum += b;
  buf.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
  return buf;
}

function pad(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : ZEROS.subarray(0, BLOCK - rest);
}

/** Headers for one entry: a PAX `x` header first when the path, link or size does not fit ustar. */
function entryHeaders(e: TarEntry, size: number, mtime: number): Buffer[] {
  const name = e.type === "directory" ? `${e.path}/` : e.path;
  const type = e.type === "file" ? "0" : e.type === "directory" ? "5" : "2";
  const pax: string[] = [];
  if (Buffer.byteLength(name) > 100) pax.push(paxRecord("path", name));
  if (e.linkname && Buffer.byteLength(e.linkname) > 100) pax.push(paxRecord("linkpath", e.linkname));
  if (size > 0o77777777777) pax.push(paxRecord("size", String(size)));
  const out: Buffer[] = [];
  if (pax.length > 0) {
    const body = Buffer.from(pax.join(""), "utf8");
    const paxName = `PaxHeaders/${posix.basename(name)}`.slice(0, 99);
    out.push(header({ name: paxName, mode: 0o644, uid: 0, gid: 0, size: body.length, mtime, type: "x" }), body, pad(body.length));
  }
  const shortName = Buffer.from(name).subarray(0, 100).toString("utf8");
  out.push(header({ name: shortName, mode: e.mode, uid: e.uid, gid: e.gid, size: size > 0o77777777777 ? 0 : size, mtime, type, linkname: e.linkname?.slice(0, 100) }));
  return out;
}

/**
 * Writes a POSIX (ustar + PAX) tarball with fixed mtimes, in the order given
 * (call `normalizeEntries` first for a reproducible one). Streams file
 * contents from disk so large weights never sit in memory.
 */
export async function* tarStream(entries: Iterable<TarEntry>, options: TarOptions): AsyncGenerator<Buffer> {
  const mtime = Math.max(0, Math.floor(options.mtime));
  for (const e of entries) {
    const size = e.type !== "file" ? 0 : e.data ? e.data.length : (e.size ?? 0);
    yield* entryHeaders(e, size, mtime);
    if (e.type !== "file" || size === 0) continue;
    if (e.data) {
      yield Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength);
    } else if (e.source) {
      let read = 0;
      for await (const chunk of createReadStream(e.source, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
        read += chunk.length;
        if (read > size) break;
        yield chunk;
      }
      if (read !== size) throw new Error(`${e.source} changed size while being archived (${size} → ${read} bytes)`);
    }
    yield pad(size);
  }
  yield ZEROS;
}
