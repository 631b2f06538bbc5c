/**
 * Requests the server makes for clients, against real local servers: `Path`
 * input downloads (cancel, disconnect, the address policy) and webhooks (the
 * address policy, the allowlist and its token, redirects, retries).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { makeProject } from "@tscog/runtime/testing";
import { serve, serveOptionsFromEnv, type TscogServer } from "../src/index.js";
import { postJson, startFake } from "./helpers.js";

const PATH_PREDICT = `import { BasePredictor, Input, type InputsOf } from "tscog";
import { readFile } from "node:fs/promises";
const inputs = { file: Input.path() };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ file }: InputsOf<typeof inputs>): Promise<string> { return await readFile(file, "utf8"); }
}`;

interface Hit {
  path: string;
  auth?: string;
  status?: string;
}
let hits: Hit[] = [];
let open = 0;
let dropNext = 0;
let target: Server;
let base = "";

/** Files and webhooks: /hello.txt, /slow (never finishes), /hook, /drop (drops terminal webhooks `dropNext` times), /redirect. */
function route(req: IncomingMessage, res: ServerResponse): void {
  open++;
  res.on("close", () => open--);
  let text = "";
  req.setEncoding("utf8").on("data", (c) => (text += c)).on("end", () => {
    const status = text ? (JSON.parse(text) as { status?: string }).status : undefined;
    hits.push({ path: req.url!, auth: req.headers.authorization, status });
    if (req.url === "/hello.txt") return void res.writeHead(200, { "content-type": "text/plain" }).end("hello");
    if (req.url === "/slow") return void res.writeHead(200, { "content-type": "text/plain" }).write("a");
    if (req.url === "/redirect") return void res.writeHead(307, { location: "/hook" }).end();
    if (req.url === "/drop" && status === "succeeded" && dropNext > 0) {
      dropNext--;
      return void req.socket.destroy();
    }
    res.writeHead(200).end();
  });
}

before(async () => {
  target = createServer(route);
  await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
});
after(() => {
  target.closeAllConnections();
  target.close();
});

