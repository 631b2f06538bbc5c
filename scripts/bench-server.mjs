#!/usr/bin/env node
// Benchmarks @tscog/server (build first: npx tsc -b packages/server).
//   node scripts/bench-server.mjs            # all benchmarks
//   node scripts/bench-server.mjs sse latency seq health many metrics openai
//   BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof" node scripts/bench-server.mjs sse   # profile the server
// The server runs in a child process (so its memory can be measured) on the
// fake predictor in packages/server/dist/test/fixtures/fake-predictor.js,
// with the predictor in a worker thread as in production.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url);
const FAKE = new URL("packages/server/dist/test/fixtures/fake-predictor.js", root).href;
const SERVER = new URL("packages/server/dist/src/index.js", root).href;

/** Starts a server child: the fake predictor with `fake` options (`--child`), or the project in directory `fake` (`--project-child`). */
function startServer(fake = {}, concurrency = 1, mode = "--child") {
  // BENCH_SERVER_NODE_ARGS: extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=prof".
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, new URL(import.meta.url).pathname, mode, typeof fake === "string" ? fake : JSON.stringify(fake), String(concurrency)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.on("exit", () => child.kill("SIGKILL"));
  return new Promise((resolve, reject) => {
    // The server prints its URL on a line of its own; anything else it prints
    // (e.g. with BENCH_SERVER_NODE_ARGS=--trace-gc) goes to stderr.
    let out = "";
    let url;
    child.stdout.on("data", (d) => {
      if (url) return void process.stderr.write(d);
      out += d;
      url = /^http:\/\/\S+$/m.exec(out)?.[0];
      if (!url) return;
      const rest = out.replace(`${url}\n`, "");
      if (rest) process.stderr.write(rest);
      resolve({ url, child, stop: () => new Promise((r) => (child.on("exit", r), child.kill("SIGTERM"))) });
    });
    child.on("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
}

/** CPU time (ms) of each thread of process `pid`, by thread id. */
function threadCpuMs(pid) {
  const ticksPerMs = 100 / 1000; // USER_HZ
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8").split(") ")[1].split(" ");
    out.set(Number(tid), (Number(fields[11]) + Number(fields[12])) / ticksPerMs);
  }
  return out;
}

/** Where the CPU went between two `threadCpuMs` readings: the main thread, the busiest other one (the predictor's worker), the rest (V8/libuv helpers). */
function cpuSplit(pid, before, after) {
  const used = [...after].map(([tid, ms]) => [tid, ms - (before.get(tid) ?? 0)]);
  const main = used.find(([tid]) => tid === pid)?.[1] ?? 0;
  const others = used.filter(([tid]) => tid !== pid).map(([, ms]) => ms).sort((a, b) => b - a);
  return { main, worker: others[0] ?? 0, helpers: others.slice(1).reduce((a, b) => a + b, 0) };
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

/**
 * Incremental SSE parser for the benchmarks' client: one pass over each piece
 * of text, no re-slicing of what is left (a client that re-scans its buffer per
 * event measures itself, not the server). Handles the server's LF line endings.
 */
class SseParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.rest = "";
    this.event = "message";
    this.data = "";
    this.hasData = false;
  }
  push(text, now) {
    const buf = this.rest ? this.rest + text : text;
    let pos = 0;
    for (let nl = buf.indexOf("\n"); nl >= 0; pos = nl + 1, nl = buf.indexOf("\n", pos)) {
      const c = buf.charCodeAt(pos);
      if (nl === pos) {
        if (this.hasData) this.onEvent(this.event, this.data, now);
        this.event = "message";
        this.data = "";
        this.hasData = false;
      } else if (c === 100 /* d */ && buf.startsWith("data:", pos)) {
        const value = buf.slice(buf.charCodeAt(pos + 5) === 32 ? pos + 6 : pos + 5, nl);
        this.data = this.hasData ? `${this.data}\n${value}` : value;
        this.hasData = true;
      } else if (c === 101 /* e */ && buf.startsWith("event:", pos)) {
        // The names this benchmark sees are interned: no string per event.
        this.event = nl - pos === 13 && buf.startsWith("event: output", pos) ? "output" : buf.slice(buf.charCodeAt(pos + 6) === 32 ? pos + 7 : pos + 6, nl);
      }
      // id: lines and comments (":") are not needed here.
    }
    this.rest = pos < buf.length ? buf.slice(pos) : "";
  }
}

