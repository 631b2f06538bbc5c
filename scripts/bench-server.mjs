#!/usr/bin/env node
// Benchmarks @tscog/server (build first: npx tsc -b packages/server).
//   node scripts/bench-server.mjs            # all benchmarks
//   node scripts/bench-server.mjs sse latency seq health many
// The server runs in a child process (so its memory can be measured) on the
// fake predictor in packages/server/dist/test/fixtures/fake-predictor.js,
// with the predictor in a worker thread as in production.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";

const root = new URL("..", import.meta.url);
const FAKE = new URL("packages/server/dist/test/fixtures/fake-predictor.js", root).href;
const SERVER = new URL("packages/server/dist/src/index.js", root).href;

function startServer(fake = {}, concurrency = 1, mode = "--child") {
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, mode, JSON.stringify(fake), String(concurrency)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.on("exit", () => child.kill("SIGKILL"));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve({ url: out.trim(), child, stop: () => new Promise((r) => (child.on("exit", r), child.kill("SIGTERM"))) });
    });
    child.on("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
}

function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMiB: +(kb("VmRSS") / 1024).toFixed(1), peakMiB: +(kb("VmHWM") / 1024).toFixed(1) };
}

const agent = new Agent({ keepAlive: true, maxSockets: 2000 });

function httpJson(url, method = "GET", body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(url, { method, agent, headers: { "content-type": "application/json", ...(data ? { "content-length": Buffer.byteLength(data) } : {}), ...headers } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c) => (text += c)).on("end", () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : undefined }));
    });
    req.on("error", reject);
    req.end(data);
  });
}

/** Opens an SSE stream; calls onEvent(event, data, receivedAtMs) per event; resolves at `done`. */
function sse(url, onEvent) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { accept: "text/event-stream" } }, (res) => {
      let buf = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        const now = performance.timeOrigin + performance.now();
        buf += chunk;
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = "message";
          let data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data += (data ? "\n" : "") + line.slice(6);
          }
          if (block.startsWith(":")) continue;
          onEvent(event, data, now);
          if (event === "done") {
            res.destroy();
            resolve();
          }
        }
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const results = {};

async function benchSse() {
  const N = Number(process.env.BENCH_N ?? 100_000);
  const { load } = await import(FAKE);
  const runner = load().runner;
  // Baseline: the same generator consumed in-process.
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    let count = 0;
    for await (const _ of runner.predict({ mode: "tokens", n: N }, {})) count++;
    best = Math.min(best, performance.now() - t0);
    if (count !== N) throw new Error("baseline count");
  }
  const server = await startServer({}, 1);
  let sseBest = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    const { body: p } = await httpJson(`${server.url}/v1/predictions`, "POST", { input: { mode: "tokens", n: N } });
    let count = 0;
    let ok = true;
    await sse(p.urls.stream, (event, data) => {
      if (event === "output") {
        if (data !== `t${count} `) ok = false;
        count++;
      }
    });
    sseBest = Math.min(sseBest, performance.now() - t0);
    if (count !== N || !ok) throw new Error(`sse got ${count} (in order: ${ok})`);
  }
  await server.stop();
  results.sse = {
    chunks: N,
    inProcessMs: +best.toFixed(1),
    inProcessPerSec: Math.round((N / best) * 1000),
    sseMs: +sseBest.toFixed(1),
    ssePerSec: Math.round((N / sseBest) * 1000),
    ratio: +(best / sseBest).toFixed(3),
  };
  console.log("sse throughput", results.sse);
}

async function latencyRun(url, n) {
  const { body: p } = await httpJson(`${url}/v1/predictions`, "POST", { input: { mode: "stamp", n, delay_ms: 2 } });
  const lat = [];
  await sse(p.urls.stream, (event, data, now) => {
    if (event === "output") lat.push(now - Number(data));
  });
  lat.sort((a, b) => a - b);
  return { samples: lat.length, p50Ms: +pct(lat, 0.5).toFixed(3), p99Ms: +pct(lat, 0.99).toFixed(3), maxMs: +lat.at(-1).toFixed(3) };
}

async function benchLatency() {
  const server = await startServer({}, 200);
  await latencyRun(server.url, 200); // warm
  const alone = await latencyRun(server.url, 2000);
  // 100 other streams open, each receiving a chunk every 50 ms.
  const others = [];
  const ids = [];
  for (let i = 0; i < 100; i++) {
    const { body: p } = await httpJson(`${server.url}/v1/predictions`, "POST", { input: { mode: "slow", n: 100000, delay_ms: 50 } });
    ids.push(p.id);
    others.push(sse(p.urls.stream, () => {}).catch(() => {}));
  }
  await new Promise((r) => setTimeout(r, 300));
  const loaded = await latencyRun(server.url, 2000);
  for (const id of ids) await httpJson(`${server.url}/v1/predictions/${id}/cancel`, "POST");
  await Promise.all(others);
  await server.stop();
  results.latency = { alone, with100OtherStreams: loaded };
  console.log("yield→client latency", results.latency);
}

