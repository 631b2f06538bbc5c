import { existsSync } from "node:fs";
import { lstat, mkdir, readlink, realpath, rename, rm, stat } from "node:fs/promises";
import { arch } from "node:os";
import { dirname, join, posix } from "node:path";
import { execa } from "execa";
import { TscogError } from "@tscog/sdk";
import type { BaseImage } from "./builder.js";
import type { LayerCache } from "./layer-cache.js";
import { buildLayer } from "./layer.js";
import type { ImageConfig, Platform } from "./oci.js";
import type { TarEntry } from "./tar-writer.js";
import { digestHex, sha256Digest } from "./digest.js";

/** The non-root user images run as. */
export const IMAGE_USER = { name: "tscog", uid: 1000, gid: 1000, home: "/home/tscog" } as const;

/** Options of `offlineBaseImage`. */
export interface OfflineBaseOptions {
  cache: LayerCache;
  platform: Platform;
  /** mtime of every entry, seconds since the epoch. */
  mtime: number;
  /** The Node binary to ship (default: the running one). */
  nodeBinary?: string;
  /** Native modules whose shared libraries must be in the image too (e.g. onnxruntime's binding). */
  nativeModules?: string[];
  /**
   * Strip the Node binary's static symbol table (`strip --strip-all`; dynamic
   * symbols, which native addons link against, stay). Saves ~12 MB; default
   * true when `strip` is installed. Needs `cacheDir`.
   */
  stripNode?: boolean;
  /** Where the stripped binary is kept between builds. */
  cacheDir?: string;
  /** Entries already listed by `offlineBaseEntries` (e.g. for a plan shown before building). */
  entries?: TarEntry[];
}

const PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Shared libraries `ldd` reports for a binary (absolute paths, the dynamic loader included). */
export async function sharedLibraries(binary: string): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await execa("ldd", [binary]));
  } catch (err) {
    const text = String((err as { stdout?: string }).stdout ?? "") + String((err as { stderr?: string }).stderr ?? "");
    if (/not a dynamic executable/.test(text)) return [];
    throw new TscogError("BUILD_FAILED", `ldd ${binary} failed: ${text.trim() || (err as Error).message}`, { cause: err });
  }
  const libs: string[] = [];
  for (const line of stdout.split("\n")) {
    const missing = /^\s*(\S+) => not found/.exec(line);
    if (missing) throw new TscogError("BUILD_FAILED", `${binary} needs ${missing[1]}, which this machine does not have`);
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.push(m[1]);
  }
  return libs;
}

/**
 * Adds a host path to the entries as it is on the host: every symlink on the
 * way (e.g. Debian's `/lib -> usr/lib`) becomes a symlink entry, and the file
 * at the end a regular file.
 */
async function addHostPath(entries: Map<string, TarEntry>, hostPath: string, depth = 0): Promise<void> {
  if (depth > 20) throw new TscogError("BUILD_FAILED", `too many symlinks resolving ${hostPath}`);
  const parts = hostPath.split("/").filter(Boolean);
  let current = "/";
  for (let i = 0; i < parts.length; i++) {
    const next = join(current, parts[i]);
    const st = await lstat(next);
    if (st.isSymbolicLink()) {
      const target = await readlink(next);
      entries.set(next, { path: next, type: "symlink", mode: 0o777, uid: 0, gid: 0, linkname: target });
      const resolved = posix.resolve(dirname(next), target);
      return addHostPath(entries, join(resolved, ...parts.slice(i + 1)), depth + 1);
    }
    current = next;
  }
  const st = await stat(current);
  entries.set(current, { path: current, type: "file", mode: st.mode & 0o777, uid: 0, gid: 0, source: current, size: st.size });
}

/** A copy of `binary` without its static symbol table, cached by the binary's identity; the binary itself when `strip` is missing. */
async function strippedCopy(binary: string, cacheDir: string): Promise<string> {
  const st = await stat(binary);
  const key = digestHex(sha256Digest(JSON.stringify([binary, st.size, st.mtimeMs, st.ino]))).slice(0, 24);
  const out = join(cacheDir, "node", `node-${key}`);
  if (existsSync(out)) return out;
  await mkdir(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    await execa("strip", ["--strip-all", "-o", tmp, binary]);
    await rename(tmp, out);
    return out;
  } catch {
    await rm(tmp, { force: true }).catch(() => {});
    return binary;
  }
}

