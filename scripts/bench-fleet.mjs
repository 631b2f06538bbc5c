#!/usr/bin/env node
// Benchmarks a tscog fleet on a local redis-server (build first: npx tsc -b).
//   node scripts/bench-fleet.mjs                  # all
//   node scripts/bench-fleet.mjs latency rate tokens sse
// Every process is real: redis-server, `tscog serve --queue ... --role api|worker`
// through the CLI, clients in this process over HTTP.
//   latency: a worker's yield → an SSE client on another API replica (p50/p99)
//   rate:    trivial predictions per second, through Redis vs in-process
//   tokens:  templates/tiny-lm tokens/s with 2 workers vs 1
//   sse:     1,000 concurrent SSE clients over two API replicas (dropped/reordered, RSS per replica)
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(root, "packages/cli/bin/tscog.js");
const children = [];
const dirs = [];
process.on("exit", () => {
  children.forEach((c) => c.kill("SIGKILL"));
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

const freePort = () => new Promise((resolve) => { const s = createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); }); });

async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), "bench-redis-"));
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", ""], { stdio: ["ignore", "pipe", "ignore"] });
  children.push(child);
  await new Promise((resolve) => child.stdout.on("data", (d) => String(d).includes("Ready to accept") && resolve()));
  return { url: `redis://127.0.0.1:${port}`, stop: () => (child.kill("SIGTERM"), rmSync(dir, { recursive: true, force: true })) };
}

function serve(dir, args, env = {}) {
  const child = spawn(process.execPath, [BIN, "serve", "-C", dir, "--port", "0", ...args], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, TSCOG_METRICS: "off", ...env } });
  children.push(child);
  let err = "";
  return new Promise((resolve, reject) => {
    child.stderr.on("data", (d) => {
      err += d;
      const url = /listening on (http:\/\/\S+)/.exec(err)?.[1];
      if (url && /\bready\b/.test(err)) resolve({ url, pid: child.pid, stop: () => new Promise((r) => (child.on("exit", r), child.kill("SIGTERM"))) });
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

function project() {
  const dir = mkdtempSync(join(tmpdir(), "bench-fleet-"));
  dirs.push(dir);
  writeFileSync(join(dir, "cog.yaml"), 'predict: "predict.ts:Predictor"\nconcurrency:\n  max: 8\n');
  writeFileSync(join(dir, "predict.ts"), `import { BasePredictor, Input, type ConcatenateIterator, type InputsOf } from "tscog";
const inputs = { n: Input.integer({ default: 1 }), delay: Input.integer({ default: 0 }), stamp: Input.boolean({ default: false }) };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async *predict({ n, delay, stamp }: InputsOf<typeof inputs>): ConcatenateIterator<string> {
    for (let i = 0; i < n; i++) {
      if (delay) await new Promise((r) => setTimeout(r, delay));
      yield stamp ? String(performance.timeOrigin + performance.now()) + ";" : i + " ";
    }
  }
}
`);
  return dir;
}

function post(url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data), ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d) => (text += d)).on("end", () => resolve({ status: res.statusCode, json: text ? JSON.parse(text) : null }));
    });
    req.on("error", reject);
    req.end(data);
  });
}

/** Reads an SSE stream; calls onEvent(event, data, id, receivedAt) per event; resolves at the end. */
function sse(url, onEvent) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { accept: "text/event-stream" } }, (res) => {
      let buffer = "";
      res.setEncoding("utf8").on("data", (d) => {
        const at = performance.timeOrigin + performance.now();
        buffer += d;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = "message", data = "", id;
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
            else if (line.startsWith("id: ")) id = line.slice(4);
          }
          if (!block.startsWith(":")) onEvent(event, data, id, at);
        }
      }).on("end", resolve).on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };
const rssMb = (pid) => Number(spawnSync("ps", ["-o", "rss=", "-p", String(pid)]).stdout.toString().trim()) / 1024;

async function fleet(dir, { apis = 2, workers = 1, env = {} } = {}) {
  const redis = await startRedis();
  const queue = ["--queue", redis.url];
  const procs = await Promise.all([...Array.from({ length: apis }, () => serve(dir, [...queue, "--role", "api"], env)), ...Array.from({ length: workers }, () => serve(dir, [...queue, "--role", "worker"], env))]);
  return { redis, apis: procs.slice(0, apis), workers: procs.slice(apis), queue, stop: async () => { await Promise.all(procs.map((p) => p.stop())); redis.stop(); } };
}