async function waitFor(what: string, pred: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const statusOf = async (server: TscogServer, id: string) => ((await (await fetch(`${server.url}/predictions/${id}`)).json()) as { status: string }).status;

test("a Path input's download stops at once when its prediction is canceled or its client disconnects", async () => {
  const server = await serve({ dir: makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\n', "predict.ts": PATH_PREDICT }), allowPrivateUrls: true });
  try {
    await server.ready;
    for (let i = 0; i < 4; i++) {
      hits = [];
      const id = `stuck-${i}`;
      const client = new AbortController();
      const body = { id, input: { file: `${base}/slow` } };
      // Two are canceled (async), two are synchronous requests whose client goes away.
      const sent = i < 2
        ? postJson(`${server.url}/predictions`, body, { prefer: "respond-async" })
        : fetch(`${server.url}/predictions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: client.signal }).catch(() => undefined);
      await waitFor("the download to start", () => open === 1 && hits.length === 1);
      const t0 = Date.now();
      if (i < 2) await fetch(`${server.url}/predictions/${id}/cancel`, { method: "POST" });
      else client.abort();
      await waitFor(`prediction ${id} to be canceled`, async () => (await statusOf(server, id)) === "canceled", 2000);
      await waitFor("the download's connection to close", () => open === 0, 2000);
      assert.ok(Date.now() - t0 < 2000, `cancel took ${Date.now() - t0} ms`);
      await sent;
    }
    const health = (await (await fetch(`${server.url}/health-check`)).json()) as { status: string };
    assert.equal(health.status, "READY");
    const res = await postJson(`${server.url}/predictions`, { input: { file: `${base}/hello.txt` } });
    assert.equal(((await res.json()) as { output: string }).output, "hello");
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("by default a Path input on a loopback URL fails with the policy's generic error and never reaches it", async () => {
  const server = await serve({ dir: makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\n', "predict.ts": PATH_PREDICT }) });
  try {
    await server.ready;
    hits = [];
    for (const url of [`${base}/hello.txt`, base.replace("127.0.0.1", "localhost") + "/hello.txt", base.replace("127.0.0.1", "2130706433") + "/hello.txt"]) {
      const res = await postJson(`${server.url}/predictions`, { input: { file: url } });
      const text = await res.text();
      assert.match(text, /could not fetch the file at http:\/\/[^ ]+: refused by the server's URL policy/, text);
    }
    assert.deepEqual(hits, []);
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("cog.yaml's server.allow_private_urls and max_download_bytes reach the predictor's downloads", async () => {
  const cog = 'predict: "predict.ts:Predictor"\nserver:\n  allow_private_urls: true\n  max_download_bytes: 3\n  download_timeout: 30\n';
  const server = await serve({ dir: makeProject({ "cog.yaml": cog, "predict.ts": PATH_PREDICT }) });
  try {
    await server.ready;
    hits = [];
    const text = await (await postJson(`${server.url}/predictions`, { input: { file: `${base}/hello.txt` } })).text();
    assert.match(text, /could not fetch the file at http:\/\/127\.0\.0\.1:\d+: the file is larger than the server's limit of 3 bytes/, text);
    assert.deepEqual(hits.map((h) => h.path), ["/hello.txt"]);
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("the settings from environment variables", () => {
  const env = {
    TSCOG_ALLOW_PRIVATE_URLS: "1",
    TSCOG_MAX_DOWNLOAD_BYTES: "1000",
    TSCOG_DOWNLOAD_TIMEOUT: "2.5",
    TSCOG_WEBHOOK_ALLOWED_HOSTS: "hooks.example.com, *.example.net",
    WEBHOOK_AUTH_TOKEN: "t",
  };
  const options = serveOptionsFromEnv(env);
  assert.equal(options.allowPrivateUrls, true);
  assert.equal(options.maxDownloadBytes, 1000);
  assert.equal(options.downloadTimeoutMs, 2500);
  assert.deepEqual(options.webhook, { authToken: "t", allowedHosts: ["hooks.example.com", "*.example.net"] });
  assert.equal(serveOptionsFromEnv({ TSCOG_ALLOW_PRIVATE_URLS: "0" }).allowPrivateUrls, false);
  assert.equal(serveOptionsFromEnv({}).allowPrivateUrls, undefined);
});

const FAST_RETRY = { retryDelaysMs: [20, 20, 20], throttleMs: 10 };

test("by default webhooks to loopback addresses are not sent", async () => {
  const server = await startFake({}, { webhook: { authToken: "hook-secret", ...FAST_RETRY } });
  try {
    hits = [];
    for (const hook of [`${base}/hook`, base.replace("127.0.0.1", "localhost") + "/hook", base.replace("127.0.0.1", "[::ffff:127.0.0.1]") + "/hook"]) {
      const res = await postJson(`${server.url}/predictions`, { input: { mode: "echo" }, webhook: hook });
      assert.equal(res.status, 200);
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(hits, []);
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("webhooks: the token goes only to allowed hosts; other hosts get nothing; redirects are not followed", async () => {
  const server = await startFake({}, { webhook: { authToken: "hook-secret", allowedHosts: ["127.0.0.1"], ...FAST_RETRY } });
  try {
    hits = [];
    await postJson(`${server.url}/predictions`, { input: { mode: "echo" }, webhook: `${base}/hook`, webhook_events_filter: ["completed"] });
    await waitFor("the webhook", () => hits.length === 1);
    assert.deepEqual(hits, [{ path: "/hook", auth: "Bearer hook-secret", status: "succeeded" }]);

    hits = [];
    await postJson(`${server.url}/predictions`, { input: { mode: "echo" }, webhook: base.replace("127.0.0.1", "localhost") + "/hook" });
    await postJson(`${server.url}/predictions`, { input: { mode: "echo" }, webhook: `${base}/redirect`, webhook_events_filter: ["completed"] });
    await waitFor("the redirecting webhook", () => hits.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(hits.map((h) => h.path), ["/redirect"]);
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("webhooks with private addresses allowed: sent without the token (no allowlist); a network error is retried", async () => {
  const server = await startFake({}, { allowPrivateUrls: true, webhook: { authToken: "hook-secret", ...FAST_RETRY } });
  try {
    hits = [];
    dropNext = 2;
    await postJson(`${server.url}/predictions`, { input: { mode: "echo" }, webhook: `${base}/drop`, webhook_events_filter: ["completed"] });
    await waitFor("the webhook to get through", () => hits.length === 3);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(hits, Array(3).fill({ path: "/drop", auth: undefined, status: "succeeded" }));
    assert.equal(dropNext, 0);
  } finally {
    await server.close({ graceMs: 100 });
  }
});
