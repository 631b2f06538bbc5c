/**
 * The three clients users already have, unmodified: the `replicate` npm
 * package, curl, and a browser EventSource from another origin (headless Chromium).
 */
import { needComponent } from "@tscog/runtime/testing";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Replicate from "replicate";
import type { TscogServer } from "../src/index.js";
import { parseSse, postJson, startFake } from "./helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "test-token-123";
let server: TscogServer;
let page: Server;
let pageOrigin = "";

before(async () => {
  // The page is served from another origin (another port); only it may use credentials.
  page = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>client</title>");
  });
  await new Promise<void>((r) => page.listen(0, "127.0.0.1", r));
  pageOrigin = `http://127.0.0.1:${(page.address() as { port: number }).port}`;
  server = await startFake({}, { concurrency: 4, token: TOKEN, cors: { origins: [pageOrigin] } });
});
after(async () => {
  await server.close({ graceMs: 100 });
  page.close();
});

test("replicate npm client: run, stream, predictions.get and cancel", async () => {
  const replicate = new Replicate({ auth: TOKEN, baseUrl: `${server.url}/v1` });
  const output = await replicate.run("acme/echo:0123abcd", { input: { mode: "tokens", n: 4 } });
  assert.deepEqual(output, ["t0 ", "t1 ", "t2 ", "t3 "]);
  const byModel = await replicate.run("acme/echo", { input: { mode: "echo", text: "m" } });
  assert.deepEqual(byModel, ["m"]);

  const chunks: string[] = [];
  const kinds: string[] = [];
  for await (const event of replicate.stream("acme/echo:0123abcd", { input: { mode: "multiline" } })) {
    kinds.push(event.event);
    if (event.event === "output") chunks.push(String(event));
  }
  assert.deepEqual(chunks, ["line one\nline two\nline three\n", "\n", "data: not a field\n\nevent: fake"]);
  assert.equal(kinds.at(-1), "done");

  const created = await replicate.predictions.create({ version: "0123abcd", input: { mode: "slow", n: 1000, delay_ms: 10 } });
  const fetched = await replicate.predictions.get(created.id);
  assert.equal(fetched.id, created.id);
  const canceled = await replicate.predictions.cancel(created.id);
  assert.equal(canceled.id, created.id);
  for (let i = 0; i < 50 && (await replicate.predictions.get(created.id)).status !== "canceled"; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal((await replicate.predictions.get(created.id)).status, "canceled");

  await assert.rejects(replicate.run("acme/echo:0123abcd", { input: { mode: "throw" } }), /exploded on purpose/);
});

test("curl -N prints the stream as it arrives", async (t) => {
  if (!needComponent(t, existsSync("/usr/bin/curl"), "/usr/bin/curl is missing (apt-get install -y curl)")) return;
  const p = await (await postJson(`${server.url}/v1/predictions`, { version: "x", input: { mode: "tokens", n: 3, delay_ms: 10 }, stream: true }, { authorization: `Bearer ${TOKEN}` })).json();
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile("curl", ["-sS", "-N", "-H", "Accept: text/event-stream", p.urls.stream], { timeout: 20_000 }, (err, out) => (err ? reject(err) : resolve(out))),
  );
  const events = parseSse(stdout);
  assert.deepEqual(events.map((e) => `${e.event}:${e.data}`), ["output:t0 ", "output:t1 ", "output:t2 ", "done:{}"]);
  assert.match(stdout, /^event: output\nid: \d+:\d+\ndata: t0 \n\n/);
});

test("browser EventSource(urls.stream, {withCredentials: true}) from another origin", async (t) => {
  if (!needComponent(t, existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install -y chromium)`)) return;
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "tscog-chromium-"));
  // A fresh --user-data-dir: playwright takes it as launchPersistentContext's first argument.
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const tab = await browser.newPage();
    await tab.goto(pageOrigin);
    // Create the prediction from the page with fetch (CORS preflight with Authorization), then stream it.
    const result = await tab.evaluate(
      async ({ api, token }) => {
        const res = await fetch(`${api}/v1/predictions`, {
          method: "POST",
          credentials: "include",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ version: "v", input: { mode: "multiline" }, stream: true }),
        });
        const prediction = await res.json();
        return await new Promise<{ outputs: string[]; done: unknown }>((resolve, reject) => {
          const outputs: string[] = [];
          const source = new EventSource(prediction.urls.stream, { withCredentials: true });
          source.addEventListener("output", (e) => outputs.push((e as MessageEvent).data));
          source.addEventListener("done", (e) => {
            source.close();
            resolve({ outputs, done: JSON.parse((e as MessageEvent).data) });
          });
          source.addEventListener("error", (e) => {
            const data = (e as MessageEvent).data;
            source.close();
            reject(new Error(`EventSource error ${data ?? ""}`));
          });
          setTimeout(() => reject(new Error("timeout")), 10_000);
        });
      },
      { api: server.url, token: TOKEN },
    );
    assert.deepEqual(result.outputs, ["line one\nline two\nline three\n", "\n", "data: not a field\n\nevent: fake"]);
    assert.deepEqual(result.done, {});
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
