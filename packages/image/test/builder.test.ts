import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { buildProjectImage, LayerBuilder, LayerCache, MediaType, sha256Digest, type BuildEvent, type BuildPlan } from "../src/index.js";
import { REPO_ROOT, tempDir, tinyProject } from "./helpers.js";

function plan(text: string, epoch = 0): BuildPlan {
  return {
    platform: { os: "linux", architecture: "amd64" },
    created: new Date(epoch * 1000),
    layers: [
      { name: "one", entries: [{ path: "a.txt", type: "file", mode: 0o644, uid: 0, gid: 0, data: Buffer.from("a") }] },
      { name: "two", entries: [{ path: "src/b.txt", type: "file", mode: 0o644, uid: 1000, gid: 1000, data: Buffer.from(text) }] },
    ],
    config: { User: "1000:1000", Env: ["PORT=5000"], Entrypoint: ["node", "x.mjs"], Labels: { a: "b" } },
  };
}

test("same plan, different caches: same digest; the manifest and config have the OCI shape", async (t) => {
  const dir = await tempDir(t);
  const a = await new LayerBuilder({ cache: new LayerCache(join(dir, "c1")) }).build(plan("b"));
  const b = await new LayerBuilder({ cache: new LayerCache(join(dir, "c2")) }).build(plan("b"));
  assert.equal(a.digest, b.digest);
  assert.equal(a.digest, sha256Digest(a.manifestBytes));
  assert.equal(a.manifest.mediaType, MediaType.ociManifest);
  assert.equal(a.manifest.config.mediaType, MediaType.ociConfig);
  assert.equal(a.manifest.config.digest, sha256Digest(a.configBytes));
  assert.deepEqual(a.manifest.layers.map((l) => l.mediaType), [MediaType.ociLayerGzip, MediaType.ociLayerGzip]);
  assert.equal(a.config.rootfs.diff_ids.length, 2);
  assert.equal(a.config.created, "1970-01-01T00:00:00Z");
  assert.equal(a.config.history?.length, 2);
  for (const l of a.layers) assert.equal(sha256Digest(await readFile(l.file)), l.digest);
});

test("the config's diff_ids are the digests of the uncompressed layers, the manifest's digests those of the blobs", async (t) => {
  const builder = new LayerBuilder({ cache: new LayerCache(await tempDir(t)) });
  for (const image of [await builder.build(plan("b")), await builder.build(plan("b"))]) {
    const blobs = await Promise.all(image.manifest.layers.map((d) => readFile(image.blobFile(d.digest))));
    assert.deepEqual(image.manifest.layers.map((d) => d.digest), blobs.map((b) => sha256Digest(b)));
    assert.deepEqual(image.manifest.layers.map((d) => d.size), blobs.map((b) => b.length));
    assert.deepEqual(image.config.rootfs.diff_ids, blobs.map((b) => sha256Digest(gunzipSync(b))));
    assert.deepEqual(JSON.parse(image.configBytes.toString()).rootfs.diff_ids, image.config.rootfs.diff_ids);
    assert.equal(sha256Digest(await readFile(image.blobFile(image.configDigest))), image.configDigest);
    assert.equal(image.size, image.configBytes.length + blobs.reduce((n, b) => n + b.length, 0));
    assert.equal(image.uncompressedSize, image.configBytes.length + blobs.reduce((n, b) => n + gunzipSync(b).length, 0));
  }
});

test("a changed layer changes only that layer; SOURCE_DATE_EPOCH changes the digest", async (t) => {
  const cache = new LayerCache(await tempDir(t));
  const builder = new LayerBuilder({ cache });
  const a = await builder.build(plan("b"));
  const events: BuildEvent[] = [];
  const b = await builder.build(plan("changed"), { onProgress: (e) => events.push(e) });
  assert.equal(a.layers[0].digest, b.layers[0].digest);
  assert.notEqual(a.layers[1].digest, b.layers[1].digest);
  const layerEvents = events.filter((e) => e.kind === "layer");
  assert.deepEqual(layerEvents.map((e) => e.kind === "layer" && e.layer.cached), [true, false]);
  const c = await builder.build(plan("b", 1700000000));
  assert.notEqual(a.digest, c.digest);
  assert.equal(c.config.created, "2023-11-14T22:13:20Z");
});

test("a project image: dependencies, weights and code layers; non-root; labels; pruned onnxruntime", async (t) => {
  const dir = await tempDir(t);
  const { projectDir, serverEntry } = await tinyProject(dir, { weightsBytes: 2_000_000 });
  const cache = new LayerCache(join(dir, "cache"));
  const openapi = { openapi: "3.0.2", info: { title: "Cog", version: "0.1.0" } };
  const build = () => buildProjectImage({
    projectDir, config: { predict: "predict.ts:Predictor" }, openapi, bundlePredictor: async () => ({ code: "export const v = 1;\n" }),
    serverEntry, resolveFrom: REPO_ROOT, cache, sourceDateEpoch: 0,
  });
  const image = await build();
  assert.deepEqual(image.layers.map((l) => l.name.split(" ")[0]), ["base", "dependencies", "weights", "code"]);
  const cfg = image.config.config;
  assert.equal(cfg.User, "1000:1000");
  assert.equal(cfg.WorkingDir, "/src");
  assert.deepEqual(cfg.ExposedPorts, { "5000/tcp": {} });
  assert.deepEqual(cfg.Entrypoint, ["node", "/opt/tscog/server.mjs"]);
  assert.ok(cfg.Env?.includes("PORT=5000") && cfg.Env.includes("NODE_ENV=production"));
  assert.ok(cfg.Env?.some((e) => e.startsWith("PATH=")));
  assert.equal(cfg.Healthcheck?.Test[0], "CMD");
  assert.deepEqual(JSON.parse(cfg.Labels!["run.cog.openapi_schema"]), openapi);
  assert.deepEqual(JSON.parse(cfg.Labels!["run.cog.config"]), { predict: "predict.ts:Predictor" });
  assert.equal(cfg.Labels!["org.opencontainers.image.created"], "1970-01-01T00:00:00Z");
  assert.equal(cfg.Labels!["org.opencontainers.image.title"], "proj");
  const deps = image.layers[1];
  assert.ok(deps.diffSize! < 80_000_000, `dependencies layer is ${deps.diffSize} bytes: onnxruntime-node was not pruned`);
  // Editing predict.ts rebuilds only the code layer.
  await writeFile(join(projectDir, "predict.ts"), "export class Predictor { predict() { return 'edited'; } }\n");
  const again = await build();
  assert.deepEqual(again.layers.map((l) => l.cached), [true, true, true, false]);
  assert.deepEqual(again.layers.slice(0, 3).map((l) => l.digest), image.layers.slice(0, 3).map((l) => l.digest));
});

test("gpu without a base image is a clear BUILD_FAILED", async (t) => {
  const dir = await tempDir(t);
  const { projectDir, serverEntry } = await tinyProject(dir);
  await assert.rejects(buildProjectImage({
    projectDir, config: {}, openapi: {}, bundlePredictor: async () => ({ code: "" }), serverEntry, resolveFrom: REPO_ROOT,
    cache: new LayerCache(join(dir, "cache")), gpu: true,
  }), { code: "BUILD_FAILED", message: /gpu: true needs build.base_image/ });
});
