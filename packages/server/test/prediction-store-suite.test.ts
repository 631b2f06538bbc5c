/**
 * One suite, two places predictions live: the in-memory `PredictionService`
 * (the reference) and the fleet's Redis store (`--queue`, role `all`, on a real
 * redis-server). Both must answer the same routes the same way.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { test } from "node:test";
import { needComponent } from "@tscog/runtime/testing";
import type { ServeOptions, TscogServer } from "../src/index.js";
import { hasRedisServer, readEvents, RedisServer } from "./fleet-harness.js";
import { until } from "./helpers.js";
import { postJson, startFake } from "./helpers.js";

const BACKENDS: Array<{ name: string; redis: boolean }> = [
  { name: "in memory", redis: false },
  { name: "Redis", redis: true },
];

for (const backend of BACKENDS) {
  test(`prediction store suite: ${backend.name}`, { timeout: 60_000 }, async (t) => {
    if (backend.redis && !needComponent(t, hasRedisServer(), "redis-server is not installed")) return;
    const redis = backend.redis ? new RedisServer() : undefined;
    let server: TscogServer | undefined;
    const hooks: Array<Record<string, unknown>> = [];
    const hook = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d)).on("end", () => {
        hooks.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
    try {
      await redis?.start();
      const options: ServeOptions = { concurrency: 2, allowPrivateUrls: true, ...(redis ? { queue: { url: redis.url, role: "all" as const } } : {}) };
      server = await startFake({}, options);
      const url = server.url;
      const json = async (res: Response | Promise<Response>) => (await res).json();

      await t.test("a synchronous Cog prediction returns its output", async () => {
        const p = await json(postJson(`${url}/predictions`, { input: { mode: "tokens", n: 5 } }));
        assert.equal(p.status, "succeeded");
        assert.equal(p.output.join(""), "t0 t1 t2 t3 t4 ");
      });

      await t.test("logs, metrics and failures are kept", async () => {
        const logs = await json(postJson(`${url}/predictions`, { input: { mode: "logs" } }));
        assert.equal(logs.logs, "first log line\nsecond log line\n");
        const metrics = await json(postJson(`${url}/predictions`, { input: { mode: "metrics" } }));
        assert.equal(metrics.metrics.tokens, 2);
        const failed = await json(postJson(`${url}/predictions`, { input: { mode: "throw" } }));
        assert.equal(failed.status, "failed");
        assert.match(failed.error, /exploded on purpose/);
        assert.deepEqual(failed.output, ["partial"]);
      });

      await t.test("invalid input is refused before it is queued (422); unknown ids are 404", async () => {
        assert.equal((await postJson(`${url}/predictions`, { input: { mode: "nope" } })).status, 422);
        assert.equal((await fetch(`${url}/predictions/unknown-id`)).status, 404);
      });

      await t.test("ids: PUT with the same input re-attaches, another input is a conflict", async () => {
        const put = (input: unknown) => fetch(`${url}/predictions/fixed-id-1`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ input }) });
        assert.equal((await json(put({ mode: "echo", text: "x" }))).output.join(""), "x");
        assert.equal((await put({ mode: "echo", text: "x" })).status, 200);
        assert.equal((await put({ mode: "echo", text: "y" })).status, 409);
      });

      await t.test("secrets are masked in what clients see", async () => {
        const p = await json(postJson(`${url}/predictions`, { input: { mode: "echo", api_key: "hunter2" } }));
        assert.notEqual(p.input.api_key, "hunter2");
      });

      await t.test("a stream replays from the start and resumes after any Last-Event-ID", async () => {
        const created = await json(postJson(`${url}/v1/predictions`, { input: { mode: "tokens", n: 30, delay_ms: 2 } }));
        const all = await readEvents(created.urls.stream);
        assert.equal(all.filter((e) => e.event === "output").length, 30);
        const rest = await readEvents(created.urls.stream, { lastEventId: all[9].id });
        assert.deepEqual(rest, all.slice(10));
      });

      await t.test("cancel stops a running prediction", async () => {
        const created = await json(postJson(`${url}/v1/predictions`, { input: { mode: "slow", n: 10_000, delay_ms: 20 } }));
        await readEvents(created.urls.stream, { stop: (e) => e.event === "output" });
        assert.equal((await fetch(created.urls.cancel, { method: "POST" })).status, 200);
        const events = await readEvents(created.urls.stream);
        assert.match(events.at(-1)!.data, /canceled/);
      });

      await t.test("webhooks go out in the dialect's shape (a fleet's worker sends them)", async () => {
        const created = await json(postJson(`${url}/v1/predictions`, { input: { mode: "echo", text: "hooked" }, webhook: hookUrl, webhook_events_filter: ["completed"] }));
        const last = await until("the completed webhook", () => hooks.find((h) => h.id === created.id && h.status === "succeeded"));
        assert.deepEqual(last.output, ["hooked"]);
        assert.equal((last.urls as { get: string }).get, created.urls.get);
      });

      await t.test("a prediction canceled while it waits still sends its completed webhook", async () => {
        const busy = await Promise.all([1, 2].map(async () => json(postJson(`${url}/v1/predictions`, { input: { mode: "slow", n: 10_000, delay_ms: 20 } }))));
        await Promise.all(busy.map((p) => readEvents(p.urls.stream, { stop: (e) => e.event === "output" })));
        const waiting = await json(postJson(`${url}/v1/predictions`, { input: { mode: "echo" }, webhook: hookUrl, webhook_events_filter: ["completed"] }));
        assert.equal((await fetch(waiting.urls.cancel, { method: "POST" })).status, 200);
        for (const p of busy) await fetch(p.urls.cancel, { method: "POST" });
        const hooked = await until("the canceled webhook", () => hooks.find((h) => h.id === waiting.id));
        assert.equal(hooked.status, "canceled");
      });

      await t.test("the listing shows predictions newest first", async () => {
        const a = await json(postJson(`${url}/v1/predictions`, { input: { mode: "echo" } }, { prefer: "wait" }));
        const b = await json(postJson(`${url}/v1/predictions`, { input: { mode: "echo" } }, { prefer: "wait" }));
        const page = await json(fetch(`${url}/v1/predictions`));
        const ids = page.results.map((p: { id: string }) => p.id);
        assert.ok(ids.indexOf(b.id) >= 0 && ids.indexOf(b.id) < ids.indexOf(a.id), JSON.stringify(ids));
      });
    } finally {
      await server?.close();
      hook.close();
      await redis?.remove();
    }
  });
}
