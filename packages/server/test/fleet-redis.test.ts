/**
 * A fleet on a real redis-server: two API replicas and two workers, all real
 * `tscog serve` processes. Streams cross replicas and resume anywhere; cancel
 * works from any replica; a killed or paused worker's job ends as documented
 * (re-run, or `worker lost`) with no stray events; Redis restarting makes the
 * API answer 503 and then recover with nothing finished or queued lost.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import Replicate from "replicate";
import { createClient } from "redis";
import { needComponent } from "@tscog/runtime/testing";
import { hasRedisServer, makeCountingProject, readEvents, RedisServer, startServe, type ServeProcess } from "./fleet-harness.js";
import { postJson, until, type ParsedEvent } from "./helpers.js";

/** Short enough for the tests, long enough for heartbeats on a loaded 2-core VM. */
const RECLAIM_MS = 2_000;

/** The numbered chunks a prediction of `n` yields. */
const chunks = (n: number) => Array.from({ length: n }, (_, i) => `${i} `);
const outputs = (events: ParsedEvent[]) => events.filter((e) => e.event === "output").map((e) => e.data);

test("a fleet on Redis: two API replicas, two workers", { timeout: 120_000 }, async (t) => {
  if (!needComponent(t, hasRedisServer(), "redis-server is not installed")) return;
  const redis = new RedisServer();
  await redis.start();
  const dir = makeCountingProject();
  const env = { TSCOG_QUEUE_RECLAIM_MS: String(RECLAIM_MS), TSCOG_METRICS: "off" };
  const queue = ["--queue", redis.url];
  const processes: ServeProcess[] = [];
  // Every process is stopped at the end, also one started by a test that failed.
  const track = (p: Promise<ServeProcess>) => p.then((s) => (processes.push(s), s));
  const worker = () => track(startServe(dir, [...queue, "--role", "worker"], env));
  const client = createClient({ url: redis.url });
  client.on("error", () => {});
  try {
    const started = await Promise.all([track(startServe(dir, [...queue, "--role", "api"], env)), track(startServe(dir, [...queue, "--role", "api"], env)), worker(), worker()]);
    const [apiA, apiB] = started;
    const workers = new Map(started.slice(2).map((w) => [w.pid, w]));
    await client.connect();
    const ownerPid = async (id: string) => {
      const owner = await client.hGet(`tscog:{${id}}:meta`, "owner");
      return owner ? Number(owner.split("-").at(-2)) : undefined;
    };
    const onB = (url: string) => url.replace(apiA.url, apiB.url);

    await t.test("create with the replicate client on A, stream on B, resume with Last-Event-ID on A", async () => {
      const replicate = new Replicate({ auth: "unused", baseUrl: `${apiA.url}/v1` });
      const created = await replicate.predictions.create({ version: "v1", input: { n: 40, delay: 5 } });
      const first = await readEvents(onB(created.urls.stream!), { stop: (_e, all) => outputs(all).length >= 10 });
      const rest = await readEvents(created.urls.stream!, { lastEventId: first.at(-1)!.id });
      const all = [...first, ...rest];
      assert.deepEqual(outputs(all), chunks(40));
      assert.equal(all.at(-1)!.event, "done");
      const ids = all.map((e) => e.id);
      assert.equal(new Set(ids).size, ids.length, "every event id once");
      // Event ids are the same on every replica.
      const [onA, onBAgain] = await Promise.all([readEvents(created.urls.stream!), readEvents(onB(created.urls.stream!))]);
      assert.deepEqual(onA, onBAgain);
      assert.deepEqual(onA.map((e) => e.id), ids);
      const done = await replicate.predictions.get(created.id);
      assert.equal(done.status, "succeeded");
      assert.deepEqual(done.output, chunks(40));
    });

    await t.test("20 concurrent predictions over both replicas and both workers, every event once and in order", async () => {
      const runs = Array.from({ length: 20 }, async (_, i) => {
        const [create, read] = i % 2 === 0 ? [apiA, apiB] : [apiB, apiA];
        const n = 20 + i;
        const created = await (await postJson(`${create.url}/v1/predictions`, { input: { n, delay: 10 } })).json();
        const events = await readEvents(`${read.url}/v1/predictions/${created.id}/stream`);
        assert.deepEqual(outputs(events), chunks(n), `prediction ${i}`);
        assert.equal(events.at(-1)!.event, "done");
        const got = await (await fetch(`${create.url}/v1/predictions/${created.id}`)).json();
        return Number(/pid (\d+)/.exec(got.logs)?.[1]);
      });
      const pids = new Set(await Promise.all(runs));
      assert.deepEqual([...pids].sort(), [...workers.keys()].sort(), "both workers ran predictions");
    });

    await t.test("cancel from the replica that did not create the prediction", async () => {
      const created = await (await postJson(`${apiA.url}/v1/predictions`, { input: { n: 100_000, delay: 10 } })).json();
      const streaming = readEvents(created.urls.stream);
      await until("output", async () => ((await (await fetch(`${apiA.url}/v1/predictions/${created.id}`)).json()).output?.length > 0 ? true : undefined));
      const res = await fetch(`${apiB.url}/v1/predictions/${created.id}/cancel`, { method: "POST" });
      assert.equal(res.status, 200);
      const events = await streaming;
      assert.equal(events.at(-1)!.event, "done");
      assert.match(events.at(-1)!.data, /canceled/);
      const got = await (await fetch(`${apiA.url}/v1/predictions/${created.id}`)).json();
      assert.equal(got.status, "canceled");
    });

    await t.test("a worker killed before any output: the job is re-run by the other worker", async () => {
      const created = await (await postJson(`${apiA.url}/v1/predictions`, { input: { n: 5, wait: 1_500 } })).json();
      const pid = await until("an owner", () => ownerPid(created.id));
      const victim = workers.get(pid)!;
      victim.child.kill("SIGKILL");
      workers.delete(pid);
      const replacement = worker();
      const events = await readEvents(`${apiB.url}/v1/predictions/${created.id}/stream`, { timeoutMs: 30_000 });
      assert.deepEqual(outputs(events), chunks(5));
      assert.equal(events.at(-1)!.event, "done");
      // apiA follows the prediction's events on its own: it reaches the same end, a moment later (docs/fleet.md).
      const got = await until("apiA to see the end", async () => {
        const p = await (await fetch(`${apiA.url}/v1/predictions/${created.id}`)).json();
        return p.status === "processing" ? undefined : p;
      });
      assert.equal(got.status, "succeeded");
      assert.notEqual(Number(/pid (\d+)/.exec(got.logs)?.[1]), pid);
      const fresh = await replacement;
      workers.set(fresh.pid, fresh);
    });

    await t.test("a worker killed after streaming output: the prediction fails with `worker lost`", async () => {
      const created = await (await postJson(`${apiA.url}/v1/predictions`, { input: { n: 100_000, delay: 20 } })).json();
      const first = await readEvents(created.urls.stream, { stop: (_e, all) => outputs(all).length >= 3 });
      const pid = await until("an owner", () => ownerPid(created.id));
      workers.get(pid)!.child.kill("SIGKILL");
      workers.delete(pid);
      const replacement = worker();
      const rest = await readEvents(onB(created.urls.stream), { lastEventId: first.at(-1)!.id, timeoutMs: 30_000 });
      assert.equal(rest.at(-1)!.event, "done");
      const error = rest.find((e) => e.event === "error");
      assert.match(error?.data ?? "", /worker lost/);
      const got = await (await fetch(`${apiB.url}/v1/predictions/${created.id}`)).json();
      assert.equal(got.status, "failed");
      assert.match(got.error, /worker lost/);
      const fresh = await replacement;
      workers.set(fresh.pid, fresh);
    });

    await t.test("a worker paused past the reclaim time appends nothing after its job moved", async () => {
      const created = await (await postJson(`${apiA.url}/v1/predictions`, { input: { n: 100_000, delay: 5 } })).json();
      await readEvents(created.urls.stream, { stop: (_e, all) => outputs(all).length >= 3 });
      const pid = await until("an owner", () => ownerPid(created.id));
      const paused = workers.get(pid)!;
      paused.child.kill("SIGSTOP");
      try {
        const got = await until("the job to move", async () => {
          const p = await (await fetch(`${apiB.url}/v1/predictions/${created.id}`)).json();
          return p.status === "failed" ? p : undefined;
        }, 30_000);
        assert.match(got.error, /worker lost/);
      } finally {
        paused.child.kill("SIGCONT");
      }
      // The paused worker had chunks buffered and keeps running for a moment: none of it may land.
      await new Promise((r) => setTimeout(r, 1_000));
      const entries = await client.xRange(`tscog:{${created.id}}:events`, "-", "+");
      assert.equal(entries.at(-1)!.message.t, "done", "the done entry is the last one");
      assert.equal(entries.filter((e) => e.message.t === "done").length, 1);
      // It still answers and takes new jobs.
      assert.equal((await fetch(`${paused.url}/readyz`)).status, 200);
    });

    await t.test("redis-server restarting: 503 while it is down, then recovery with nothing lost", async () => {
      const finished = await (await postJson(`${apiA.url}/v1/predictions`, { input: { n: 3 } }, { prefer: "wait" })).json();
      assert.equal(finished.status, "succeeded");
      // More than the workers' slots: some are still queued when Redis stops.
      const queued = await Promise.all(Array.from({ length: 12 }, async () => (await (await postJson(`${apiA.url}/v1/predictions`, { input: { n: 10, delay: 30 } })).json()).id as string));
      await redis.stop();
      const t0 = Date.now();
      const down = await postJson(`${apiB.url}/v1/predictions`, { input: { n: 1 } });
      assert.equal(down.status, 503);
      assert.match((await down.json()).detail, /unreachable/);
      assert.ok(Date.now() - t0 < 5_000, "answers, does not hang");
      assert.equal((await fetch(`${apiA.url}/readyz`)).status, 503);
      assert.equal((await fetch(`${apiA.url}/livez`)).status, 200);
      await redis.start();
      await until("API A ready", async () => ((await fetch(`${apiA.url}/readyz`)).status === 200 ? true : undefined));
      await until("API B ready", async () => ((await fetch(`${apiB.url}/readyz`)).status === 200 ? true : undefined));
      for (const id of queued) {
        const got = await until(`prediction ${id}`, async () => {
          const p = await (await fetch(`${apiB.url}/v1/predictions/${id}`)).json();
          return p.status === "starting" || p.status === "processing" ? undefined : p;
        }, 30_000);
        assert.equal(got.status, "succeeded", JSON.stringify(got));
        assert.deepEqual(got.output, chunks(10));
      }
      const again = await (await fetch(`${apiB.url}/v1/predictions/${finished.id}`)).json();
      assert.equal(again.status, "succeeded");
      assert.deepEqual(again.output, chunks(3));
    });
  } finally {
    await client.close().catch(() => {});
    await Promise.all(processes.map((p) => p.stop()));
    await redis.remove();
  }
});
