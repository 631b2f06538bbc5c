#!/usr/bin/env node
// Hostile-client figures for docs/security.md (build first: npx tsc -b packages/server).
//   node scripts/bench-security.mjs                 # all
//   node scripts/bench-security.mjs hostile slow memory
// The server runs in a child process (the fake predictor in a worker thread,
// as in production) so its memory and its survival can be measured; every
// request goes to 127.0.0.1 only.
import { spawn } from "node:child_process";
import { startChildServer } from "./lib/child-server.mjs";
import { Agent, request } from "node:http";
import { connect } from "node:net";
import { readFileSync } from "node:fs";

const root = new URL("..", import.meta.url);
const FAKE = new URL("packages/server/dist/test/fixtures/fake-predictor.js", root).href;
const SERVER = new URL("packages/server/dist/src/index.js", root).href;


function startServer(options = {}) {
  return startChildServer(new URL(import.meta.url).pathname, ["--child", JSON.stringify(options)]);
}

const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];
const ms = (x) => `${x.toFixed(0)} ms`;

/**
 * Polls /health-check from a process of its own (so the load generator's own
 * work is not counted) until `stop()`; returns the answer times, ms.
 */
async function pollHealth(url) {
  const code = `
    let running = true;
    process.stdin.on("end", () => (running = false)).resume();
    for (let i = 0; i < 20; i++) await (await fetch(${JSON.stringify(url)} + "/health-check")).text();
    process.stderr.write("ready\\n");
    const times = [];
    while (running) {
      const t0 = performance.now();
      await (await fetch(${JSON.stringify(url)} + "/health-check")).text();
      times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
    }
    process.stdout.write(JSON.stringify(times));`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  await new Promise((resolve) => child.stderr.once("data", resolve));
  const exited = new Promise((r) => child.on("exit", r));
  return async () => {
    child.stdin.end();
    await exited;
    return JSON.parse(out);
  };
}

function send(agent, url, { method = "POST", path = "/predictions", body = "", headers = {} }) {
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { method, agent, headers: { "content-length": String(Buffer.byteLength(body)), ...headers }, timeout: 30_000 }, (res) => {
      res.resume().on("end", () => resolve(res.statusCode));
    });
    req.on("error", () => resolve("error"));
    req.on("timeout", () => req.destroy());
    req.end(body);
  });
}

const JSON_TYPE = { "content-type": "application/json" };
// Bodies are made once, before any measurement.
const HOSTILE = [
  () => ({ body: JSON.stringify({ input: Object.fromEntries(Array.from({ length: 9_000 }, (_, i) => [`f${i}`, i])) }), headers: JSON_TYPE }),
  () => ({ body: JSON.stringify({ input: Object.fromEntries(Array.from({ length: 300_000 }, (_, i) => [`f${i}`, i])) }), headers: JSON_TYPE }),
  () => ({ body: `{"input":{"x":${"[".repeat(8_000_000)}${"]".repeat(8_000_000)}}}`, headers: JSON_TYPE }),
  () => ({ body: `{"input":{"x":[${"0,".repeat(7_000_000)}0]}}`, headers: JSON_TYPE }),
  () => ({ body: JSON.stringify({ input: { mode: "echo" } }), headers: { "content-type": "text/plain" } }),
  () => ({ body: JSON.stringify({ input: { mode: "echo" } }), headers: { ...JSON_TYPE, origin: "http://evil.example" } }),
  () => ({ body: "{", headers: JSON_TYPE }),
  () => ({ body: JSON.stringify({ id: { a: 1 }, input: {} }), headers: JSON_TYPE }),
  () => ({ path: "/v1/predictions", body: JSON.stringify({ input: { mode: "bigint" } }), headers: JSON_TYPE }),
  () => ({ path: "/v1/predictions", body: JSON.stringify({ input: { mode: "circular" } }), headers: JSON_TYPE }),
  () => ({ path: "/v1/predictions", body: JSON.stringify({ input: { mode: "throw-object" } }), headers: JSON_TYPE }),
  () => ({ method: "GET", path: "/v1/predictions" }),
];

