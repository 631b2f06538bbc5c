#!/usr/bin/env node
// Benchmarks `tscog build` / `tscog push` on the built-in default model (templates/tiny-lm):
// cold build, no-op rebuild, rebuild after editing predict.ts, reproducibility across caches,
// image size, push of a new / unchanged / edited image to a local registry, and container
// start to READY in Docker.
//
//   npx tsc -b && node scripts/bench-image.mjs [--template tiny-lm] [--runs 3] [--server auto|real|stand-in] [--write docs/benchmarks/image.md]
//
// Uses the same code path as the CLI (packages/cli/dist/src/commands/build.js). The image's
// server is packages/cli/dist/src/serve-main.js when it exists, else a stand-in HTTP server
// (reported in the output). Needs docker-registry and a running Docker engine for the push and
// start-up rows (scripts/ci-services.sh); those rows are skipped without them.
import { execFile, spawn } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, cpus, totalmem } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const template = opt("--template", "tiny-lm");
const runs = Number(opt("--runs", "3"));
const writeTo = opt("--write");
const serverChoice = opt("--server", "auto"); // auto | real | stand-in

const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const has = (p) => run("sh", ["-c", `command -v ${p}`]).then(() => true, () => false);

const work = await mkdtemp(join(tmpdir(), "tscog-bench-"));
const cleanups = [];
try {
  const project = join(work, template);
  await cp(join(root, "templates", template), project, { recursive: true });
  const realEntry = join(root, "packages", "cli", "dist", "src", "serve-main.js");
  let serverNote = "the real server (packages/cli/dist/src/serve-main.js)";
  if (serverChoice === "stand-in" || (serverChoice === "auto" && !existsSync(realEntry))) {
    const { STAND_IN_SERVER } = await import(join(root, "packages", "image", "dist", "test", "helpers.js"));
    process.env.TSCOG_SERVER_ENTRY = join(work, "stand-in-server.mjs");
    await writeFile(process.env.TSCOG_SERVER_ENTRY, STAND_IN_SERVER);
    serverNote = "a stand-in HTTP server (packages/image/test/helpers.ts), not the real one";
  }
  const { buildImageForProject } = await import(join(root, "packages", "cli", "dist", "src", "commands", "build.js"));
  const image = await import(join(root, "packages", "image", "dist", "src", "index.js"));
  const flags = { project, progress: "quiet" };
  const timed = async (fn) => { const t = performance.now(); const r = await fn(); return [performance.now() - t, r]; };
  const build = async (cacheDir) => { process.env.TSCOG_CACHE_DIR = cacheDir; return timed(() => buildImageForProject(flags).then((r) => r.image)); };

  const rows = [];
  const [coldMs, cold] = await build(join(work, "cache-a"));
  rows.push(["Cold build (empty layer cache)", secs(coldMs), ""]);
  const noop = [];
  for (let i = 0; i < runs; i++) noop.push((await build(join(work, "cache-a")))[0]);
  rows.push([`Rebuild, nothing changed (median of ${runs})`, secs(median(noop)), ""]);
  const edits = [];
  let edited;
  for (let i = 0; i < runs; i++) {
    await writeFile(join(project, "predict.ts"), (await readFile(join(project, "predict.ts"), "utf8")) + `\n// edit ${i}\n`);
    const [ms, img] = await build(join(work, "cache-a"));
    edits.push(ms);
    edited = img;
  }
  const changed = edited.layers.filter((l) => !l.cached).map((l) => l.name);
  rows.push([`Rebuild after editing predict.ts (median of ${runs})`, secs(median(edits)), `layers rebuilt: ${changed.join(", ")}`]);
  const [, again] = await build(join(work, "cache-b"));
  rows.push(["Same inputs, separate cold cache: same digest?", again.digest === edited.digest ? "yes" : "NO", again.digest.slice(0, 19)]);
  const fb = image.formatBytes;
  const sizes = edited.layers.map((l) => `${l.name.split(" ")[0]} ${fb(l.size)} / ${fb(l.diffSize ?? l.size)}`).join("; ");
  rows.push(["Image size, compressed / uncompressed", `${fb(edited.size)} / ${fb(edited.uncompressedSize)}`, sizes]);

  if (await has("docker-registry")) {
    const port = await new Promise((res) => { const s = createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => res(p)); }); });
    await writeFile(join(work, "registry.yml"), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(work, "registry")}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
    const reg = spawn("docker-registry", ["serve", join(work, "registry.yml")], { stdio: "ignore" });
    cleanups.push(() => reg.kill());
    for (let i = 0; i < 100 && !(await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
    const push = (img) => timed(() => new image.RegistryPublisher({ reference: `127.0.0.1:${port}/bench/${template}:latest`, cacheDir: join(work, "cache-a") }).publish(img));
    const [p1, r1] = await push(cold);
    rows.push(["Push, empty registry", secs(p1), `${mb(r1.bytesUploaded)} uploaded in ${r1.uploaded.length} blobs`]);
    const [p2, r2] = await push(cold);
    rows.push(["Push, unchanged image", secs(p2), `${r2.bytesUploaded} bytes uploaded, ${r2.skipped.length} blobs skipped`]);
    const [p3, r3] = await push(edited);
    rows.push(["Push after editing predict.ts", secs(p3), `${fb(r3.bytesUploaded)} uploaded (${r3.uploaded.length} blobs: code layer + config)`]);
  } else rows.push(["Push", "skipped", "docker-registry not installed"]);

  if (await run("docker", ["info"]).then(() => true, () => false)) {
    const tag = `tscog-bench-${process.pid}:latest`;
    await new image.DockerEnginePublisher({ tags: [tag] }).publish(edited);
    cleanups.push(() => run("docker", ["rmi", "-f", tag]).catch(() => {}));
    const starts = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const { stdout } = await run("docker", ["run", "-d", "-p", "127.0.0.1::5000", tag]);
      const id = stdout.trim();
      try {
        const { stdout: port } = await run("docker", ["port", id, "5000/tcp"]);
        const url = `http://${port.trim().split("\n")[0]}/health-check`;
        for (;;) {
          const ac = new AbortController();
          const timer = setTimeout(() => ac.abort(), 1000);
          const status = await fetch(url, { signal: ac.signal }).then((r) => r.json(), () => undefined).then((j) => j?.status);
          clearTimeout(timer);
          if (status === "READY") break;
          if (status === "DEFUNCT" || status === "SETUP_FAILED") throw new Error(`the container's predictor failed to set up (${status}); see docker logs`);
          if (performance.now() - t > 60_000) throw new Error("container not READY within 60 s");
          await new Promise((r) => setTimeout(r, 20));
        }
        starts.push(performance.now() - t);
      } finally {
        await run("docker", ["rm", "-f", id]).catch(() => {});
      }
    }
    rows.push([`Container start to READY (\`docker run\` to /health-check READY, median of ${runs})`, secs(median(starts)), starts.map(secs).join(", ")]);
  } else rows.push(["Container start to READY", "skipped", "no Docker engine"]);

  const { stdout: dockerVersion } = await run("docker", ["version", "--format", "{{.Server.Version}}"]).catch(() => ({ stdout: "none" }));
  const lines = [
    `# @tscog/image benchmarks`,
    "",
    `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC with \`node scripts/bench-image.mjs${args.length ? " " + args.join(" ") : ""}\`: template \`${template}\`, server = ${serverNote}, offline base (local Node ${process.version}), gzip level 6.`,
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "CPU"} (shared), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Docker ${dockerVersion.trim()}.`,
    "",
    "| what | result | detail |",
    "|---|---|---|",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
  ];
  process.stdout.write(lines.join("\n"));
  if (writeTo) await writeFile(join(root, writeTo), lines.join("\n"));
} finally {
  for (const c of cleanups.reverse()) await c();
  await rm(work, { recursive: true, force: true });
}
