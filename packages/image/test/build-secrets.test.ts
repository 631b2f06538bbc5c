import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { BUILD_SECRETS_ENV, checkSecretsAbsent, LayerCache, parseBuildSecret, storeCredentials, withBuildSecrets } from "../src/index.js";
import { tempDir } from "./helpers.js";

test("parseBuildSecret reads src= files and env= variables; malformed flags say what is expected", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "token");
  await writeFile(file, "tok-1234567890\n");
  const fromFile = await parseBuildSecret(`id=hf,src=${file}`);
  assert.equal(fromFile.id, "hf");
  assert.equal(fromFile.value.toString(), "tok-1234567890\n");
  assert.equal(fromFile.file, file);
  assert.equal((await parseBuildSecret("id=gh,env=GH", { GH: "abc" })).value.toString(), "abc");
  assert.equal((await parseBuildSecret("id=GH", { GH: "xyz" })).value.toString(), "xyz", "env defaults to the id, as buildx does");
  await assert.rejects(parseBuildSecret("src=x"), /--secret "src=x": id= must be a name/);
  await assert.rejects(parseBuildSecret("id=a,src=/nonexistent/file"), /cannot read \/nonexistent\/file: no such file/);
  await assert.rejects(parseBuildSecret("id=a,color=red", {}), /unknown key color/);
});

test("withBuildSecrets exposes each secret as a private file for the duration, then removes it", async () => {
  const secrets = [{ id: "hf", value: Buffer.from("v1") }];
  const seen = await withBuildSecrets(secrets, async () => {
    const dir = process.env[BUILD_SECRETS_ENV]!;
    return { dir, text: await readFile(join(dir, "hf"), "utf8") };
  });
  assert.equal(seen.text, "v1");
  assert.equal(existsSync(seen.dir), false);
  assert.equal(process.env[BUILD_SECRETS_ENV], undefined);
});

test("checkSecretsAbsent finds a secret in generated files, code files and the config; ignores short ones", async (t) => {
  const dir = await tempDir(t);
  const secret = { id: "hf", value: Buffer.from("  sk-live-abcdef123456\n") };
  const codeFile = join(dir, "config.ts");
  await writeFile(codeFile, "export const token = 'sk-live-abcdef123456';");
  const clean = { name: "code", entries: [{ path: "/src/x.mjs", type: "file" as const, mode: 0o644, uid: 0, gid: 0, data: Buffer.from("nothing") }] };
  await checkSecretsAbsent([secret], [clean], { Env: ["A=b"] });
  await assert.rejects(checkSecretsAbsent([secret], [clean], { Labels: { x: "sk-live-abcdef123456" } }), /"hf" would be written into the image: its value is in the image config/);
  const bundled = { name: "code", entries: [{ path: "/src/.tscog/predictor.mjs", type: "file" as const, mode: 0o644, uid: 0, gid: 0, data: Buffer.from("const t='sk-live-abcdef123456'") }] };
  await assert.rejects(checkSecretsAbsent([secret], [bundled], {}), /its value is in \/src\/\.tscog\/predictor\.mjs \(code layer\)/);
  const copied = { name: "code", entries: [{ path: "/src/config.ts", type: "file" as const, mode: 0o644, uid: 0, gid: 0, source: codeFile, size: 44 }] };
  await assert.rejects(checkSecretsAbsent([secret], [copied], {}), new RegExp(`/src/config\\.ts \\(code layer, from ${codeFile}\\)`));
  await checkSecretsAbsent([{ id: "short", value: Buffer.from("abc") }], [bundled], { Labels: { x: "abc" } });
});

test("LayerCache({ reuse: false }) misses every lookup but still stores what is built", async (t) => {
  const dir = await tempDir(t);
  const layer = { diffId: "sha256:00", digest: "sha256:11", size: 0 };
  const cache = new LayerCache(dir);
  await cache.putBlob(new Uint8Array());
  const empty = await cache.putBlob(new Uint8Array());
  await cache.remember("k", { ...layer, digest: empty.digest });
  assert.ok(await cache.lookup("k"));
  assert.equal(await new LayerCache(dir, { reuse: false }).lookup("k"), undefined);
});

test("storeCredentials writes auths (mode 0600) and keeps the rest of the Docker config", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "config.json");
  await writeFile(file, JSON.stringify({ auths: { "other.io": { auth: "eDp5" } }, proxies: { default: {} } }));
  assert.equal(await storeCredentials("localhost:5000", "u", "p", { dockerConfigFile: file }), file);
  const config = JSON.parse(await readFile(file, "utf8"));
  assert.equal(config.auths["localhost:5000"].auth, Buffer.from("u:p").toString("base64"));
  assert.equal(config.auths["other.io"].auth, "eDp5");
  assert.deepEqual(config.proxies, { default: {} });
  await storeCredentials("docker.io", "u", "p", { dockerConfigFile: file });
  assert.ok(JSON.parse(await readFile(file, "utf8")).auths["https://index.docker.io/v1/"]);
});