async function hostile() {
  const shapes = HOSTILE.map((make) => make());
  const server = await startServer({ maxBodyBytes: 16 * 1024 * 1024 });
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const stop = await pollHealth(server.url);
  const statuses = new Map();
  const rounds = Number(process.env.ROUNDS ?? 10);
  const t0 = performance.now();
  let sent = 0;
  for (let r = 0; r < rounds; r++) {
    const batch = shapes.map((shape) => send(agent, server.url, shape));
    for (const status of await Promise.all(batch)) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    sent += batch.length;
  }
  const health = await stop();
  agent.destroy();
  const fivexx = [...statuses].filter(([s]) => typeof s === "number" && s >= 500).reduce((n, [, c]) => n + c, 0);
  console.log(`hostile: ${sent} requests in ${ms(performance.now() - t0)} (12 shapes, up to 16 MiB), statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  console.log(`  5xx: ${fivexx}; server crashed: ${server.exited() ? "yes" : "no"}; health during: p50 ${ms(quantile(health, 0.5))}, p99 ${ms(quantile(health, 0.99))}, max ${ms(Math.max(...health))} over ${health.length} checks; RSS after ${rssMiB(server.child.pid).toFixed(0)} MiB`);
  server.child.kill();
}

/** Each hostile shape alone: how long health waits while the server handles it. */
async function shapes() {
  const server = await startServer({ maxBodyBytes: 16 * 1024 * 1024 });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (const [i, make] of HOSTILE.entries()) {
    const shape = make();
    const stop = await pollHealth(server.url);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    const status = await send(agent, server.url, shape);
    const took = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
    const health = await stop();
    console.log(`shape ${i}: ${status} in ${ms(took)} (${(Buffer.byteLength(shape.body ?? "") / 1048576).toFixed(1)} MiB); health max ${ms(Math.max(...health))} p50 ${ms(quantile(health, 0.5))}`);
  }
  agent.destroy();
  server.child.kill();
}

async function slow() {
  const server = await startServer({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
  const count = 2000;
  const stop = await pollHealth(server.url);
  const t0 = performance.now();
  const closed = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      new Promise((resolve) => {
        const socket = connect(server.port, "127.0.0.1", () => {
          // Half send headers slowly, half send a body slowly.
          if (i % 2) socket.write("GET /health-check HTTP/1.1\r\nHost: x\r\n");
          else socket.write("POST /predictions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{");
        });
        let reply = "";
        socket.on("data", (d) => (reply += d));
        socket.on("close", () => resolve({ ms: performance.now() - t0, status: /^HTTP\/1\.1 (\d+)/.exec(reply)?.[1] ?? "closed", body: i % 2 === 0 }));
        socket.on("error", () => undefined);
      }),
    ),
  );
  const health = await stop();
  const headerTimes = closed.filter((c) => !c.body).map((c) => c.ms);
  const bodyTimes = closed.filter((c) => c.body).map((c) => c.ms);
  const statuses = {};
  for (const c of closed) statuses[c.status] = (statuses[c.status] ?? 0) + 1;
  console.log(`slow: ${count} slow connections; statuses ${JSON.stringify(statuses)}`);
  console.log(`  slow headers closed after min ${ms(Math.min(...headerTimes))}, median ${ms(quantile(headerTimes, 0.5))}, max ${ms(Math.max(...headerTimes))} (headers timeout 10 s)`);
  console.log(`  slow bodies closed after min ${ms(Math.min(...bodyTimes))}, median ${ms(quantile(bodyTimes, 0.5))}, max ${ms(Math.max(...bodyTimes))} (request timeout 30 s)`);
  console.log(`  health meanwhile: p50 ${ms(quantile(health, 0.5))}, p99 ${ms(quantile(health, 0.99))}, max ${ms(Math.max(...health))}`);
  server.child.kill();
}

async function memory() {
  const server = await startServer({ maxBodyBytes: 16 * 1024 * 1024 });
  const before = rssMiB(server.child.pid);
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const big = "y".repeat(8 * 1024 * 1024);
  const body = JSON.stringify({ input: { mode: "value", prompt: big } });
  let peak = before;
  for (let i = 0; i < 1000; i += 4) {
    await Promise.all([0, 1, 2, 3].map(() => send(agent, server.url, { path: "/v1/predictions", body, headers: { ...JSON_TYPE, prefer: "wait" } })));
    if (i % 40 === 0) peak = Math.max(peak, rssMiB(server.child.pid));
  }
  peak = Math.max(peak, rssMiB(server.child.pid));
  const t0 = performance.now();
  const list = await fetch(`${server.url}/v1/predictions`);
  const page = await list.json();
  const listMs = performance.now() - t0;
  console.log(`memory: 1000 predictions with 8 MiB inputs; RSS ${before.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB, after ${rssMiB(server.child.pid).toFixed(0)} MiB (retention bound 256 MiB)`);
  console.log(`  GET /v1/predictions: ${list.status} in ${ms(listMs)}, ${page.results.length} results on the first page, next ${page.next ? "set" : "null"}`);
  agent.destroy();
  server.child.kill();
}

async function main() {
  const which = process.argv.slice(2);
  const all = { hostile, slow, memory };
  if (which.includes("shapes")) return void (await shapes(), process.exit(0));
  for (const [name, run] of Object.entries(all)) if (!which.length || which.includes(name)) await run();
  process.exit(0);
}

if (process.argv[2] === "--child") {
  const { serve } = await import(SERVER);
  const server = await serve({ source: { kind: "module", url: FAKE, exportName: "load" }, concurrency: 8, ...JSON.parse(process.argv[3] ?? "{}") });
  await server.ready;
  process.stdout.write(`${server.url}\n`);
} else {
  await main();
}