async function sequentialRate(mode) {
  const server = await startServer({ outputKind: "value" }, 1, mode);
  const once = () => httpJson(`${server.url}/predictions`, "POST", { input: { mode: "value", text: "k" } });
  for (let i = 0; i < 2000; i++) await once();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 5000) {
    const r = await once();
    if (r.body.status !== "succeeded") throw new Error(JSON.stringify(r.body));
    n++;
  }
  await server.stop();
  return { n, perSec: Math.round(n / ((performance.now() - t0) / 1000)) };
}

async function benchSequential() {
  const { n, perSec } = await sequentialRate("--child");
  const bare = await sequentialRate("--bare-child");
  results.sequential = { predictions: n, perSec, vsCogPython585: +(perSec / 585).toFixed(1), bareNodeHttpCeilingPerSec: bare.perSec };
  console.log("sequential trivial predictions", results.sequential);
}

async function benchHealth() {
  const server = await startServer({}, 1);
  const { body: p } = await httpJson(`${server.url}/predictions`, "POST", { input: { mode: "spin", n: 100000, delay_ms: 50 } }, { prefer: "respond-async" });
  await new Promise((r) => setTimeout(r, 200));
  const times = [];
  for (let i = 0; i < 3000; i++) {
    const t0 = performance.now();
    const r = await httpJson(`${server.url}/health-check`);
    times.push(performance.now() - t0);
    if (r.body.status !== "BUSY") throw new Error(`expected BUSY, got ${r.body.status}`);
  }
  await httpJson(`${server.url}/predictions/${p.id}/cancel`, "POST");
  await server.stop();
  times.sort((a, b) => a - b);
  results.health = { requests: times.length, p50Ms: +pct(times, 0.5).toFixed(3), p99Ms: +pct(times, 0.99).toFixed(3), maxMs: +times.at(-1).toFixed(3) };
  console.log("/health-check while the predictor spins a core", results.health);
}

async function benchMany() {
  const STREAMS = 1000;
  const CHUNKS = 200;
  const server = await startServer({}, STREAMS);
  const before = memory(server.child.pid);
  const preds = await Promise.all(
    Array.from({ length: STREAMS }, () => httpJson(`${server.url}/v1/predictions`, "POST", { input: { mode: "tokens", n: CHUNKS, delay_ms: 5 } }).then((r) => r.body)),
  );
  let bad = 0;
  let events = 0;
  let peak = before;
  const sampler = setInterval(() => {
    const m = memory(server.child.pid);
    if (m.rssMiB > peak.rssMiB) peak = m;
  }, 100);
  const t0 = performance.now();
  await Promise.all(
    preds.map((p) => {
      let i = 0;
      return sse(p.urls.stream, (event, data) => {
        if (event !== "output") return;
        events++;
        if (data !== `t${i} `) bad++;
        i++;
      }).then(() => {
        if (i !== CHUNKS) bad++;
      });
    }),
  );
  clearInterval(sampler);
  const seconds = (performance.now() - t0) / 1000;
  const after = memory(server.child.pid);
  await server.stop();
  results.many = {
    streams: STREAMS,
    chunksEach: CHUNKS,
    events,
    droppedOrReordered: bad,
    seconds: +seconds.toFixed(2),
    serverRssBeforeMiB: before.rssMiB,
    serverRssPeakSampledMiB: peak.rssMiB,
    serverRssAfterMiB: after.rssMiB,
    serverVmHWMMiB: after.peakMiB,
  };
  console.log("1000 concurrent streams", results.many);
}

async function main() {
  const which = process.argv.slice(2);
  const all = { sse: benchSse, latency: benchLatency, seq: benchSequential, health: benchHealth, many: benchMany };
  for (const [name, fn] of Object.entries(all)) if (!which.length || which.includes(name)) await fn();
  agent.destroy();
  console.log(JSON.stringify({ node: process.version, cpus: (await import("node:os")).cpus().length, results }, null, 2));
}

if (process.argv[2] === "--bare-child") {
  // The ceiling: a bare node:http server answering a constant JSON body.
  const { createServer } = await import("node:http");
  const server = createServer((req, res) => {
    req.resume().on("end", () => {
      const text = JSON.stringify({ status: "succeeded", output: "value:k" });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    });
  });
  server.listen(0, "127.0.0.1", () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`));
  process.on("SIGTERM", () => process.exit(0));
} else if (process.argv[2] === "--child") {
  const { serve } = await import(SERVER);
  const fake = JSON.parse(process.argv[3] ?? "{}");
  const server = await serve({
    source: { kind: "module", url: FAKE, exportName: "load", options: fake },
    concurrency: Number(process.argv[4] ?? 1),
  });
  await server.ready;
  process.stdout.write(`${server.url}\n`);
  process.on("SIGTERM", () => server.close({ graceMs: 0 }).then(() => process.exit(0)));
} else {
  await main();
}

