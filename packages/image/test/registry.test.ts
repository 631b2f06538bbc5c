import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { TscogError } from "@tscog/sdk";
import { buildProjectImage, LayerCache, RegistryPublisher, type ImageResult } from "../src/index.js";
import { freePort, needPrograms, REPO_ROOT, run, startRegistry, tempDir, tinyProject } from "./helpers.js";

async function buildTiny(dir: string, cacheDir: string, projectDir: string, serverEntry: string, extra: { baseImage?: string } = {}): Promise<ImageResult> {
  return buildProjectImage({
    projectDir, config: { predict: "predict.ts:Predictor" }, openapi: { openapi: "3.0.2" },
    bundlePredictor: async () => ({ code: `// bundled\n${await import("node:fs/promises").then((fs) => fs.readFile(join(projectDir, "predict.ts"), "utf8"))}` }),
    serverEntry, resolveFrom: REPO_ROOT, cache: new LayerCache(cacheDir), sourceDateEpoch: 0, ...extra,
  });
}

test("push to a real registry: skopeo reads it, a second push uploads nothing, an edit re-pushes only the code layer, mounts across repositories", async (t) => {
  if (!(await needPrograms(t, "docker-registry", "skopeo"))) return;
  const dir = await tempDir(t);
  const registry = await startRegistry(join(dir, "registry"));
  t.after(() => registry.stop());
  const cacheDir = join(dir, "cache");
  const { projectDir, serverEntry } = await tinyProject(dir, { weightsBytes: 1_500_000 });
  const image = await buildTiny(dir, cacheDir, projectDir, serverEntry);
  const push = (img: ImageResult, ref: string) => new RegistryPublisher({ reference: ref, cacheDir, chunkSize: 4 * 1024 * 1024 }).publish(img);

  const first = await push(image, `${registry.host}/tscog/tiny:v1`);
  assert.equal(first.digest, image.digest);
  assert.equal(first.uploaded?.length, image.layers.length + 1);
  assert.equal(first.destination, `${registry.host}/tscog/tiny:v1@${image.digest}`);

  const { stdout } = await run("skopeo", ["inspect", "--tls-verify=false", `docker://${registry.host}/tscog/tiny:v1`]);
  const inspected = JSON.parse(stdout) as { Digest: string; Layers: string[]; Labels: Record<string, string>; Architecture: string };
  assert.equal(inspected.Digest, image.digest);
  assert.deepEqual(inspected.Layers, image.layers.map((l) => l.digest));
  assert.equal(inspected.Labels["run.cog.openapi_schema"], '{"openapi":"3.0.2"}');
  const raw = await run("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${registry.host}/tscog/tiny:v1`]);
  assert.equal(raw.stdout, image.manifestBytes.toString());

  const second = await push(image, `${registry.host}/tscog/tiny:v1`);
  assert.equal(second.uploaded?.length, 0);
  assert.equal(second.bytesUploaded, 0);
  assert.equal(second.skipped?.length, image.layers.length + 1);

  await writeFile(join(projectDir, "predict.ts"), "export class Predictor { predict() { return 'edited'; } }\n");
  const edited = await buildTiny(dir, cacheDir, projectDir, serverEntry);
  const third = await push(edited, `${registry.host}/tscog/tiny:v2`);
  const codeLayer = edited.layers[edited.layers.length - 1];
  assert.deepEqual(third.uploaded?.map((u) => u.digest).sort(), [codeLayer.digest, edited.configDigest].sort());
  assert.ok((third.bytesUploaded ?? 0) < 10_000, `re-push sent ${third.bytesUploaded} bytes`);

  const other = await push(edited, `${registry.host}/elsewhere/tiny:v2`);
  assert.equal(other.uploaded?.length, 0);
  assert.equal(other.mounted?.length, edited.layers.length + 1);
});

test("a base image pulled from a registry (cached), and one that does not exist", async (t) => {
  if (!(await needPrograms(t, "docker-registry"))) return;
  const dir = await tempDir(t);
  const registry = await startRegistry(join(dir, "registry"));
  t.after(() => registry.stop());
  const cacheDir = join(dir, "cache");
  const { projectDir, serverEntry } = await tinyProject(dir);
  const base = await buildTiny(dir, cacheDir, projectDir, serverEntry);
  await new RegistryPublisher({ reference: `${registry.host}/bases/node:1`, cacheDir }).publish(base);
  const onTop = await buildTiny(dir, join(dir, "cache2"), projectDir, serverEntry, { baseImage: `${registry.host}/bases/node:1` });
  assert.deepEqual(onTop.layers.slice(0, base.layers.length).map((l) => l.digest), base.layers.map((l) => l.digest));
  assert.equal(onTop.layers.length, base.layers.length + 2);
  assert.equal(onTop.config.config.Labels?.["org.opencontainers.image.base.name"], `${registry.host}/bases/node:1`);
  const cachedAgain = await buildTiny(dir, join(dir, "cache2"), projectDir, serverEntry, { baseImage: `${registry.host}/bases/node:1` });
  assert.ok(cachedAgain.layers.every((l) => l.cached));
  await assert.rejects(buildTiny(dir, cacheDir, projectDir, serverEntry, { baseImage: `${registry.host}/bases/nope:1` }),
    (err: unknown) => err instanceof TscogError && err.code === "BUILD_FAILED" && /base image .*nope:1 does not exist/.test(err.message));
});

test("htpasswd auth: right credentials push, wrong ones are a clear REGISTRY error", async (t) => {
  if (!(await needPrograms(t, "docker-registry", "htpasswd", "skopeo"))) return;
  const dir = await tempDir(t);
  const registry = await startRegistry(join(dir, "registry"), { user: "ci", password: "right-password" });
  t.after(() => registry.stop());
  const cacheDir = join(dir, "cache");
  const { projectDir, serverEntry } = await tinyProject(dir);
  const image = await buildTiny(dir, cacheDir, projectDir, serverEntry);
  const ok = await new RegistryPublisher({ reference: `${registry.host}/auth/tiny:v1`, cacheDir, credentials: { username: "ci", password: "right-password", source: "test" } }).publish(image);
  assert.equal(ok.digest, image.digest);
  await run("skopeo", ["inspect", "--tls-verify=false", "--creds", "ci:right-password", `docker://${registry.host}/auth/tiny:v1`]);
  await assert.rejects(
    new RegistryPublisher({ reference: `${registry.host}/auth/tiny:v1`, cacheDir, credentials: { username: "ci", password: "wrong", source: "test" } }).publish(image),
    (err: unknown) => err instanceof TscogError && err.code === "REGISTRY" && /refused credentials from test \(user "ci"\)/.test(err.message) && err.exitCode === 6,
  );
  const saved = { ...process.env };
  t.after(() => { process.env.DOCKER_CONFIG = saved.DOCKER_CONFIG; });
  process.env.DOCKER_CONFIG = join(dir, "empty-docker-config");
  await assert.rejects(new RegistryPublisher({ reference: `${registry.host}/auth/tiny:v1`, cacheDir }).publish(image), /requires credentials|refused anonymous/);
});

test("an unreachable registry is a REGISTRY error naming it, after retries", async (t) => {
  const dir = await tempDir(t);
  const { projectDir, serverEntry } = await tinyProject(dir);
  const image = await buildTiny(dir, join(dir, "cache"), projectDir, serverEntry);
  const port = await freePort(); // nothing listens there
  await assert.rejects(
    new RegistryPublisher({ reference: `127.0.0.1:${port}/nothing/here:v1`, cacheDir: join(dir, "cache"), retry: { retries: 1, baseDelayMs: 10 } }).publish(image),
    (err: unknown) => err instanceof TscogError && err.code === "REGISTRY" && err.message.includes(`cannot reach registry 127.0.0.1:${port}`) && /ECONNREFUSED/.test(err.message),
  );
});
