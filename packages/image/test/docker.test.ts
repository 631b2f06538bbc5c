import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { bundlePredictor, loadPredictor, loadProject } from "@tscog/runtime";
import { TscogError } from "@tscog/sdk";
import { buildProjectImage, DockerArchivePublisher, DockerEnginePublisher, IMAGE_PATHS, LayerCache, OciLayoutPublisher, type ImageResult } from "../src/index.js";
import { fetchWithin, needComponent, needDocker, needPrograms, REPO_ROOT, run, tempDir } from "./helpers.js";

/** The image's real entrypoint: the CLI's serve-main (built by `npx tsc -b`). */
const SERVE_MAIN = join(REPO_ROOT, "packages", "cli", "dist", "src", "serve-main.js");

const PREDICT = `import { BasePredictor, Input, type ConcatenateIterator, type InputsOf } from "tscog";
const inputs = { word: Input.string() };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async *predict({ word }: InputsOf<typeof inputs>): ConcatenateIterator<string> {
    for (const w of ["hello", "from", "the", "container", word]) {
      yield w + " ";
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
`;

// One build of the ~57 MB image for every test in this file: none of them depends on a cold cache.
let shared: Promise<ImageResult> | undefined;
let sharedDir: string | undefined;
after(async () => {
  if (sharedDir) await rm(sharedDir, { recursive: true, force: true });
});

/** A project served by the real tscog server (cli's serve-main), built once per file. */
function tinyImage(): Promise<ImageResult> {
  shared ??= (async () => {
    assert.ok(existsSync(SERVE_MAIN), `${SERVE_MAIN} is missing: run npx tsc -b first`);
    sharedDir = await mkdtemp(join(tmpdir(), "tscog-image-"));
    const projectDir = join(sharedDir, "proj");
    await mkdir(projectDir);
    await writeFile(join(projectDir, "cog.yaml"), 'predict: "predict.ts:Predictor"\n');
    await writeFile(join(projectDir, "predict.ts"), PREDICT);
    const project = await loadProject(projectDir);
    const bundle = await bundlePredictor(project, { externals: "bare", runtimeDir: IMAGE_PATHS.src, outFile: join(sharedDir, "predictor.mjs") });
    const { openapi } = await loadPredictor(project, { bundle: bundle.file });
    return buildProjectImage({
      projectDir, config: project.config, openapi, bundlePredictor: async () => bundle,
      serverEntry: SERVE_MAIN, resolveFrom: REPO_ROOT, cache: new LayerCache(join(sharedDir, "cache")), sourceDateEpoch: 0,
    });
  })();
  return shared;
}

/** Docker's health status of a container, polled until it leaves "starting" or `ms` pass. */
async function healthAfterStart(container: string, ms: number): Promise<string> {
  const deadline = performance.now() + ms;
  for (;;) {
    const { stdout } = await run("docker", ["inspect", container, "--format", "{{.State.Health.Status}}"]);
    const status = stdout.trim();
    if (status !== "starting" || performance.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, 250));
  }
}

test("the image loads into Docker, runs the real server as non-root, turns healthy and streams a prediction", { timeout: 240_000 }, async (t) => {
  if (!(await needDocker(t))) return;
  const image = await tinyImage();
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
  let health: { status?: string } | undefined;
  for (let i = 0; i < 200 && health?.status !== "READY"; i++) {
    health = await fetchWithin(`${base}/health-check`, 2000).then((r) => r.json() as Promise<typeof health>, () => undefined);
    if (health?.status !== "READY") await new Promise((r) => setTimeout(r, 100));
  }
  const readyMs = performance.now() - started;
  if (health?.status !== "READY") {
    const { stdout, stderr } = await run("docker", ["logs", container]).catch((e: { stdout: string; stderr: string }) => e);
    assert.fail(`the server never answered READY (last: ${JSON.stringify(health)}); container log:\n${stdout}${stderr}`);
  }
  t.diagnostic(`container start to READY: ${readyMs.toFixed(0)} ms`);

  const res = await fetchWithin(`${base}/predictions`, 20_000, {
    method: "POST", headers: { accept: "text/event-stream", "content-type": "application/json" }, body: JSON.stringify({ input: { word: "box" } }),
  });
  assert.equal(res.status, 200);
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) chunks.push(decoder.decode(part));
  assert.ok(chunks.length > 1, "the prediction arrived in several chunks");
  const events = [...chunks.join("").matchAll(/event: (\w+)\n(?:id: .*\n)?data: (.*)\n/g)].map((m) => ({ event: m[1], data: JSON.parse(m[2]) }));
  assert.deepEqual(events.filter((e) => e.event === "output").map((e) => e.data.chunk), ["hello ", "from ", "the ", "container ", "box "]);
  const completed = events.find((e) => e.event === "completed");
  assert.equal(completed?.data.status, "succeeded", JSON.stringify(completed));

  const { stdout: user } = await run("docker", ["inspect", container, "--format", "{{.Config.User}} {{.Config.WorkingDir}}"]);
  assert.equal(user.trim(), "1000:1000 /src");
  const { stdout: inside } = await run("docker", ["exec", container, "node", "-e",
    "import('onnxruntime-node').then((m) => console.log(process.getuid(), typeof m.InferenceSession), (e) => console.log(process.getuid(), e.message))"]);
  assert.equal(inside.trim(), "1000 function", "runs as uid 1000 with onnxruntime-node loadable");

  // The image's own HEALTHCHECK (run by Docker every 5 s) must pass against the real server: "starting" after 45 s is a failure.
  const status = await healthAfterStart(container, 45_000);
  if (status !== "healthy") {
    const { stdout: log } = await run("docker", ["inspect", container, "--format", "{{json .State.Health}}"]);
    assert.fail(`container health is "${status}", expected "healthy": ${log}`);
  }
});

test("docker-archive and OCI layout outputs are complete and readable by skopeo", async (t) => {
  if (!(await needPrograms(t, "skopeo"))) return;
  const dir = await tempDir(t);
  const image = await tinyImage();
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
  const image = await tinyImage();
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
  const image = await tinyImage();
  const small = join(dir, "small");
  await run("mkdir", ["-p", small]);
  // A 1 MiB tmpfs fills up long before the ~57 MB image is written.
  const mounted = await run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", small]).then(() => true, () => false);
  if (!needComponent(t, mounted, "cannot mount a small tmpfs here (needs root)")) return;
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
