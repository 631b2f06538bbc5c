/**
 * End to end on real projects (cog.yaml + predict.ts through @tscog/runtime in
 * the worker thread): streaming, setup failure, a crashing predictor, SIGTERM.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { makeProject } from "@tscog/runtime/testing";
import { serve } from "../src/index.js";
import { parseSse, postJson } from "./helpers.js";

function project(predict: string, cog = 'predict: "predict.ts:Predictor"\n'): string {
  return makeProject({ "cog.yaml": cog, "predict.ts": predict });
}

const STORY = `import { BasePredictor, Input, type ConcatenateIterator, type InputsOf, type PredictContext } from "tscog";
const inputs = {
  prompt: Input.string({ description: "what to tell", default: "a story" }),
  n: Input.integer({ default: 5, ge: 0, le: 100000 }),
  delay: Input.integer({ default: 0, ge: 0 }),
  crash: Input.boolean({ default: false }),
};
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async setup() { console.log("warming up"); }
  async *predict({ prompt, n, delay, crash }: InputsOf<typeof inputs>, { signal }: PredictContext): ConcatenateIterator<string> {
    if (crash) { setTimeout(() => process.exit(7), 1); await new Promise((r) => setTimeout(r, 1000)); }
    console.log("telling", prompt);
    for (let i = 0; i < n; i++) {
      if (delay) await new Promise((r) => setTimeout(r, delay));
      yield i === 0 ? "Once\\nupon " : "w" + i + " ";
    }
  }
}
`;

test("a real project streams through both dialects", async () => {
  const server = await serve({ dir: project(STORY, 'predict: "predict.ts:Predictor"\nconcurrency:\n  max: 3\n') });
  try {
    await server.ready;
    const health = await (await fetch(`${server.url}/health-check`)).json();
    assert.equal(health.status, "READY", JSON.stringify(health));
    assert.match(health.setup.logs, /warming up/);
    assert.equal(server.service.concurrency, 3);
    const schema = await (await fetch(`${server.url}/openapi.json`)).json();
    assert.ok(schema.components.schemas.Input.properties.prompt);

    const cog = parseSse(await (await postJson(`${server.url}/predictions`, { input: { n: 3 } }, { accept: "text/event-stream" })).text());
    assert.deepEqual(cog.map((e) => e.event), ["start", "log", "output", "output", "output", "completed"]);
    assert.deepEqual(JSON.parse(cog.at(-1)!.data).output, ["Once\nupon ", "w1 ", "w2 "]);

    const p = await (await postJson(`${server.url}/v1/predictions`, { version: "v", input: { n: 3 } })).json();
    const rep = parseSse(await (await fetch(p.urls.stream, { headers: { accept: "text/event-stream" } })).text());
    assert.deepEqual(rep.filter((e) => e.event === "output").map((e) => e.data), ["Once\nupon ", "w1 ", "w2 "]);
    assert.deepEqual(rep.find((e) => e.event === "logs")?.data, "telling a story");

    const bad = await postJson(`${server.url}/predictions`, { input: { n: "many", nope: 1 } });
    assert.equal(bad.status, 422);
    const detail = (await bad.json()).detail as { loc: string[] }[];
    assert.deepEqual(detail.map((d) => d.loc.at(-1)).sort(), ["n", "nope"]);
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("setup() that throws gives SETUP_FAILED with its logs; predictions get 503", async () => {
  const dir = project(`import { BasePredictor } from "tscog";
export class Predictor extends BasePredictor {
  async setup() { console.log("loading weights"); throw new Error("weights.bin not found"); }
  async predict() { return "never"; }
}
`);
  const server = await serve({ dir });
  try {
    await server.ready;
    const health = await (await fetch(`${server.url}/health-check`)).json();
    assert.equal(health.status, "SETUP_FAILED");
    assert.equal(health.setup.status, "failed");
    assert.match(health.setup.logs, /loading weights/);
    assert.match(health.setup.logs, /weights\.bin not found/);
    assert.equal((await fetch(`${server.url}/readyz`)).status, 503);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 503);
    const res = await postJson(`${server.url}/predictions`, { input: {} });
    assert.equal(res.status, 503);
    assert.equal((await res.json()).code, "SETUP_FAILED");
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("a predictor whose thread dies fails that prediction; the worker restarts and serves again", async () => {
  const server = await serve({ dir: project(STORY) });
  try {
    await server.ready;
    const crashed = await (await postJson(`${server.url}/predictions`, { input: { crash: true } })).json();
    assert.equal(crashed.status, "failed");
    assert.match(crashed.error, /exited with code 7/);
    for (let i = 0; i < 200; i++) {
      if ((await (await fetch(`${server.url}/health-check`)).json()).status === "READY") break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const ok = await (await postJson(`${server.url}/predictions`, { input: { n: 2 } })).json();
    assert.equal(ok.status, "succeeded");
    assert.deepEqual(ok.output, ["Once\nupon ", "w1 "]);
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("SIGTERM: stops accepting, lets a running prediction finish, exits 0", async () => {
  const dir = project(STORY);
  const child = spawn(process.execPath, [new URL("./fixtures/serve-child.js", import.meta.url).pathname, dir, "10000"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, TSCOG_SERVE_CHILD: "1" },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(out.trim());
    });
    child.on("exit", () => reject(new Error("child exited early")));
  });
  const running = postJson(`${url}/predictions`, { input: { n: 10, delay: 50 } }).then((r) => r.json());
  await new Promise((r) => setTimeout(r, 150));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  const p = await running;
  assert.equal(p.status, "succeeded");
  assert.equal(p.output.length, 10);
  assert.equal(await exited, 0);
});

test("Path inputs arrive as data: URIs (never server paths); Path outputs leave as data: URIs", async () => {
  const server = await serve({
    dir: project(`import { BasePredictor, Input, type InputsOf, type Path } from "tscog";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
const inputs = { file: Input.path() };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ file }: InputsOf<typeof inputs>): Promise<Path> {
    const out = join(tmpdir(), "tscog-upper-" + process.pid + ".txt");
    await writeFile(out, (await readFile(file, "utf8")).toUpperCase());
    return out as Path;
  }
}
`),
  });
  try {
    await server.ready;
    const input = { file: `data:text/plain;base64,${Buffer.from("hello file").toString("base64")}` };
    const ok = await (await postJson(`${server.url}/predictions`, { input })).json();
    assert.equal(ok.status, "succeeded", ok.error);
    assert.equal(ok.output, `data:text/plain;base64,${Buffer.from("HELLO FILE").toString("base64")}`);
    const local = await postJson(`${server.url}/predictions`, { input: { file: "/etc/passwd" } });
    assert.equal(local.status, 422);
    assert.deepEqual((await local.json()).detail, [{ loc: ["body", "input", "file"], msg: "must be a data: URI or an http(s) URL", type: "value_error.url" }]);
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("cog.yaml server settings: cors_origins and max_body_bytes apply", async () => {
  const cog = 'predict: "predict.ts:Predictor"\nserver:\n  cors_origins: ["http://app.example"]\n  max_body_bytes: 2048\n';
  const server = await serve({ dir: project(STORY, cog) });
  try {
    await server.ready;
    const preflight = (origin: string) =>
      fetch(`${server.url}/v1/predictions`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } });
    assert.equal((await preflight("http://app.example")).headers.get("access-control-allow-origin"), "http://app.example");
    assert.equal((await preflight("http://evil.example")).headers.get("access-control-allow-origin"), null);
    const big = await postJson(`${server.url}/predictions`, { input: { prompt: "x".repeat(4096) } });
    assert.equal(big.status, 413);
  } finally {
    await server.close({ graceMs: 100 });
  }
});
