/**
 * What a hostile or careless client must not get from a server that faces the
 * internet: secrets, cross-origin access, a crash through odd output, or
 * replies that are not JSON. Real server, real sockets.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import type { TscogServer } from "../src/index.js";
import { parseSse, postJson, startFake } from "./helpers.js";

const SECRET = "sk-live-0123456789";
let server: TscogServer;
let hooks: Server;
let hookUrl = "";
const hookBodies: string[] = [];

before(async () => {
  hooks = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      hookBodies.push(body);
      res.end();
    });
  });
  await new Promise<void>((r) => hooks.listen(0, "127.0.0.1", r));
  hookUrl = `http://127.0.0.1:${(hooks.address() as { port: number }).port}/hook`;
  // Webhooks to 127.0.0.1 need private addresses allowed (the default refuses them).
  server = await startFake({}, { concurrency: 4, allowPrivateUrls: true, webhook: { throttleMs: 0 } });
});

after(async () => {
  await server.close({ graceMs: 100 });
  await new Promise((r) => hooks.close(r));
});

/** A raw HTTP/1.1 exchange, for requests fetch cannot make. */
function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, "127.0.0.1", () => socket.end(request));
    let text = "";
    socket.on("data", (d) => (text += d));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}

test("secret inputs are masked in every representation; the predictor gets the value", async () => {
  hookBodies.length = 0;
  const input = { mode: "secret", api_key: SECRET };
  const views: string[] = [];
  // Cog: sync, async (202) with a webhook, GET, SSE.
  const sync = await postJson(`${server.url}/predictions`, { input });
  views.push(await sync.text());
  assert.match(views[0], /key ok: true/);
  const queued = await postJson(`${server.url}/predictions`, { input, webhook: hookUrl }, { prefer: "respond-async" });
  assert.equal(queued.status, 202);
  const { id } = JSON.parse((views[views.length] = await queued.text()));
  const sse = await fetch(`${server.url}/predictions`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ input }),
  });
  views.push(await sse.text());
  assert.ok(parseSse(views.at(-1)!).some((e) => e.event === "completed"));
  // Replicate: create (201), wait, GET, list, stream.
  const created = await postJson(`${server.url}/v1/predictions`, { input }, { prefer: "wait" });
  assert.equal(created.status, 201);
  const rep = JSON.parse((views[views.length] = await created.text()));
  views.push(await (await fetch(`${server.url}/predictions/${id}`)).text());
  views.push(await (await fetch(rep.urls.get)).text());
  views.push(await (await fetch(`${server.url}/v1/predictions`)).text());
  views.push(await (await fetch(rep.urls.stream)).text());
  const deadline = Date.now() + 5000;
  while (!hookBodies.some((b) => b.includes('"succeeded"')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(hookBodies.length >= 2, "webhooks arrived");
  views.push(...hookBodies);
  for (const view of views) assert.ok(!view.includes(SECRET), `secret leaked in: ${view.slice(0, 300)}`);
  assert.equal(rep.input.api_key, "**********");
  assert.equal(rep.input.mode, "secret");
});

test("no cross-origin access by default: foreign origins get 403, non-JSON bodies 415, /shutdown is not reachable", async () => {
  const evil = { origin: "http://evil.example" };
  // A form or text/plain POST skips the browser's preflight: never acted on.
  const form = await fetch(`${server.url}/v1/predictions`, {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: JSON.stringify({ input: { mode: "echo" } }),
  });
  assert.equal(form.status, 415);
  assert.equal((await form.json()).code, "UNSUPPORTED_MEDIA_TYPE");
  const foreign = await postJson(`${server.url}/v1/predictions`, { input: { mode: "echo" } }, evil);
  assert.equal(foreign.status, 403);
  assert.match((await foreign.json()).detail, /--cors-origin http:\/\/evil\.example/);
  const shutdown = await fetch(`${server.url}/shutdown`, { method: "POST", headers: { ...evil, "content-type": "text/plain" }, body: "" });
  assert.equal(shutdown.status, 403);
  const health = await fetch(`${server.url}/health-check`, { headers: evil });
  assert.equal(health.status, 200);
  assert.equal(health.headers.get("access-control-allow-origin"), null);
  // The server's own origin (a page it serves) is fine.
  const same = await postJson(`${server.url}/v1/predictions`, { input: { mode: "echo" } }, { origin: server.url });
  assert.equal(same.status, 201);
});

