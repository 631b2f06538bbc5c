import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdir, readFile, rm, truncate, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Writable } from "node:stream";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { buildLayer, defaultCacheDir, DigestCounter, digestHex, LayerCache, MediaType, sha256Digest, type Layer, type TarEntry } from "../src/index.js";
import { tempDir } from "./helpers.js";

/** The entries of an uncompressed tarball as its headers state them (PAX headers skipped). */
function readTar(tar: Buffer): { path: string; mode: number; uid: number; gid: number; mtime: number; type: string; linkname: string; data: Buffer }[] {
  const out = [];
  const field = (h: Buffer, start: number, len: number) => h.subarray(start, start + len).toString("utf8").replace(/\0.*$/s, "");
  for (let at = 0; at + 512 <= tar.length; ) {
    const h = tar.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(field(h, 124, 12), 8);
    const type = field(h, 156, 1);
    const data = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (type === "x") continue;
    out.push({
      path: field(h, 0, 100), mode: parseInt(field(h, 100, 8), 8), uid: parseInt(field(h, 108, 8), 8), gid: parseInt(field(h, 116, 8), 8),
      mtime: parseInt(field(h, 136, 12), 8), type, linkname: field(h, 157, 100), data: Buffer.from(data),
    });
  }
  return out;
}

async function tarOf(layer: Layer) {
  return readTar(gunzipSync(await readFile(layer.file)));
}

/** A layer of one file read from disk, one file held in memory and a symlink: every entry kind. */
async function fixture(t: { after(fn: () => Promise<void>): void }) {
  const dir = await tempDir(t);
  const source = join(dir, "run.sh");
  await writeFile(source, "#!/bin/sh\necho hi\n");
  const cache = new LayerCache(join(dir, "cache"));
  const entries = (change: Partial<Record<"fileMode" | "uid" | "gid" | "target" | "dataMode", number | string>> = {}): TarEntry[] => [
    { path: "app/run.sh", type: "file", mode: Number(change.fileMode ?? 0o644), uid: Number(change.uid ?? 0), gid: Number(change.gid ?? 0), source, size: 18 },
    { path: "app/data.txt", type: "file", mode: Number(change.dataMode ?? 0o644), uid: 0, gid: 0, data: Buffer.from("data") },
    { path: "app/current", type: "symlink", mode: 0o777, uid: 0, gid: 0, linkname: String(change.target ?? "run.sh") },
  ];
  return { dir, source, cache, entries };
}

test("the layer cache key covers mode, owner, mtime policy, symlink target and gzip level: changing one rebuilds", async (t) => {
  const { cache, entries } = await fixture(t);
  const build = (e: TarEntry[], mtime = 0, level?: number) => buildLayer({ name: "l", entries: e }, { cache, mtime, level });
  const first = await build(entries());
  assert.equal(first.cached, false);
  const again = await build(entries());
  assert.equal(again.cached, true, "an unchanged layer comes from the cache");
  assert.equal(again.digest, first.digest);

  const entry = async (layer: Layer, path: string) => (await tarOf(layer)).find((e) => e.path === path)!;
  const cases: [string, () => Promise<Layer>, (l: Layer) => Promise<void>][] = [
    ["mode of a file read from disk", () => build(entries({ fileMode: 0o755 })), async (l) => assert.equal((await entry(l, "app/run.sh")).mode, 0o755)],
    ["mode of a file held in memory", () => build(entries({ dataMode: 0o600 })), async (l) => assert.equal((await entry(l, "app/data.txt")).mode, 0o600)],
    ["owner (uid)", () => build(entries({ uid: 1000 })), async (l) => assert.equal((await entry(l, "app/run.sh")).uid, 1000)],
    ["group (gid)", () => build(entries({ gid: 1000 })), async (l) => assert.equal((await entry(l, "app/run.sh")).gid, 1000)],
    ["symlink target", () => build(entries({ target: "other.sh" })), async (l) => assert.equal((await entry(l, "app/current")).linkname, "other.sh")],
    ["mtime policy (SOURCE_DATE_EPOCH)", () => build(entries(), 1_700_000_000), async (l) => assert.equal((await entry(l, "app/run.sh")).mtime, 1_700_000_000)],
  ];
  for (const [what, rebuild, check] of cases) {
    const changed = await rebuild();
    assert.equal(changed.cached, false, `changing only the ${what} must rebuild the layer`);
    assert.notEqual(changed.digest, first.digest, `changing only the ${what} changes the digest`);
    assert.notEqual(changed.diffId, first.diffId);
    await check(changed);
  }
  const fast = await build(entries(), 0, 1);
  assert.notEqual(fast.digest, first.digest, "another gzip level is another blob");
  assert.equal(fast.diffId, first.diffId, "but the same tarball");
  // Back to the original: still cached, same bytes.
  const back = await build(entries());
  assert.equal(back.cached, true);
  assert.equal(back.digest, first.digest);
  assert.equal((await entry(back, "app/run.sh")).mode, 0o644);
});

