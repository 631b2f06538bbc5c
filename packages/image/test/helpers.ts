import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TestContext } from "node:test";
import { freePort, needComponent } from "@tscog/runtime/testing";

export { freePort, needComponent };

export const run = promisify(execFile);

/** True when `program` is on PATH. */
export async function hasProgram(program: string): Promise<boolean> {
  return run("sh", ["-c", `command -v ${program}`]).then(() => true, () => false);
}

/**
 * Skips the test when a program is missing, except under CI=true where that
 * is a failure (`.ci/run` installs everything via scripts/ci-services.sh).
 */
export async function needPrograms(t: TestContext, ...programs: string[]): Promise<boolean> {
  for (const p of programs) {
    if (!needComponent(t, await hasProgram(p), `${p} is not installed (run scripts/ci-services.sh)`)) return false;
  }
  return true;
}

/** Skips (or fails under CI) when no Docker engine answers. */
export async function needDocker(t: TestContext): Promise<boolean> {
  if (!(await needPrograms(t, "docker"))) return false;
  const ok = await run("docker", ["info", "--format", "{{.ServerVersion}}"]).then(() => true, () => false);
  return needComponent(t, ok, "no Docker engine is running (run scripts/ci-services.sh)");
}

/** A fresh temporary directory, removed after the test. */
export async function tempDir(t: { after(fn: () => Promise<void>): void }, prefix = "tscog-image-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}


/** A running `docker-registry serve` on 127.0.0.1. */
export interface TestRegistry {
  host: string;
  stop(): Promise<void>;
}

/** Starts Debian's docker-registry from a generated config, optionally with htpasswd auth. */
export async function startRegistry(dir: string, options: { user?: string; password?: string } = {}): Promise<TestRegistry> {
  await mkdir(join(dir, "data"), { recursive: true });
  const port = await freePort();
  let auth = "";
  if (options.user) {
    const { stdout } = await run("htpasswd", ["-Bbn", options.user, options.password ?? ""]);
    await writeFile(join(dir, "htpasswd"), stdout);
    auth = `auth:\n  htpasswd:\n    realm: tscog-test\n    path: ${join(dir, "htpasswd")}\n`;
  }
  const config = join(dir, "config.yml");
  await writeFile(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`);
  const child: ChildProcess = spawn("docker-registry", ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const host = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://${host}/v2/`).then((r) => r.status === 200 || r.status === 401, () => false);
    if (ok) break;
    if (i > 100 || child.exitCode !== null) {
      child.kill();
      throw new Error(`docker-registry did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    }),
  };
}

/** A stand-in for the tscog server: answers /health-check and streams a "prediction". */
export const STAND_IN_SERVER = `
import http from "node:http";
import fs from "node:fs";
const port = Number(process.env.PORT || 5000);
let ort = "pending";
import("onnxruntime-node").then((m) => { ort = typeof m.InferenceSession === "function" ? "loaded" : "missing"; }, (e) => { ort = "error: " + e.message; });
http.createServer((req, res) => {
  if (req.url === "/health-check") {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ status: "READY", uid: process.getuid(), ort }));
    return;
  }
  if (req.url === "/predictions" && req.method === "POST") {
    res.writeHead(200, { "content-type": "text/event-stream" });
    const bundle = fs.readFileSync(process.env.TSCOG_PREDICTOR_BUNDLE, "utf8");
    const words = ["hello", "from", "the", "container", bundle.trim()];
    let i = 0;
    const timer = setInterval(() => {
      if (i < words.length) res.write("event: output\\ndata: " + JSON.stringify(words[i++]) + "\\n\\n");
      else { clearInterval(timer); res.end("event: done\\ndata: {}\\n\\n"); }
    }, 20);
    return;
  }
  res.statusCode = 404;
  res.end();
}).listen(port, "0.0.0.0", () => console.log("READY"));
`;

/** Writes a tiny project (cog.yaml, predict.ts, optional weights) and the stand-in server; returns their paths. */
export async function tinyProject(dir: string, options: { predict?: string; weightsBytes?: number } = {}): Promise<{ projectDir: string; serverEntry: string }> {
  const projectDir = join(dir, "proj");
  await mkdir(projectDir, { recursive: true });
  await writeFile(join(projectDir, "cog.yaml"), 'predict: "predict.ts:Predictor"\n');
  await writeFile(join(projectDir, "predict.ts"), options.predict ?? "export class Predictor { predict() { return 'hi'; } }\n");
  if (options.weightsBytes) {
    await mkdir(join(projectDir, "model"), { recursive: true });
    const weights = Buffer.alloc(options.weightsBytes);
    for (let i = 0; i < weights.length; i++) weights[i] = (i * 7919) % 251;
    await writeFile(join(projectDir, "model", "weights.bin"), weights);
  }
  const serverEntry = join(dir, "server.mjs");
  await writeFile(serverEntry, STAND_IN_SERVER);
  return { projectDir, serverEntry };
}

/** The monorepo root (where onnxruntime-node is installed). */
export const REPO_ROOT = join(import.meta.dirname, "..", "..", "..", "..");

/**
 * fetch with a deadline. The timer is a normal (ref'd) one on purpose: a
 * request to a docker-proxy port whose container is not listening yet can
 * hang with nothing else keeping the event loop alive.
 */
export async function fetchWithin(url: string, ms: number, init: RequestInit = {}): Promise<Response> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`no answer from ${url} within ${ms} ms`)), ms);
  try {
    return await fetch(url, { ...init, signal: ac.signal });
  } finally {
    clearTimeout(timer);
  }
}