function textFile(path: string, text: string, mode = 0o644): TarEntry {
  return { path, type: "file", mode, uid: 0, gid: 0, data: Buffer.from(text) };
}

/**
 * The entries of the offline base: the local Node binary at
 * `/usr/local/bin/node`, the shared libraries it and the native modules need
 * (as `ldd` finds them), `/etc/passwd` and `/etc/group` with the non-root
 * `tscog` user (uid 1000), CA certificates, `/tmp` and the user's home.
 */
export async function offlineBaseEntries(options: Omit<OfflineBaseOptions, "cache" | "mtime">): Promise<TarEntry[]> {
  const hostArch = arch() === "x64" ? "amd64" : arch();
  if (options.platform.os !== "linux" || options.platform.architecture !== hostArch || process.platform !== "linux") {
    throw new TscogError("BUILD_FAILED", `the offline base can only be assembled for this machine's platform (linux/${hostArch}), not ${options.platform.os}/${options.platform.architecture}`, {
      field: "build.base_image", hint: "set build.base_image to an image for the target platform",
    });
  }
  const node = await realpath(options.nodeBinary ?? process.execPath);
  const entries = new Map<string, TarEntry>();
  const shipped = options.stripNode !== false && options.cacheDir ? await strippedCopy(node, options.cacheDir) : node;
  const nodeStat = await stat(shipped);
  entries.set("/usr/local/bin/node", { path: "/usr/local/bin/node", type: "file", mode: 0o755, uid: 0, gid: 0, source: shipped, size: nodeStat.size });
  const libs = new Set<string>(await sharedLibraries(node));
  for (const mod of options.nativeModules ?? []) {
    const moduleDir = dirname(await realpath(mod));
    // Libraries beside the module (onnxruntime's libonnxruntime.so) ship with the module itself.
    for (const lib of await sharedLibraries(mod)) if (!lib.startsWith(moduleDir + "/")) libs.add(lib);
  }
  for (const lib of [...libs].sort()) await addHostPath(entries, lib);
  const { uid, gid, name, home } = IMAGE_USER;
  entries.set("/etc/passwd", textFile("/etc/passwd", `root:x:0:0:root:/root:/usr/sbin/nologin\n${name}:x:${uid}:${gid}:${name}:${home}:/usr/sbin/nologin\n`));
  entries.set("/etc/group", textFile("/etc/group", `root:x:0:\n${name}:x:${gid}:\n`));
  entries.set("/etc/nsswitch.conf", textFile("/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n"));
  const certs = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"].find((f) => existsSync(f));
  if (certs) {
    const st = await stat(certs);
    entries.set("/etc/ssl/certs/ca-certificates.crt", { path: "/etc/ssl/certs/ca-certificates.crt", type: "file", mode: 0o644, uid: 0, gid: 0, source: await realpath(certs), size: st.size });
  }
  entries.set("/tmp", { path: "/tmp", type: "directory", mode: 0o1777, uid: 0, gid: 0 });
  entries.set(home, { path: home, type: "directory", mode: 0o755, uid, gid });
  entries.set("/root", { path: "/root", type: "directory", mode: 0o700, uid: 0, gid: 0 });
  return [...entries.values()];
}

/**
 * Assembles a minimal base image without any registry: one layer from
 * `offlineBaseEntries`, with `PATH` set. Cached like any layer.
 */
export async function offlineBaseImage(options: OfflineBaseOptions): Promise<BaseImage> {
  const entries = options.entries ?? (await offlineBaseEntries({ ...options, cacheDir: options.cacheDir ?? options.cache.dir }));
  const layer = await buildLayer({ name: "base (offline: local node + libraries)", entries }, { cache: options.cache, mtime: options.mtime });
  const config: ImageConfig = {
    architecture: options.platform.architecture,
    os: options.platform.os,
    config: { Env: [PATH_ENV] },
    rootfs: { type: "layers", diff_ids: [layer.diffId] },
    history: [{ created: new Date(options.mtime * 1000).toISOString().replace(".000Z", "Z"), created_by: `tscog offline base: node ${process.version} + shared libraries` }],
  };
  return { source: "tscog offline base", layers: [layer], config };
}