test("a source file's new content rebuilds; a touch with the same content reuses the blob by its diff_id", async (t) => {
  const { source, cache, entries } = await fixture(t);
  const build = () => buildLayer({ name: "l", entries: entries() }, { cache, mtime: 0 });
  const first = await build();
  await utimes(source, new Date(2001, 1, 1), new Date(2001, 1, 1));
  const touched = await build();
  assert.equal(touched.cached, true);
  assert.equal(touched.digest, first.digest);
  await writeFile(source, "#!/bin/sh\necho HI\n"); // same size
  const edited = await build();
  assert.equal(edited.cached, false);
  assert.notEqual(edited.digest, first.digest);
  assert.equal((await tarOf(edited)).find((e) => e.path === "app/run.sh")!.data.toString(), "#!/bin/sh\necho HI\n");
  // A blob missing from the cache is rebuilt, not trusted from the index.
  await rm(edited.file);
  const rebuilt = await build();
  assert.equal(rebuilt.cached, false);
  assert.equal(rebuilt.digest, edited.digest);
  assert.equal(sha256Digest(await readFile(rebuilt.file)), rebuilt.digest);
});

test("a layer's digest and size are of the gzip blob; its diff_id and diffSize are of the uncompressed tarball", async (t) => {
  const { cache, entries } = await fixture(t);
  for (const cached of [false, true]) {
    const layer = await buildLayer({ name: "l", entries: entries() }, { cache, mtime: 0 });
    assert.equal(layer.cached, cached);
    const blob = await readFile(layer.file);
    const tar = gunzipSync(blob);
    assert.equal(layer.mediaType, MediaType.ociLayerGzip);
    assert.equal(layer.digest, sha256Digest(blob));
    assert.equal(layer.size, blob.length);
    assert.equal(layer.diffId, sha256Digest(tar));
    assert.equal(layer.diffSize, tar.length);
    assert.notEqual(layer.diffId, layer.digest);
    assert.equal(layer.file, cache.blobPath(layer.digest));
    assert.equal(layer.name, "l");
    assert.deepEqual((await tarOf(layer)).map((e) => `${e.type} ${e.path}`), ["5 app/", "2 app/current", "0 app/data.txt", "0 app/run.sh"]);
  }
});