/** Opens an SSE stream; calls onEvent(event, data, receivedAtMs) per event; resolves at `done`. */
function sse(url, onEvent) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { accept: "text/event-stream" } }, (res) => {
      let finished = false;
      const parser = new SseParser((event, data, now) => {
        onEvent(event, data, now);
        if (event === "done") finished = true;
      });
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        parser.push(chunk, performance.timeOrigin + performance.now());
        if (finished) {
          res.destroy();
          resolve();
        }
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/**
 * A minimal keep-alive HTTP/1.1 client on one socket: sends `count` POSTs one
 * after the other, each after the previous answer; resolves with the answers'
 * bodies checked by `check`. Lighter than node:http's client, so the
 * sequential benchmark measures the server.
 */
function sequentialPosts(url, path, body, { seconds, warmup, check }) {
  const { hostname, port } = new URL(url);
  const text = JSON.stringify(body);
  const requestBytes = Buffer.from(`POST ${path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    let answered = 0;
    let t0 = 0;
    socket.on("connect", () => socket.write(requestBytes));
    socket.on("error", reject);
    socket.on("data", (data) => {
      buf = buf.length ? Buffer.concat([buf, data]) : data;
      for (;;) {
        const headEnd = buf.indexOf("\r\n\r\n");
        if (headEnd < 0) return;
        const length = Number(/content-length: *(\d+)/i.exec(buf.toString("latin1", 0, headEnd))?.[1]);
        if (buf.length < headEnd + 4 + length) return;
        check(buf.toString("utf8", headEnd + 4, headEnd + 4 + length));
        buf = buf.subarray(headEnd + 4 + length);
        answered++;
        if (answered === warmup) t0 = performance.now();
        const elapsed = performance.now() - t0;
        if (answered > warmup && elapsed >= seconds * 1000) {
          socket.destroy();
          return resolve({ n: answered - warmup, perSec: Math.round(((answered - warmup) / elapsed) * 1000) });
        }
        socket.write(requestBytes);
      }
    });
  });
}

/**
 * A real tscog project (predict.ts through @tscog/runtime's runner, as users
 * write them) whose predictor yields `t0 `, `t1 `, ... (`Tokens`) or returns a
 * constant (`Constant`), like the fake predictor's `tokens` and `value` modes.
 */
function benchProject(className) {
  const dir = mkdtempSync(join(tmpdir(), "tscog-bench-project-"));
  symlinkSync(new URL("node_modules", root).pathname, join(dir, "node_modules"));
  writeFileSync(join(dir, "cog.yaml"), `predict: "predict.ts:${className}"\n`);
  writeFileSync(
    join(dir, "predict.ts"),
    `import { BasePredictor, Input, type ConcatenateIterator, type InputsOf } from "tscog";
const inputs = { n: Input.integer({ default: 3, ge: 0 }), text: Input.string({ default: "" }) };
export class Tokens extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async *predict({ n }: InputsOf<typeof inputs>): ConcatenateIterator<string> {
    for (let i = 0; i < n; i++) yield \`t\${i} \`;
  }
}
export class Constant extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ text }: InputsOf<typeof inputs>): Promise<string> {
    return "value:" + text;
  }
}
`,
  );
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const results = {};

async function benchSse() {
  const N = Number(process.env.BENCH_N ?? 100_000);
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
  const WARMUP = 3;
  const { load } = await import(FAKE);
  const runner = load().runner;
  // Baseline: the same generator consumed in-process, after the same warm-up.
  const inProcess = [];
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    const t0 = performance.now();
    let count = 0;
    for await (const _ of runner.predict({ mode: "tokens", n: N }, {})) count++;
    if (r >= WARMUP) inProcess.push(performance.now() - t0);
    if (count !== N) throw new Error("baseline count");
  }
  const fake = await sseRounds(await startServer({}, 1), { mode: "tokens", n: N }, N, WARMUP, ROUNDS);
  const project = await sseRounds(await startServer(benchProject("Tokens"), 1, "--project-child"), { n: N }, N, WARMUP, ROUNDS);
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const best = Math.min(...inProcess);
  const summary = ({ rounds, cpu }) => ({
    sseMs: { best: +Math.min(...rounds).toFixed(1), median: +median(rounds).toFixed(1) },
    ssePerSec: Math.round((N / Math.min(...rounds)) * 1000),
    ratioBest: +(best / Math.min(...rounds)).toFixed(3),
    ratioMedian: +(median(inProcess) / median(rounds)).toFixed(3),
    cpuPerRoundMs: cpu,
  });
  results.sse = {
    chunks: N,
    rounds: ROUNDS,
    inProcessMs: { best: +best.toFixed(1), median: +median(inProcess).toFixed(1) },
    // The fake predictor's runner (the server alone) and a real predict.ts project (server plus @tscog/runtime's runner).
    fakeRunner: summary(fake),
    realProject: summary(project),
  };
  console.log("sse throughput", JSON.stringify(results.sse, null, 1));
}

/**
 * Streams `rounds` predictions of `n` chunks over SSE from `server` (after
 * `warmup` unmeasured ones), checking every chunk; stops the server. Returns
 * each round's ms and the CPU per round of each party (ms, 10 ms resolution
 * over all rounds): what the 2 cores had to fit in each round's wall time.
 */
async function sseRounds(server, input, n, warmup, rounds) {
  const times = [];
  let serverCpuBefore;
  let clientCpuBefore;
  for (let r = 0; r < warmup + rounds; r++) {
    if (r === warmup) {
      serverCpuBefore = threadCpuMs(server.child.pid);
      clientCpuBefore = process.cpuUsage();
    }
    const t0 = performance.now();
    const { body: p } = await httpJson(`${server.url}/v1/predictions`, "POST", { input });
    let count = 0;
    let ok = true;
    await sse(p.urls.stream, (event, data) => {
      if (event === "output") {
        if (data !== `t${count} `) ok = false;
        count++;
      }
    });
    if (r >= warmup) times.push(performance.now() - t0);
    if (count !== n || !ok) throw new Error(`sse got ${count} (in order: ${ok})`);
  }
  const serverCpu = cpuSplit(server.child.pid, serverCpuBefore, threadCpuMs(server.child.pid));
  const clientCpu = process.cpuUsage(clientCpuBefore);
  await server.stop();
  return {
    rounds: times,
    cpu: {
      serverMain: +(serverCpu.main / rounds).toFixed(1),
      serverWorker: +(serverCpu.worker / rounds).toFixed(1),
      serverHelperThreads: +(serverCpu.helpers / rounds).toFixed(1),
      client: +((clientCpu.user + clientCpu.system) / 1000 / rounds).toFixed(1),
    },
  };
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

/** wrk (Debian's `wrk` package), when installed: a C client, so the sequential rate is the server's, not the client's. */
const hasWrk = spawnSync("wrk", ["--version"]).error === undefined;

/**
 * `seconds` of sequential keep-alive POSTs with wrk on one connection. Its Lua
 * script checks every answer; any that is not a succeeded prediction fails the run.
 */
function wrkPosts(url, path, body, seconds) {
  const dir = mkdtempSync(join(tmpdir(), "tscog-bench-"));
  const script = join(dir, "post.lua");
  writeFileSync(
    script,
    `wrk.method = "POST"
wrk.body = ${JSON.stringify(JSON.stringify(body))}
wrk.headers["Content-Type"] = "application/json"
local bad = 0
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, '"succeeded"', 1, true) then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("requests=%d us=%d bad=%d\\n", summary.requests, summary.duration, bad))
end
`,
  );
  try {
    const out = spawnSync("wrk", ["-t1", "-c1", `-d${seconds}s`, "-s", script, `${url}${path}`], { encoding: "utf8" }).stdout;
    const m = /requests=(\d+) us=(\d+) bad=(\d+)/.exec(out);
    if (!m) throw new Error(`wrk printed no summary:\n${out}`);
    if (Number(m[3]) > 0) throw new Error(`${m[3]} of ${m[1]} answers were not succeeded predictions`);
    return { n: Number(m[1]), perSec: Math.round((Number(m[1]) / Number(m[2])) * 1e6) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sequential trivial predictions on a fresh server: the node client (checked answers, also the warm-up), then wrk if installed. */
async function sequentialRate(mode, project) {
  const server = await startServer(project ?? { outputKind: "value" }, 1, mode);
  const path = "/predictions";
  const body = { input: project ? { text: "k" } : { mode: "value", text: "k" } };
  const node = await sequentialPosts(server.url, path, body, {
    seconds: 5,
    warmup: 2000,
    check: (text) => {
      if (!text.includes('"succeeded"')) throw new Error(text);
    },
  });
  const wrk = hasWrk ? wrkPosts(server.url, path, body, 5) : undefined;
  await server.stop();
  return { node, wrk, best: wrk ?? node };
}

async function benchSequential() {
  const ours = await sequentialRate("--child");
  const project = await sequentialRate("--project-child", benchProject("Constant"));
  const bare = await sequentialRate("--bare-child");
  const bareWorker = await sequentialRate("--bare-worker-child");
  results.sequential = {
    client: hasWrk ? "wrk -t1 -c1" : "node raw socket (install wrk for a lighter client)",
    predictions: ours.best.n,
    perSec: ours.best.perSec,
    vsCogPython585: +(ours.best.perSec / 585).toFixed(1),
    // The same through a real predict.ts project (@tscog/runtime's runner: input validation, log capture, cancellation).
    realProjectPerSec: project.best.perSec,
    realProjectVsCogPython585: +(project.best.perSec / 585).toFixed(1),
    bareNodeHttpCeilingPerSec: bare.best.perSec,
    bareNodeHttpPlusWorkerRoundTripPerSec: bareWorker.best.perSec,
    ...(hasWrk ? { nodeClient: { perSec: ours.node.perSec, bareNodeHttpPlusWorkerRoundTripPerSec: bareWorker.node.perSec } } : {}),
  };
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

/**
 * The cost of /metrics (prom-client, fed per prediction and per event batch):
 * sequential trivial predictions and one 100,000-chunk SSE stream on fresh
 * servers with metrics on (the default) and off, alternating so load drift
 * hits both; best of each. Ratios are on/off throughput (1 = free).
 */
async function benchMetrics() {
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
  const N = Number(process.env.BENCH_N ?? 100_000);
  const seq = { on: [], off: [] };
  const stream = { on: [], off: [] };
  // Server CPU (main thread) per prediction and per stream: steadier than wall time on a shared machine.
  const seqCpuUs = { on: [], off: [] };
  const streamCpuMs = { on: [], off: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of r % 2 ? ["off", "on"] : ["on", "off"]) {
      process.env.BENCH_METRICS = mode;
      const server = await startServer({ outputKind: "value" }, 1);
      const cpuBefore = threadCpuMs(server.child.pid);
      const { perSec, n } = await sequentialPosts(server.url, "/predictions", { input: { mode: "value", text: "k" } }, {
        seconds: 3,
        warmup: 2000,
        check: (text) => {
          if (!text.includes('"succeeded"')) throw new Error(text);
        },
      });
      seq[mode].push(perSec);
      seqCpuUs[mode].push(+((cpuSplit(server.child.pid, cpuBefore, threadCpuMs(server.child.pid)).main * 1000) / (n + 2000)).toFixed(1));
      await server.stop();
      const { rounds, cpu } = await sseRounds(await startServer({}, 1), { mode: "tokens", n: N }, N, 2, 3);
      stream[mode].push(Math.min(...rounds));
      streamCpuMs[mode].push(cpu.serverMain);
    }
  }
  delete process.env.BENCH_METRICS;
  const best = { seqOn: Math.max(...seq.on), seqOff: Math.max(...seq.off), sseOn: Math.min(...stream.on), sseOff: Math.min(...stream.off) };
  const least = (xs) => Math.min(...xs);
  results.metrics = {
    sequentialPerSec: { on: best.seqOn, off: best.seqOff, ratio: +(best.seqOn / best.seqOff).toFixed(3), all: seq },
    sequentialServerCpuUsPerPrediction: { on: least(seqCpuUs.on), off: least(seqCpuUs.off), ratio: +(least(seqCpuUs.off) / least(seqCpuUs.on)).toFixed(3), all: seqCpuUs },
    sseStreamMs: { chunks: N, on: +best.sseOn.toFixed(1), off: +best.sseOff.toFixed(1), ratio: +(best.sseOff / best.sseOn).toFixed(3), all: stream },
    sseServerMainCpuMsPerStream: { on: least(streamCpuMs.on), off: least(streamCpuMs.off), ratio: +(least(streamCpuMs.off) / least(streamCpuMs.on)).toFixed(3), all: streamCpuMs },
  };
  console.log("metrics on vs off", JSON.stringify(results.metrics));
}

/** POSTs `body` to an OpenAI streaming route; calls onData(payload) per `data:` line; resolves after `data: [DONE]`. */
function openAiStream(url, body, onData) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) } }, (res) => {
      let finished = false;
      const parser = new SseParser((_event, payload) => {
        if (payload === "[DONE]") finished = true;
        else onData(payload);
      });
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        parser.push(chunk, 0);
        if (finished) {
          res.destroy();
          resolve();
        }
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(data);
  });
}

/**
 * The OpenAI stream next to the Replicate stream on one server, rounds
 * interleaved: the built-in model (same prompt, seed and tokens through both
 * routes; the text is checked equal), and a project yielding BENCH_N tiny
 * chunks (the routes' own cost per chunk). Ratio = Replicate time / OpenAI time.
 */
async function benchOpenAi() {
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
  const WARMUP = 2;
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  // The server's main-thread CPU per stream (10 ms resolution): steadier than wall time on a shared machine.
  const mainCpuMs = (server) => threadCpuMs(server.child.pid).get(server.child.pid) ?? 0;
  const compare = async (server, rounds, replicateInput, openAiBody, check) => {
    const times = { replicate: [], openai: [] };
    const cpu = { replicate: 0, openai: 0 };
    const viaReplicate = async () => {
      const { body: p } = await httpJson(`${server.url}/v1/predictions`, "POST", { input: replicateInput });
      const chunks = [];
      await sse(p.urls.stream, (event, data) => event === "output" && chunks.push(data));
      return chunks;
    };
    const viaOpenAi = async () => {
      const chunks = [];
      await openAiStream(`${server.url}/v1/completions`, openAiBody, (payload) => {
        // The text alone, without parsing the whole chunk (as the Replicate side reads data: as is): the server is measured, not JSON.parse.
        const at = payload.indexOf('"text":');
        if (at < 0) return;
        const text = JSON.parse(payload.slice(at + 7, payload.indexOf(',"logprobs"', at)));
        if (text) chunks.push(text);
      });
      return chunks;
    };
    const timed = async (route, fn, measured) => {
      const cpu0 = mainCpuMs(server);
      const t0 = performance.now();
      const chunks = await fn();
      if (measured) {
        times[route].push(performance.now() - t0);
        cpu[route] += mainCpuMs(server) - cpu0;
      }
      return chunks;
    };
    for (let r = 0; r < WARMUP + rounds; r++) {
      const measured = r >= WARMUP;
      // Alternate which route goes first (ABBA), so drifts in the VM's speed fall on both.
      let a, b;
      if (r % 2 === 0) (a = await timed("replicate", viaReplicate, measured)), (b = await timed("openai", viaOpenAi, measured));
      else (b = await timed("openai", viaOpenAi, measured)), (a = await timed("replicate", viaReplicate, measured));
      check(a, b);
    }
    await server.stop();
    // Each round's two streams ran back to back: the median of their ratios is the steadiest comparison.
    const paired = times.replicate.map((t, i) => t / times.openai[i]);
    return {
      replicateMs: { best: +Math.min(...times.replicate).toFixed(1), median: +median(times.replicate).toFixed(1) },
      openAiMs: { best: +Math.min(...times.openai).toFixed(1), median: +median(times.openai).toFixed(1) },
      ratioBest: +(Math.min(...times.replicate) / Math.min(...times.openai)).toFixed(3),
      ratioMedian: +(median(times.replicate) / median(times.openai)).toFixed(3),
      ratioPairedMedian: +median(paired).toFixed(3),
      serverMainCpuMsPerStream: { replicate: +(cpu.replicate / rounds).toFixed(1), openai: +(cpu.openai / rounds).toFixed(1), ratio: +(cpu.replicate / cpu.openai).toFixed(3) },
    };
  };
  const sameText = (a, b) => {
    if (a.join("") !== b.join("") || a.length !== b.length) throw new Error(`the routes differ: ${a.length} vs ${b.length} chunks`);
  };

  const TOKENS = Number(process.env.BENCH_TOKENS ?? 256);
  const tinyLm = new URL("templates/tiny-lm", root).pathname;
  const model = await compare(
    await startServer(tinyLm, 1, "--project-child"),
    ROUNDS,
    { prompt: "The state of the nation", max_new_tokens: TOKENS, seed: 1 },
    { prompt: "The state of the nation", max_tokens: TOKENS, seed: 1, stream: true },
    sameText,
  );

  const N = Number(process.env.BENCH_N ?? 100_000);
  const dir = benchProject("Tokens");
  writeFileSync(join(dir, "cog.yaml"), `predict: "predict.ts:Tokens"\nopenai:\n  inputs:\n    prompt: text\n    max_tokens: n\n`);
  const chunks = await compare(await startServer(dir, 1, "--project-child"), ROUNDS, { n: N }, { prompt: "", max_tokens: N, stream: true }, (a, b) => {
    sameText(a, b);
    if (b.length !== N) throw new Error(`openai stream got ${b.length} chunks`);
  });
  results.openai = { tinyLm: { tokens: TOKENS, rounds: ROUNDS, ...model }, chunks: { chunks: N, rounds: ROUNDS, ...chunks } };
  console.log("openai stream vs replicate stream", JSON.stringify(results.openai, null, 1));
}

async function main() {
  const which = process.argv.slice(2);
  const all = { sse: benchSse, latency: benchLatency, seq: benchSequential, health: benchHealth, many: benchMany, metrics: benchMetrics, openai: benchOpenAi };
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
} else if (process.argv[2] === "--bare-worker-child") {
  // The floor of any design that runs the predictor off the event loop: the bare
  // server plus one message round trip to a worker thread per request.
  const { createServer } = await import("node:http");
  const { Worker } = await import("node:worker_threads");
  const worker = new Worker(
    `const { parentPort } = require("node:worker_threads");
     parentPort.on("message", (m) => parentPort.postMessage({ id: m.id, status: "succeeded", value: "value:" + m.input.text }));`,
    { eval: true },
  );
  const waiting = new Map();
  let seq = 0;
  worker.on("message", (m) => {
    waiting.get(m.id)(m);
    waiting.delete(m.id);
  });
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (c) => (body += c)).on("end", () => {
      const id = ++seq;
      waiting.set(id, (m) => {
        const text = JSON.stringify({ status: m.status, output: m.value });
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
        res.end(text);
      });
      worker.postMessage({ id, input: JSON.parse(body).input });
    });
  });
  server.listen(0, "127.0.0.1", () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`));
  process.on("SIGTERM", () => process.exit(0));
} else if (process.argv[2] === "--project-child") {
  const { serve } = await import(SERVER);
  const server = await serve({ dir: process.argv[3], concurrency: Number(process.argv[4] ?? 1) });
  await server.ready;
  process.stdout.write(`${server.url}\n`);
  process.on("SIGTERM", () => server.close({ graceMs: 0 }).then(() => process.exit(0)));
} else if (process.argv[2] === "--child") {
  const { serve } = await import(SERVER);
  const fake = JSON.parse(process.argv[3] ?? "{}");
  const server = await serve({
    source: { kind: "module", url: FAKE, exportName: "load", options: fake },
    concurrency: Number(process.argv[4] ?? 1),
    // `node scripts/bench-server.mjs metrics` compares the default (metrics on) with everything off.
    ...(process.env.BENCH_METRICS === "off" ? { observability: { metrics: "off", playground: false } } : {}),
  });
  await server.ready;
  process.stdout.write(`${server.url}\n`);
  process.on("SIGTERM", () => server.close({ graceMs: 0 }).then(() => process.exit(0)));
} else {
  await main();
}

