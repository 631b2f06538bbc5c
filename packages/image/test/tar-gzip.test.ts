import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { deterministicGzip, normalizeEntries, tarStream, type TarEntry } from "../src/index.js";
import { needPrograms, run, tempDir } from "./helpers.js";

async function tarBytes(entries: TarEntry[], mtime = 0): Promise<Buffer> {
  return buffer(Readable.from(tarStream(normalizeEntries(entries), { mtime })));
}

const file = (path: string, text: string, extra: Partial<TarEntry> = {}): TarEntry => ({ path, type: "file", mode: 0o644, uid: 0, gid: 0, data: Buffer.from(text), ...extra });

test("entries are sorted, parents added, duplicates resolved, whatever the input order", async () => {
  const a = normalizeEntries([file("/usr/b.txt", "b"), file("usr/a/x.txt", "x"), file("./usr/b.txt", "b2")]);
  assert.deepEqual(a.map((e) => `${e.type[0]} ${e.path}`), ["d usr", "d usr/a", "f usr/a/x.txt", "f usr/b.txt"]);
  assert.equal(Buffer.from(a[3].data!).toString(), "b2");
  assert.throws(() => normalizeEntries([file("../etc/passwd", "")]), /invalid tar path/);
});

test("the same entries give the same bytes; mtime is the only time in them", async () => {
  const entries = [file("b", "bee"), file("a/c", "sea", { uid: 1000, gid: 1000 }), { path: "l", type: "symlink" as const, mode: 0o777, uid: 0, gid: 0, linkname: "a/c" }];
  const one = await tarBytes(entries);
  const two = await tarBytes([...entries].reverse());
  assert.ok(one.equals(two));
  assert.equal(one.length % 512, 0);
  assert.ok(!one.equals(await tarBytes(entries, 1700000000)));
});

test("GNU tar reads what we write, long names via PAX, modes, owners and the sticky /tmp", async (t) => {
  if (!(await needPrograms(t, "tar"))) return;
  const dir = await tempDir(t);
  const long = `${"deep/".repeat(30)}name-that-is-long.txt`;
  const big = join(dir, "big.bin");
  await writeFile(big, Buffer.alloc(70_000, 7));
  const bytes = await tarBytes([
    file(long, "long"),
    { path: "tmp", type: "directory", mode: 0o1777, uid: 0, gid: 0 },
    { path: "opt/big.bin", type: "file", mode: 0o755, uid: 1000, gid: 1000, source: big, size: 70_000 },
  ], 1234567890);
  const archive = join(dir, "x.tar");
  await writeFile(archive, bytes);
  const { stdout } = await run("tar", ["--numeric-owner", "--full-time", "-tvf", archive]);
  assert.match(stdout, new RegExp(long.replace(/\./g, "\\.")));
  assert.match(stdout, /drwxrwxrwt 0\/0 .* tmp\//);
  assert.match(stdout, /-rwxr-xr-x 1000\/1000 +70000 2009-02-13 23:31:30 opt\/big\.bin/);
});

test("a file that changes size while archived is an error, not a corrupt layer", async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, "f"), "12345");
  await assert.rejects(tarBytes([{ path: "f", type: "file", mode: 0o644, uid: 0, gid: 0, source: join(dir, "f"), size: 3 }]), /changed size/);
});

test("deterministic gzip: same bytes each time, header mtime 0 and OS 255, round-trips", async () => {
  const input = Buffer.from("tscog ".repeat(50_000));
  const gz = () => buffer(Readable.from([input.subarray(0, 1000), input.subarray(1000)]).pipe(deterministicGzip()));
  const a = await gz();
  const b = await gz();
  assert.ok(a.equals(b));
  assert.deepEqual([...a.subarray(0, 4)], [0x1f, 0x8b, 8, 0]);
  assert.equal(a.readUInt32LE(4), 0);
  assert.equal(a[9], 255);
  assert.ok(gunzipSync(a).equals(input));
});