test("LayerCache: lookups need the blob at its recorded size; writes are verified and leave no temp files", async (t) => {
  const dir = await tempDir(t);
  const cache = new LayerCache(dir);
  assert.equal(cache.blobPath(sha256Digest("x")), join(dir, "blobs", "sha256", digestHex(sha256Digest("x"))));
  assert.equal(await cache.lookup("nothing"), undefined);
  assert.equal(await cache.blobSize(sha256Digest("nothing")), undefined);
  const stored = await cache.putBlob(Buffer.from("hello"));
  assert.deepEqual(stored, { digest: sha256Digest("hello"), size: 5, file: cache.blobPath(sha256Digest("hello")) });
  assert.equal(await readFile(stored.file, "utf8"), "hello");
  assert.deepEqual(await cache.putBlob(Buffer.from("hello")), stored);
  await cache.remember("key", { diffId: sha256Digest("d"), digest: stored.digest, size: 5, diffSize: 9 });
  assert.deepEqual(await cache.lookup("key"), { diffId: sha256Digest("d"), digest: stored.digest, size: 5, diffSize: 9 });
  assert.equal(await cache.lookup("other key"), undefined);
  await truncate(stored.file, 3);
  assert.equal(await cache.lookup("key"), undefined, "a truncated blob is a miss");
  assert.equal(await cache.blobSize(stored.digest), 3);
  // putBlob repairs a blob whose size is wrong.
  await cache.putBlob(Buffer.from("hello"));
  assert.equal(await readFile(stored.file, "utf8"), "hello");
  await assert.rejects(cache.writeBlob([Buffer.from("abc")], sha256Digest("abd")), /blob digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}/);
  const written = await cache.writeBlob(Readable.from([Buffer.from("ab"), Buffer.from("c")]), sha256Digest("abc"));
  assert.deepEqual(written, { digest: sha256Digest("abc"), size: 3, file: cache.blobPath(sha256Digest("abc")) });
  assert.deepEqual((await readdir(join(dir, "blobs", "sha256"))).filter((f) => f.startsWith(".tmp")), []);
  assert.deepEqual((await readdir(join(dir, "index"))).filter((f) => f.endsWith(".tmp")), []);
});

test("defaultCacheDir: TSCOG_CACHE_DIR, else XDG_CACHE_HOME/tscog, else ~/.cache/tscog", (t) => {
  const saved = { TSCOG_CACHE_DIR: process.env.TSCOG_CACHE_DIR, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, HOME: process.env.HOME };
  t.after(() => {
    for (const [k, v] of Object.entries(saved)) v === undefined ? delete process.env[k] : (process.env[k] = v);
  });
  process.env.HOME = "/home/someone";
  process.env.TSCOG_CACHE_DIR = "/c/tscog";
  process.env.XDG_CACHE_HOME = "/xdg";
  assert.equal(defaultCacheDir(), "/c/tscog");
  delete process.env.TSCOG_CACHE_DIR;
  assert.equal(defaultCacheDir(), "/xdg/tscog");
  process.env.XDG_CACHE_HOME = "";
  assert.equal(defaultCacheDir(), "/home/someone/.cache/tscog");
  assert.equal(new LayerCache().dir, "/home/someone/.cache/tscog");
});

test("digests: sha256Digest, digestHex and DigestCounter agree with node:crypto", async () => {
  const abc = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  assert.equal(sha256Digest("abc"), abc);
  assert.equal(sha256Digest(Buffer.from("abc")), abc);
  assert.equal(digestHex(abc), abc.slice(7));
  for (const bad of ["ba7816bf", "sha256:xyz", `sha512:${abc.slice(7)}`, `${abc}0`, ` ${abc}`, abc.toUpperCase()]) {
    assert.throws(() => digestHex(bad), new RegExp(`not a sha256 digest: ${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  }
  const counter = new DigestCounter();
  const seen: Buffer[] = [];
  const chunks = [Buffer.from("a"), Buffer.alloc(70_000, 7), Buffer.from("end")];
  await pipeline(Readable.from(chunks), counter, new Writable({ write: (c: Buffer, _e, cb) => { seen.push(c); cb(); } }));
  const all = Buffer.concat(chunks);
  assert.equal(counter.size, all.length);
  assert.equal(counter.digest(), `sha256:${createHash("sha256").update(all).digest("hex")}`);
  assert.deepEqual(Buffer.concat(seen), all, "bytes pass through unchanged");
});
