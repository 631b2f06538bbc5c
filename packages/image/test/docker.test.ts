import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { TscogError } from "@tscog/sdk";
import { buildProjectImage, DockerArchivePublisher, DockerEnginePublisher, LayerCache, OciLayoutPublisher } from "../src/index.js";
import { fetchWithin, needDocker, needPrograms, REPO_ROOT, run, tempDir, tinyProject } from "./helpers.js";

async function tinyImage(dir: string) {
  const { projectDir, serverEntry } = await tinyProject(dir);
  return buildProjectImage({
    projectDir, config: { predict: "predict.ts:Predictor" }, openapi: { openapi: "3.0.2" },
    bundlePredictor: async () => ({ code: "export const bundled = true;\n" }),
    serverEntry, resolveFrom: REPO_ROOT, cache: new LayerCache(join(dir, "cache")), sourceDateEpoch: 0,
  });
}

test("the image loads into Docker, runs as non-root, turns healthy and streams a prediction", async (t) => {
  if (!(await needDocker(t))) return;
  const dir = await tempDir(t);
  const image = await tinyImage(dir);
  const tag = `tscog-image-test-${randomBytes(4).toString("hex")}:latest`;
  const loaded = await new DockerEnginePublisher({ tags: [tag] }).publish(image);
  t.after(async () => { await run("docker", ["rmi", "-f", tag]).catch(() => {}); });
  assert.equal(loaded.digest, image.configDigest);
  const { stdout: id } = await run("docker", ["image", "inspect", tag, "--format", "{{.Id}}"]);
  assert.equal(id.trim(), image.configDigest);

  const started = performance.now();
  const { stdout: cid } = await run("docker", ["run", "-d", "-p", "127.0.0.1::5000", tag]);
  const container = cid.trim();
  t.after(async () => { await run("docker", ["rm", "-f", container]).catch(() => {}); });
  const { stdout: portLine } = await run("docker", ["port", container, "5000/tcp"]);
  const base = `http://${portLine.trim().split("\n")[0]}`;
  let health: { status: string; uid: number; ort: string } | undefined;
  for (let i = 0; i < 100 && health?.ort !== "loaded"; i++) {
    health = await fetchWithin(`${base}/health-check`, 2000).then((r) => r.json() as Promise<typeof health>, () => undefined);
    if (health?.ort !== "loaded") await new Promise((r) => setTimeout(r, 100));
  }
  const readyMs = performance.now() - started;
  assert.deepEqual(health, { status: "READY", uid: 1000, ort: "loaded" }, "server ready as uid 1000 with onnxruntime-node loadable");
  t.diagnostic(`container start to READY: ${readyMs.toFixed(0)} ms`);

  const res = await fetchWithin(`${base}/predictions`, 10_000, { method: "POST", headers: { accept: "text/event-stream" }, body: "{}" });
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) chunks.push(decoder.decode(part));
  assert.ok(chunks.length > 1, "the prediction arrived in several chunks");
  const outputs = [...chunks.join("").matchAll(/event: output\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]));
  assert.deepEqual(outputs, ["hello", "from", "the", "container", "export const bundled = true;"]);

  const { stdout: user } = await run("docker", ["inspect", container, "--format", "{{.Config.User}} {{.Config.WorkingDir}}"]);
  assert.equal(user.trim(), "1000:1000 /src");
  for (let i = 0; i < 40; i++) {
    const { stdout: h } = await run("docker", ["inspect", container, "--format", "{{.State.Health.Status}}"]);
    if (h.trim() !== "starting") {
      assert.equal(h.trim(), "healthy");
      break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
});

test("docker-archive and OCI layout outputs are complete and readable by skopeo", async (t) => {
  if (!(await needPrograms(t, "skopeo"))) return;
  const dir = await tempDir(t);
  const image = await tinyImage(dir);
  const archive = join(dir, "out", "image.tar");
  await new DockerArchivePublisher({ file: archive, tags: ["tiny:v1"] }).publish(image);
  const { stdout: a } = await run("skopeo", ["inspect", `docker-archive:${archive}`]);
  assert.deepEqual((JSON.parse(a) as { Layers: string[] }).Layers.length, image.layers.length);
  const layout = join(dir, "out", "layout");
  await new OciLayoutPublisher({ dir: layout, tag: "v1" }).publish(image);
  await new OciLayoutPublisher({ dir: layout, tag: "v1" }).publish(image); // replacing an earlier layout is fine
  const index = JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as { manifests: { digest: string }[] };
  assert.equal(index.manifests[0].digest, image.digest);
  const { stdout: o } = await run("skopeo", ["inspect", `oci:${layout}:v1`]);
  assert.equal((JSON.parse(o) as { Digest: string }).Digest, image.digest);
  assert.deepEqual((await readdir(join(dir, "out"))).sort(), ["image.tar", "layout"]);
});

test("a failed write leaves nothing under the final name", async (t) => {
  const dir = await tempDir(t);
  const image = await tinyImage(dir);
  await writeFile(join(dir, "not-a-dir"), "x");
  await assert.rejects(new DockerArchivePublisher({ file: join(dir, "not-a-dir", "image.tar") }).publish(image),
    (err: unknown) => err instanceof TscogError && err.code === "BUILD_FAILED" && /cannot write/.test(err.message));
  await writeFile(join(dir, "keep.txt"), "x");
  await assert.rejects(new OciLayoutPublisher({ dir }).publish(image), /not an OCI layout; refusing/);
  assert.equal(await readFile(join(dir, "keep.txt"), "utf8"), "x");
  assert.deepEqual((await readdir(dir)).filter((f) => f.includes("tmp")), []);
});

test("disk full while writing is a clear error and leaves no half-written image", async (t) => {
  const dir = await tempDir(t);
  const image = await tinyImage(dir);
  const small = join(dir, "small");
  await run("mkdir", ["-p", small]);
  // A 1 MiB tmpfs fills up long before the ~57 MB image is written.
  const mounted = await run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", small]).then(() => true, () => false);
  if (!mounted) return t.skip("cannot mount a small tmpfs here (needs root)");
  try {
    await assert.rejects(new DockerArchivePublisher({ file: join(small, "image.tar") }).publish(image),
    (err: unknown) => err instanceof TscogError && err.code === "BUILD_FAILED" && /the disk is full/.test(err.message));
  await assert.rejects(new OciLayoutPublisher({ dir: join(small, "layout") }).publish(image),
    (err: unknown) => err instanceof TscogError && err.code === "BUILD_FAILED" && /the disk is full|cannot write/.test(err.message));
    assert.deepEqual(await readdir(small), []);
  } finally {
    await run("umount", [small]);
  }
});