test("output JSON cannot carry fails only that prediction; BigInts become numbers or strings", async () => {
  const big = await (await postJson(`${server.url}/predictions`, { input: { mode: "bigint" } })).json();
  assert.equal(big.status, "succeeded");
  assert.deepEqual(big.output, [42, { big: "1180591620717411303424", list: [1, 2] }]);
  // With a webhook set, the old server threw inside the webhook sender and exited.
  const circular = await (await postJson(`${server.url}/predictions`, { input: { mode: "circular" }, webhook: hookUrl })).json();
  assert.equal(circular.status, "failed");
  assert.match(circular.error, /output chunk 1 .*cycle/);
  assert.deepEqual(circular.output, ["fine"]);
  const undef = await (await postJson(`${server.url}/predictions`, { input: { mode: "undefined" } })).json();
  assert.equal(undef.status, "failed");
  assert.match(undef.error, /output chunk 1 is undefined/);
  const list = await fetch(`${server.url}/v1/predictions`);
  assert.equal(list.status, 200);
  assert.equal((await fetch(`${server.url}/health-check`)).status, 200);
});

test("thrown non-Errors are described, not [object Object]; a chunk before an unhandled rejection is kept", async () => {
  const thrown = await (await postJson(`${server.url}/predictions`, { input: { mode: "throw-object" } })).json();
  assert.equal(thrown.status, "failed");
  assert.match(thrown.error, /"reason":"out of tokens"/);
  const rejected = await (await postJson(`${server.url}/predictions`, { input: { mode: "rejection" } })).json();
  assert.equal(rejected.status, "succeeded");
  assert.deepEqual(rejected.output, ["before the rejection", "after the rejection"]);
});

test("ids: reuse is a 409, PUT with another input is a 409, an object id is a 422", async () => {
  const first = await postJson(`${server.url}/predictions`, { id: "reused-1", input: { mode: "echo", text: "a" } });
  assert.equal(first.status, 200);
  const again = await postJson(`${server.url}/predictions`, { id: "reused-1", input: { mode: "echo", text: "b" } });
  assert.equal(again.status, 409);
  assert.equal((await (await fetch(`${server.url}/predictions/reused-1`)).json()).output.join(""), "a");
  const put = (text: string) =>
    fetch(`${server.url}/predictions/reused-1`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: { text, mode: "echo" } }) });
  assert.equal((await put("a")).status, 200);
  const other = await put("b");
  assert.equal(other.status, 409);
  assert.match((await other.json()).detail, /different input/);
  const objectId = await postJson(`${server.url}/predictions`, { id: { x: 1 }, input: { mode: "echo" } });
  assert.equal(objectId.status, 422);
  assert.match((await objectId.json()).detail[0].msg, /must be a string/);
});

test("every refusal has a JSON body: no Host, a bogus Expect, 401 with WWW-Authenticate", async () => {
  const noHost = await raw("GET /health-check HTTP/1.1\r\nConnection: close\r\n\r\n");
  assert.match(noHost, /^HTTP\/1\.1 400/);
  assert.match(noHost, /"code":"BAD_REQUEST".*Host/);
  const expect = await raw("POST /predictions HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
  assert.match(expect, /^HTTP\/1\.1 417/);
  assert.match(expect, /application\/json[\s\S]*"detail":"Unsupported Expect header/);
  const secured = await startFake({}, { token: "t0ken" });
  try {
    const denied = await fetch(`${secured.url}/v1/predictions`);
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get("www-authenticate"), 'Bearer realm="tscog"');
  } finally {
    await secured.close({ graceMs: 100 });
  }
});

test("urls use the configured public URL, not the Host header", async () => {
  const pub = await startFake({}, { publicUrl: "https://models.example.com" });
  try {
    const res = await postJson(`${pub.url}/v1/predictions`, { input: { mode: "echo" } }, { host: "attacker.example" });
    const body = await res.json();
    assert.match(body.urls.get, /^https:\/\/models\.example\.com\/v1\/predictions\//);
    assert.match(body.urls.stream, /^https:\/\/models\.example\.com\//);
  } finally {
    await pub.close({ graceMs: 100 });
  }
});
