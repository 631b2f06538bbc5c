import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import type { TscogServer } from "../src/index.js";
import { parseSse, postJson, startFake } from "./helpers.js";

let server: TscogServer;
before(async () => {
  server = await startFake({}, { concurrency: 4, heartbeatMs: 100 });
});
after(() => server.close({ graceMs: 100 }));

async function create(body: unknown, headers: Record<string, string> = {}) {
  const res = await postJson(`${server.url}/v1/predictions`, body, headers);
  assert.equal(res.status, 201);
  return res.json();
}

test("POST /v1/predictions returns 201 with absolute urls from the Host", async () => {
  const p = await create({ version: "abc", input: { mode: "echo" }, stream: true });
  assert.equal(p.status, "starting");
  assert.equal(p.version, "abc");
  assert.equal(p.urls.get, `${server.url}/v1/predictions/${p.id}`);
  assert.equal(p.urls.cancel, `${server.url}/v1/predictions/${p.id}/cancel`);
  assert.equal(p.urls.stream, `${server.url}/v1/predictions/${p.id}/stream`);
  // fetch() cannot set Host, so use node:http.
  const viaHost = await new Promise<any>((resolve, reject) => {
    const req = request(`${server.url}/v1/predictions`, { method: "POST", headers: { host: "models.example.com:8443", "content-type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c) => (text += c)).on("end", () => resolve(JSON.parse(text)));
    });
    req.on("error", reject);
    req.end(JSON.stringify({ input: { mode: "echo" } }));
  });
  assert.match(viaHost.urls.stream, /^http:\/\/models\.example\.com:8443\/v1\/predictions\//);
});

test("the stream sends raw output text (multi-line exact), ids, and done", async () => {
  const p = await create({ input: { mode: "multiline" } });
  const res = await fetch(p.urls.stream, { headers: { accept: "text/event-stream" } });
  assert.match(res.headers.get("content-type")!, /^text\/event-stream/);
  const events = parseSse(await res.text());
  assert.deepEqual(
    events.map((e) => [e.event, e.data]),
    [
      ["output", "line one\nline two\nline three\n"],
      ["output", "\n"],
      ["output", "data: not a field\n\nevent: fake"],
      ["done", "{}"],
    ],
  );
  const ids = events.map((e) => e.id!);
  for (const id of ids) assert.match(id, /^\d+:\d+$/);
  for (let i = 1; i < ids.length; i++) assert.ok(Number(ids[i].split(":")[1]) > Number(ids[i - 1].split(":")[1]));
});

test("Last-Event-ID resumes; a late stream replays and ends with done", async () => {
  const p = await create({ input: { mode: "tokens", n: 5 } }, { prefer: "wait" });
  assert.equal(p.status, "succeeded");
  const all = parseSse(await (await fetch(p.urls.stream)).text());
  assert.deepEqual(all.filter((e) => e.event === "output").map((e) => e.data), ["t0 ", "t1 ", "t2 ", "t3 ", "t4 "]);
  const resumed = parseSse(await (await fetch(p.urls.stream, { headers: { "last-event-id": all[2].id! } })).text());
  assert.deepEqual(resumed.map((e) => e.data), ["t3 ", "t4 ", "{}"]);
});

test("failed predictions end with error (JSON) and done; canceled ones with done reason", async () => {
  const failed = await create({ input: { mode: "throw" } });
  const events = parseSse(await (await fetch(failed.urls.stream)).text());
  assert.deepEqual(events.map((e) => e.event), ["output", "error", "done"]);
  assert.equal(JSON.parse(events[1].data).detail, "the model exploded on purpose");
  assert.equal(JSON.parse(events[2].data).reason, "error");

  const slow = await create({ input: { mode: "slow", n: 1000, delay_ms: 10 } });
  const streaming = fetch(slow.urls.stream).then((r) => r.text());
  await new Promise((r) => setTimeout(r, 50));
  const canceled = await (await fetch(slow.urls.cancel, { method: "POST" })).json();
  assert.equal(canceled.id, slow.id);
  const tail = parseSse(await streaming).at(-1)!;
  assert.equal(tail.event, "done");
  assert.deepEqual(JSON.parse(tail.data), { reason: "canceled" });
  const got = await (await fetch(slow.urls.get)).json();
  assert.equal(got.status, "canceled");
});

test("Prefer: wait=N blocks up to N seconds; models route works", async () => {
  let answered = false;
  const pending = postJson(`${server.url}/v1/models/acme/slowpoke/predictions`, { input: { mode: "hang" } }, { prefer: "wait=2" }).then((r) => {
    answered = true;
    return r;
  });
  // Still waiting after half the time (event order rather than a stopwatch), answered after the whole.
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(answered, false);
  const res = await pending;
  const p = await res.json();
  assert.equal(res.status, 201);
  assert.equal(p.model, "acme/slowpoke");
  assert.equal(p.status, "processing");
  await fetch(p.urls.cancel, { method: "POST" });
});

test("idle streams get heartbeat comments", async () => {
  const p = await create({ input: { mode: "hang" } });
  const res = await fetch(p.urls.stream);
  const reader = res.body!.getReader();
  let text = "";
  while (!text.includes(": ping")) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  await fetch(p.urls.cancel, { method: "POST" });
});

test("CORS: none by default; a named origin gets credentials, * never does", async () => {
  const preflight = (url: string) =>
    fetch(`${url}/v1/predictions`, {
      method: "OPTIONS",
      headers: { origin: "http://app.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });
  const closed = await preflight(server.url);
  assert.equal(closed.headers.get("access-control-allow-origin"), null);
  assert.equal((await fetch(`${server.url}/health-check`, { headers: { origin: "http://app.example" } })).headers.get("access-control-allow-origin"), null);
  const named = await startFake({}, { cors: { origins: ["http://app.example"] } });
  const any = await startFake({}, { cors: { origins: "*" } });
  try {
    const pre = await preflight(named.url);
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), "http://app.example");
    assert.equal(pre.headers.get("access-control-allow-credentials"), "true");
    assert.match(pre.headers.get("access-control-allow-headers")!, /authorization/);
    const get = await fetch(`${named.url}/health-check`, { headers: { origin: "http://app.example" } });
    assert.equal(get.headers.get("access-control-allow-origin"), "http://app.example");
    const wild = await preflight(any.url);
    assert.equal(wild.headers.get("access-control-allow-origin"), "*");
    assert.equal(wild.headers.get("access-control-allow-credentials"), null);
    const wildGet = await fetch(`${any.url}/health-check`, { headers: { origin: "http://elsewhere.example" } });
    assert.equal(wildGet.headers.get("access-control-allow-origin"), "*");
    assert.equal(wildGet.headers.get("access-control-allow-credentials"), null);
  } finally {
    await named.close({ graceMs: 100 });
    await any.close({ graceMs: 100 });
  }
});

test("auth: 401 without the token, health excepted, stream URLs carry a signed token", async () => {
  const secured = await startFake({}, { token: "s3cret", cors: { origins: ["http://ok.example"] } });
  try {
    const denied = await postJson(`${secured.url}/v1/predictions`, { input: { mode: "echo" } });
    assert.equal(denied.status, 401);
    assert.equal((await denied.json()).code, "UNAUTHORIZED");
    assert.equal((await fetch(`${secured.url}/health-check`)).status, 200);
    assert.equal((await postJson(`${secured.url}/predictions`, { input: {} }, { authorization: "Bearer wrong" })).status, 401);
    const p = await (await postJson(`${secured.url}/v1/predictions`, { input: { mode: "echo", text: "hi" } }, { authorization: "Bearer s3cret" })).json();
    assert.match(p.urls.stream, /\?token=/);
    const events = parseSse(await (await fetch(p.urls.stream)).text());
    assert.deepEqual(events.map((e) => e.data), ["hi", "{}"]);
    const forged = await fetch(p.urls.stream.replace(/token=.*/, "token=forged"));
    assert.equal(forged.status, 401);
    assert.equal((await fetch(p.urls.get, { headers: { authorization: "Token s3cret" } })).status, 200);
    const cors = await fetch(`${secured.url}/health-check`, { headers: { origin: "http://evil.example" } });
    assert.equal(cors.headers.get("access-control-allow-origin"), null);
  } finally {
    await secured.close({ graceMs: 100 });
  }
});

test("a predictor that returns a value streams it as one output event", async () => {
  const valued = await startFake({ outputKind: "value" });
  try {
    const p = await (await postJson(`${valued.url}/v1/predictions`, { input: { mode: "value", text: "v" } }, { prefer: "wait" })).json();
    assert.equal(p.output, "value:v");
    const events = parseSse(await (await fetch(p.urls.stream)).text());
    assert.deepEqual(events.map((e) => [e.event, e.data]), [["output", "value:v"], ["done", "{}"]]);
  } finally {
    await valued.close({ graceMs: 100 });
  }
});

test("trustProxy: urls use X-Forwarded-Proto and X-Forwarded-Host", async () => {
  const proxied = await startFake({}, { trustProxy: true });
  try {
    const p = await (await postJson(`${proxied.url}/v1/predictions`, { input: { mode: "echo" } }, { "x-forwarded-proto": "https", "x-forwarded-host": "api.example.com" })).json();
    assert.match(p.urls.stream, /^https:\/\/api\.example\.com\/v1\/predictions\/.+\/stream$/);
  } finally {
    await proxied.close({ graceMs: 100 });
  }
});
