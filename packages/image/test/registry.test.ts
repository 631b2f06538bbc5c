import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { TscogError } from "@tscog/sdk";
import { buildProjectImage, canonicalJson, LayerBuilder, LayerCache, MediaType, pullBaseImage, RegistryPublisher, sha256Digest, type ImageResult, type Platform } from "../src/index.js";
import { freePort, needPrograms, REPO_ROOT, run, startRegistry, tempDir, tinyProject } from "./helpers.js";

// One layer cache for the whole file: the ~57 MB dependencies layer is compressed once, not once per
// test (no test here depends on a cold build cache; pulls use their own caches where that matters).
let sharedCache: Promise<string> | undefined;
after(async () => {
  if (sharedCache) await rm(await sharedCache, { recursive: true, force: true });
});
function sharedCacheDir(): Promise<string> {
  sharedCache ??= mkdtemp(join(tmpdir(), "tscog-image-cache-"));
  return sharedCache;
}

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
  const cacheDir = await sharedCacheDir();
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
  // What the registry serves: the config's diff_ids are the digests of the uncompressed layers.
  const blob = async (digest: string) => Buffer.from(await (await fetch(`http://${registry.host}/v2/tscog/tiny/blobs/${digest}`)).arrayBuffer());
  const served = JSON.parse((await blob(image.configDigest)).toString()) as { rootfs: { diff_ids: string[] } };
  const layers = await Promise.all(image.layers.map((l) => blob(l.digest)));
  assert.deepEqual(layers.map((b) => sha256Digest(b)), image.layers.map((l) => l.digest));
  assert.deepEqual(served.rootfs.diff_ids, layers.map((b) => sha256Digest(gunzipSync(b))));

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
  const cacheDir = await sharedCacheDir();
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
  const cacheDir = await sharedCacheDir();
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
  const image = await buildTiny(dir, await sharedCacheDir(), projectDir, serverEntry);
  const port = await freePort(); // nothing listens there
  await assert.rejects(
    new RegistryPublisher({ reference: `127.0.0.1:${port}/nothing/here:v1`, cacheDir: join(dir, "cache"), retry: { retries: 1, baseDelayMs: 10 } }).publish(image),
    (err: unknown) => err instanceof TscogError && err.code === "REGISTRY" && err.message.includes(`cannot reach registry 127.0.0.1:${port}`) && /ECONNREFUSED/.test(err.message),
  );
});

/** A small image for one platform (a layer naming it), as a base for the multi-architecture test. */
async function platformImage(cache: LayerCache, platform: Platform): Promise<ImageResult> {
  return new LayerBuilder({ cache }).build({
    platform, created: new Date(0),
    layers: [{ name: "arch", entries: [{ path: "etc/arch", type: "file", mode: 0o644, uid: 0, gid: 0, data: Buffer.from(platform.architecture) }] }],
    config: { Env: [`ARCH=${platform.architecture}`], Cmd: ["sh"] },
  });
}

test("a multi-architecture base image (an OCI index) as build.base_image: the build takes this platform's manifest", async (t) => {
  if (!(await needPrograms(t, "docker-registry", "skopeo"))) return;
  const dir = await tempDir(t);
  const registry = await startRegistry(join(dir, "registry"));
  t.after(() => registry.stop());
  const cache = new LayerCache(join(dir, "bases"));
  const amd64: Platform = { os: "linux", architecture: "amd64" };
  const arm64: Platform = { os: "linux", architecture: "arm64", variant: "v8" };
  const images = [await platformImage(cache, arm64), await platformImage(cache, amd64)];
  for (const [i, image] of images.entries()) {
    await new RegistryPublisher({ reference: `${registry.host}/bases/multi:only-${i}`, cacheDir: cache.dir }).publish(image);
  }
  const index = canonicalJson({
    schemaVersion: 2, mediaType: MediaType.ociIndex,
    manifests: images.map((image, i) => ({ mediaType: MediaType.ociManifest, digest: image.digest, size: image.manifestBytes.length, platform: [arm64, amd64][i] })),
  });
  const put = await fetch(`http://${registry.host}/v2/bases/multi/manifests/1`, { method: "PUT", headers: { "content-type": MediaType.ociIndex }, body: new Uint8Array(index) });
  assert.equal(put.status, 201, await put.text());
  const ref = `${registry.host}/bases/multi:1`;
  const { stdout } = await run("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${ref}`]);
  assert.equal(JSON.parse(stdout).mediaType, MediaType.ociIndex);

  for (const [platform, image] of [[arm64, images[0]], [amd64, images[1]]] as const) {
    const pulled = await pullBaseImage(ref, { cache: new LayerCache(join(dir, `pull-${platform.architecture}`)), platform });
    assert.deepEqual(pulled.layers.map((l) => l.digest), image.layers.map((l) => l.digest));
    assert.deepEqual(pulled.config.rootfs.diff_ids, image.config.rootfs.diff_ids);
    assert.equal(pulled.config.architecture, platform.architecture);
  }
  await assert.rejects(pullBaseImage(ref, { cache, platform: { os: "linux", architecture: "s390x" } }),
    (err: unknown) => err instanceof TscogError && err.code === "BUILD_FAILED" && /has no linux\/s390x variant \(it has: linux\/arm64, linux\/amd64\)/.test(err.message));

  // The whole build on top of it, for amd64: the amd64 base layer first, then the project's.
  const { projectDir, serverEntry } = await tinyProject(dir);
  const built = await buildProjectImage({
    projectDir, config: { predict: "predict.ts:Predictor" }, openapi: {}, bundlePredictor: async () => ({ code: "export const v = 1;\n" }),
    serverEntry, resolveFrom: REPO_ROOT, cache: new LayerCache(await sharedCacheDir()), sourceDateEpoch: 0, baseImage: ref, platform: amd64,
  });
  assert.equal(built.layers[0].digest, images[1].layers[0].digest);
  assert.equal(built.config.architecture, "amd64");
  assert.ok(built.config.config.Env?.includes("ARCH=amd64"), "the amd64 base's config is the one merged");
  assert.equal(built.config.config.Labels?.["org.opencontainers.image.base.name"], ref);
  assert.equal(built.config.rootfs.diff_ids[0], images[1].config.rootfs.diff_ids[0]);
});
