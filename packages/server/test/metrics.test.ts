/**
 * `/metrics`: what the counters, histograms and gauges say after real
 * traffic, the token rules, the exposition format checked by `promtool check
 * metrics`, and a real Prometheus server scraping a tscog server and answering
 * PromQL about the time-to-first-output histogram.
 */
import { needComponent } from "@tscog/runtime/testing";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TscogServer } from "../src/index.js";
import { parseSse, postJson, startFake } from "./helpers.js";

const TOKEN = "metrics-token-1";
let server: TscogServer;

before(async () => {
  server = await startFake({}, { concurrency: 2 });
});
after(async () => {
  await server.close({ graceMs: 100 });
});

/** The value of one sample line (`name{labels} value`), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** A program the test needs: skipped outside CI when missing, a failure under CI=true. */
function needProgram(t: { skip(reason: string): void }, path: string, pkg: string): boolean {
  return needComponent(t, existsSync(path), `${path} is missing (apt-get install -y ${pkg})`);
}

test("counters, histograms and gauges follow predictions through both dialects", async () => {
  const before = await (await fetch(`${server.url}/metrics`)).text();
  const base = (series: string) => sample(before, series) ?? 0;

  await (await postJson(`${server.url}/predictions`, { input: { mode: "tokens", n: 4, delay_ms: 2 } })).json();
  const sse = parseSse(await (await postJson(`${server.url}/predictions`, { input: { mode: "tokens", n: 3 } }, { accept: "text/event-stream" })).text());
  assert.equal(sse.at(-1)?.event, "completed");
  const created = await (await postJson(`${server.url}/v1/predictions`, { version: "v", input: { mode: "tokens", n: 5 }, stream: true })).json();
  const stream = await fetch(created.urls.stream, { headers: { accept: "text/event-stream" } });
  await stream.text();
  assert.equal((await postJson(`${server.url}/predictions`, { input: { mode: "throw" } })).status, 200);

  // A stream that stays open shows in the gauge until it ends.
  const slow = await (await postJson(`${server.url}/v1/predictions`, { version: "v", input: { mode: "slow", n: 200, delay_ms: 20 } })).json();
  const open = await fetch(slow.urls.stream, { headers: { accept: "text/event-stream" } });
  const reader = open.body!.getReader();
  await reader.read();
  const during = await (await fetch(`${server.url}/metrics`)).text();
  assert.equal(sample(during, "tscog_sse_streams_open"), 1);
  assert.equal(sample(during, "tscog_predictions_running"), 1);
  await postJson(`${server.url}/v1/predictions/${slow.id}/cancel`, {});
  while (!(await reader.read()).done);

  const res = await fetch(`${server.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const delta = (series: string) => (sample(text, series) ?? 0) - base(series);
  assert.equal(delta('tscog_predictions_total{status="succeeded",dialect="cog"}'), 2);
  assert.equal(delta('tscog_predictions_total{status="succeeded",dialect="replicate"}'), 1);
  assert.equal(delta('tscog_predictions_total{status="failed",dialect="cog"}'), 1);
  assert.equal(delta('tscog_predictions_total{status="canceled",dialect="replicate"}'), 1);
  assert.ok(delta("tscog_output_chunks_total") >= 4 + 3 + 5 + 1 + 1);
  assert.equal(delta("tscog_time_to_first_output_seconds_count"), 5);
  assert.equal(delta('tscog_time_to_first_output_seconds_bucket{le="+Inf"}'), 5);
  assert.ok(delta("tscog_inter_chunk_seconds_count") >= 3, "inter-chunk gaps are observed per batch");
  assert.equal(delta('tscog_prediction_duration_seconds_count{status="succeeded"}'), 3);
  assert.equal(delta("tscog_prediction_queue_wait_seconds_count"), 5);
  assert.equal(delta('tscog_http_requests_total{method="POST",route="/predictions",status_class="2xx"}'), 3);
  assert.equal(delta('tscog_http_requests_total{method="GET",route="/v1/predictions/:id/stream",status_class="2xx"}'), 2);
  assert.equal(delta('tscog_http_requests_total{method="POST",route="/v1/predictions/:id/cancel",status_class="2xx"}'), 1);
  assert.equal(sample(text, "tscog_sse_streams_open"), 0);
  assert.equal(sample(text, "tscog_predictions_running"), 0);
  assert.equal(sample(text, "tscog_predictions_queued"), 0);
  assert.equal(sample(text, 'tscog_model_state{state="READY"}'), 1);
  assert.equal(sample(text, 'tscog_model_state{state="STARTING"}'), 0);
  assert.equal(sample(text, 'tscog_setup_duration_seconds_count{status="succeeded"}'), 1);
  assert.equal(sample(text, "tscog_worker_restarts_total"), 0);
  // Ids never become label values.
  assert.doesNotMatch(text, new RegExp(created.id));
});

test("a crashed worker counts as a restart", async () => {
  const crashy = await startFake({});
  try {
    await (await postJson(`${crashy.url}/predictions`, { input: { mode: "crash" } })).json();
    for (let i = 0; i < 100 && crashy.service.health().status !== "READY"; i++) await new Promise((r) => setTimeout(r, 50));
    const text = await (await fetch(`${crashy.url}/metrics`)).text();
    assert.equal(sample(text, "tscog_worker_restarts_total"), 1);
    assert.equal(sample(text, 'tscog_predictions_total{status="failed",dialect="cog"}'), 1);
    assert.equal(sample(text, 'tscog_setup_duration_seconds_count{status="succeeded"}'), 2);
  } finally {
    await crashy.close({ graceMs: 100 });
  }
});

test("/metrics needs the API token unless it is public, and can be turned off", async () => {
  const locked = await startFake({}, { token: TOKEN });
  const open = await startFake({}, { token: TOKEN, observability: { metrics: "public" } });
  const off = await startFake({}, { observability: { metrics: "off" } });
  try {
    assert.equal((await fetch(`${locked.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${locked.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    assert.equal((await fetch(`${open.url}/metrics`)).status, 200);
    assert.equal((await fetch(`${open.url}/predictions/x`)).status, 401, "the rest of the API still needs the token");
    assert.equal((await fetch(`${off.url}/metrics`)).status, 404);
  } finally {
    await Promise.all([locked.close({ graceMs: 100 }), open.close({ graceMs: 100 }), off.close({ graceMs: 100 })]);
  }
});

test("promtool check metrics accepts the exposition", async (t) => {
  if (!needProgram(t, "/usr/bin/promtool", "prometheus")) return;
  await (await postJson(`${server.url}/predictions`, { input: { mode: "metrics" } })).json();
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = execFile("/usr/bin/promtool", ["check", "metrics"], (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
    child.stdin!.end(text);
  });
  assert.equal(result.code, 0, result.out);
  assert.equal(result.out.trim(), "", "no lint warnings");
});

/** A free loopback port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

test("a real Prometheus scrapes the server (with its token) and answers PromQL on time to first output", async (t) => {
  if (!needProgram(t, "/usr/bin/prometheus", "prometheus")) return;
  const model = await startFake({}, { token: TOKEN });
  const dir = mkdtempSync(join(tmpdir(), "tscog-prometheus-"));
  let prometheus: ChildProcess | undefined;
  try {
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (let i = 0; i < 6; i++) {
      const r = await postJson(`${model.url}/predictions`, { input: { mode: "tokens", n: 8, delay_ms: 3 } }, auth);
      assert.equal(r.status, 200);
      await r.json();
    }
    const target = new URL(model.url).host;
    writeFileSync(
      join(dir, "prometheus.yml"),
      [
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 1s",
        "scrape_configs:",
        "  - job_name: tscog",
        "    authorization:",
        `      credentials: ${TOKEN}`,
        "    static_configs:",
        `      - targets: ["${target}"]`,
        "",
      ].join("\n"),
    );
    const port = await freePort();
    let output = "";
    prometheus = spawn(
      "/usr/bin/prometheus",
      [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    prometheus.stdout!.on("data", (d) => (output += d));
    prometheus.stderr!.on("data", (d) => (output += d));
    const api = `http://127.0.0.1:${port}/api/v1`;
    const query = async (promql: string) => {
      const res = await fetch(`${api}/query?query=${encodeURIComponent(promql)}`).catch(() => undefined);
      if (!res?.ok) return undefined;
      const body = (await res.json()) as { data: { result: { value: [number, string]; metric: Record<string, string> }[] } };
      return body.data.result;
    };
    // Wait for a scrape that saw all six predictions (Prometheus starts in about a second and scrapes every second).
    let count: number | undefined;
    for (let i = 0; i < 150 && count !== 6; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const result = await query('tscog_time_to_first_output_seconds_count{job="tscog"}');
      count = result?.length ? Number(result[0].value[1]) : undefined;
    }
    assert.equal(count, 6, `Prometheus never saw the 6 observations; its output:\n${output.slice(-3000)}`);
    const up = await query('up{job="tscog"}');
    assert.equal(up?.[0]?.value[1], "1", "the scrape (with the bearer token) succeeds");
    const median = await query('histogram_quantile(0.5, sum by (le) (tscog_time_to_first_output_seconds_bucket{job="tscog"}))');
    const seconds = Number(median?.[0]?.value[1]);
    assert.ok(seconds > 0 && seconds < 1, `median time to first output ${seconds} s`);
    const tokens = await query('tscog_output_chunks_total{job="tscog"}');
    assert.ok(Number(tokens?.[0]?.value[1]) >= 48);
  } finally {
    prometheus?.kill("SIGTERM");
    await new Promise((r) => (prometheus && prometheus.exitCode === null ? prometheus.once("exit", r) : r(null)));
    await model.close({ graceMs: 100 });
    rmSync(dir, { recursive: true, force: true });
  }
});