async function latency() {
  const f = await fleet(project());
  const [a, b] = f.apis;
  const lat = [];
  for (let round = 0; round < 5; round++) {
    const { json } = await post(`${a.url}/v1/predictions`, { input: { n: 100, delay: 10, stamp: true } });
    await sse(`${b.url}/v1/predictions/${json.id}/stream`, (event, data, _id, at) => {
      if (event === "output") for (const s of data.split(";").filter(Boolean)) lat.push(at - Number(s));
    });
  }
  console.log(`latency: yield → SSE client on the other API replica, ${lat.length} chunks 10 ms apart: p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms, max ${Math.max(...lat).toFixed(1)} ms`);
  await f.stop();
}

async function rateOf(url, seconds, clients) {
  let done = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (Date.now() < end) {
      const r = await post(`${url}/v1/predictions`, { input: { n: 1 } }, { prefer: "wait" });
      if (r.json?.status === "succeeded") done++;
    }
  }));
  return done / seconds;
}

async function rate() {
  const dir = project();
  const single = await serve(dir, []);
  await rateOf(single.url, 1, 16);
  const inProcess = await rateOf(single.url, 5, 16);
  await single.stop();
  const f = await fleet(dir, { apis: 1, workers: 1 });
  await rateOf(f.apis[0].url, 1, 16);
  const viaRedis = await rateOf(f.apis[0].url, 5, 16);
  console.log(`rate: trivial predictions (Prefer: wait, 16 clients, concurrency.max 8): in-process ${inProcess.toFixed(0)}/s; via Redis (1 API + 1 worker) ${viaRedis.toFixed(0)}/s`);
  await f.stop();
}

async function tokensPerSecond(api, predictions, tokens) {
  const t0 = performance.now();
  let count = 0;
  await Promise.all(Array.from({ length: predictions }, async (_, i) => {
    const { json } = await post(`${api.url}/v1/predictions`, { input: { prompt: "Once upon a time", max_new_tokens: tokens, temperature: 0.8, seed: i } });
    await sse(`${api.url}/v1/predictions/${json.id}/stream`, (event) => event === "output" && count++);
  }));
  return count / ((performance.now() - t0) / 1000);
}

async function tokens() {
  const dir = join(root, "templates/tiny-lm");
  const f = await fleet(dir, { apis: 1, workers: 1 });
  await tokensPerSecond(f.apis[0], 4, 16);
  const one = await tokensPerSecond(f.apis[0], 32, 128);
  const second = await serve(dir, [...f.queue, "--role", "worker"]);
  const two = await tokensPerSecond(f.apis[0], 32, 128);
  console.log(`tokens: templates/tiny-lm, 32 predictions x 128 tokens: 1 worker ${one.toFixed(0)} tokens/s, 2 workers ${two.toFixed(0)} tokens/s (${(two / one).toFixed(2)}x)`);
  await second.stop();
  await f.stop();
}

async function manySse() {
  const f = await fleet(project(), { apis: 2, workers: 1 });
  const [a, b] = f.apis;
  const predictions = 50, perPrediction = 20, n = 100;
  const ids = [];
  for (let i = 0; i < predictions; i++) ids.push((await post(`${(i % 2 ? b : a).url}/v1/predictions`, { input: { n, delay: 20 } })).json.id);
  let dropped = 0, reordered = 0, complete = 0;
  let peakA = 0, peakB = 0;
  const sampler = setInterval(() => { peakA = Math.max(peakA, rssMb(a.pid)); peakB = Math.max(peakB, rssMb(b.pid)); }, 200);
  const t0 = performance.now();
  await Promise.all(ids.flatMap((id, i) => Array.from({ length: perPrediction }, async (_, k) => {
    const chunks = [];
    let done = false;
    await sse(`${(k % 2 ? a : b).url}/v1/predictions/${id}/stream`, (event, data) => {
      if (event === "output") chunks.push(Number(data));
      if (event === "done") done = true;
    });
    if (!done || chunks.length !== n) dropped++;
    else if (chunks.some((c, j) => c !== j)) reordered++;
    else complete++;
  })));
  clearInterval(sampler);
  console.log(`sse: ${predictions * perPrediction} concurrent SSE clients (${predictions} predictions x ${n} chunks, half on each of 2 API replicas): ${complete} complete, ${dropped} dropped, ${reordered} reordered, ${((performance.now() - t0) / 1000).toFixed(1)} s; peak RSS per API replica ${peakA.toFixed(0)} MB / ${peakB.toFixed(0)} MB`);
  await f.stop();
}

const all = { latency, rate, tokens, sse: manySse };
const which = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(all);
for (const name of which) await all[name]();
process.exit(0);
