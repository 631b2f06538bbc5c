/**
 * The fleet's decisions in Redis, against a real redis-server: claims (run,
 * re-run before output, `worker lost` or restart after output, dead-letter,
 * canceled), fenced appends (a worker that lost its job appends nothing) and
 * cancel from any replica.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { needComponent } from "@tscog/runtime/testing";
import { APPEND_SCRIPT, CANCEL_SCRIPT, CLAIM_SCRIPT, CREATE_SCRIPT } from "../src/fleet/fleet-scripts.js";
import { predictionKeys } from "../src/fleet/fleet-keys.js";
import { deadLettered, RESTART_MARKER, WORKER_LOST } from "../src/fleet/prediction-codec.js";
import { PredictionWriter } from "../src/fleet/prediction-writer.js";
import { fieldsOf, RedisConnection, type Reply } from "../src/fleet/redis-connection.js";
import { hasRedisServer, RedisServer } from "./fleet-harness.js";
import { until } from "./helpers.js";

const available = hasRedisServer();
const redis = new RedisServer();
let conn: RedisConnection;
let n = 0;

before(async () => {
  if (!available) return;
  await redis.start();
  conn = new RedisConnection(redis.url);
  conn.connect();
  await until("redis", () => (conn.up ? true : undefined));
});
after(async () => {
  await conn?.close();
  await redis.remove();
});

async function created(): Promise<{ id: string; keys: ReturnType<typeof predictionKeys> }> {
  const id = `p${++n}`;
  const keys = predictionKeys(id);
  assert.equal(await conn.script(CREATE_SCRIPT, [keys.meta, keys.events, keys.notify], [JSON.stringify({ input: {} }), Date.now(), 60_000]), 1);
  return { id, keys };
}

function claim(keys: ReturnType<typeof predictionKeys>, owner: string, options: { restartLost?: boolean; maxDeliveries?: number } = {}): Promise<Reply> {
  return conn.script(CLAIM_SCRIPT, [keys.meta, keys.events, keys.notify], [
    owner, options.maxDeliveries ?? 3, options.restartLost ? 1 : 0, Date.now(), 60_000, 60_000,
    JSON.stringify(WORKER_LOST), JSON.stringify(deadLettered(3)), JSON.stringify(RESTART_MARKER),
  ]);
}

function writer(keys: ReturnType<typeof predictionKeys>, owner: string, onFenced = () => {}): PredictionWriter {
  return new PredictionWriter({ conn, keys, owner, ttl: { activeMs: 60_000, finishedMs: 60_000 }, onFenced });
}

async function entries(keys: ReturnType<typeof predictionKeys>): Promise<Array<{ t: string; d: string }>> {
  const reply = (await conn.call(["XRANGE", keys.events, "-", "+"])) as Array<[string, Reply]>;
  return reply.map(([, f]) => fieldsOf(f) as { t: string; d: string });
}

const settle = () => new Promise((r) => setTimeout(r, 100));

test("a second create with the same id is refused (CONFLICT upstream)", async (t) => {
  if (!needComponent(t, available, "redis-server is not installed")) return;
  const { keys } = await created();
  assert.equal(await conn.script(CREATE_SCRIPT, [keys.meta, keys.events, keys.notify], ["{}", Date.now(), 60_000]), 0);
});

test("a job reclaimed before any output is re-run; the lost worker's later writes are fenced off", async (t) => {
  if (!needComponent(t, available, "redis-server is not installed")) return;
  const { keys } = await created();
  assert.equal(await claim(keys, "a"), "run");
  const a = writer(keys, "a");
  a.start();
  await settle();
  assert.equal(await claim(keys, "b"), "run");
  let fenced = false;
  const late = writer(keys, "a", () => (fenced = true));
  late.events({ text: "stale", ends: [5] });
  await until("the late write to be fenced off", () => (fenced ? true : undefined), 3_000);
  const b = writer(keys, "b");
  b.start();
  b.events({ text: "0 1 ", ends: [2, 4] });
  b.finish({ status: "succeeded" });
  await b.finished;
  assert.deepEqual((await entries(keys)).map((e) => e.t), ["start", "start", "ev", "done"]);
  assert.doesNotMatch(JSON.stringify(await entries(keys)), /stale/);
});

test("a job reclaimed after output fails with `worker lost`, or restarts after a marker when allowed", async (t) => {
  if (!needComponent(t, available, "redis-server is not installed")) return;
  const lost = await created();
  await claim(lost.keys, "a");
  const a = writer(lost.keys, "a");
  a.events({ text: "0 ", ends: [2] });
  await settle();
  assert.equal(await claim(lost.keys, "b"), "lost");
  const last = (await entries(lost.keys)).at(-1)!;
  assert.equal(last.t, "done");
  assert.match(last.d, /worker lost/);
  a.events({ text: "1 ", ends: [2] });
  await settle();
  assert.equal((await entries(lost.keys)).at(-1)!.t, "done", "nothing after done");

  const restarted = await created();
  await claim(restarted.keys, "a");
  writer(restarted.keys, "a").events({ text: "0 ", ends: [2] });
  await settle();
  assert.equal(await claim(restarted.keys, "b", { restartLost: true }), "run");
  const kinds = (await entries(restarted.keys)).map((e) => e.t);
  assert.deepEqual(kinds, ["ev", "mark"]);
});

test("a job delivered too many times is dead-lettered as failed", async (t) => {
  if (!needComponent(t, available, "redis-server is not installed")) return;
  const { keys } = await created();
  for (const owner of ["a", "b", "c"]) assert.equal(await claim(keys, owner), "run");
  assert.equal(await claim(keys, "d"), "dead");
  assert.match((await entries(keys)).at(-1)!.d, /dead-letter/);
});

test("cancel: a waiting prediction ends at once; a running one is flagged for its worker", async (t) => {
  if (!needComponent(t, available, "redis-server is not installed")) return;
  const waiting = await created();
  assert.equal(await conn.script(CANCEL_SCRIPT, [waiting.keys.meta, waiting.keys.events, waiting.keys.notify], [Date.now(), 60_000]), "canceled");
  assert.equal(await claim(waiting.keys, "a"), "done", "a worker skips it");
  const running = await created();
  await claim(running.keys, "a");
  assert.equal(await conn.script(CANCEL_SCRIPT, [running.keys.meta, running.keys.events, running.keys.notify], [Date.now(), 60_000]), "running");
  assert.equal(fieldsOf(await conn.call(["HGETALL", running.keys.meta])).cancel, "1");
  // Its worker died: whoever reclaims it ends it as canceled instead of running it again.
  assert.equal(await claim(running.keys, "b"), "canceled");
});

test("every key of a prediction expires", async (t) => {
  if (!needComponent(t, available, "redis-server is not installed")) return;
  const { keys } = await created();
  await claim(keys, "a");
  const w = writer(keys, "a");
  w.start();
  w.finish({ status: "succeeded" });
  await w.finished;
  for (const key of [keys.meta, keys.events]) {
    const ttl = (await conn.call(["PTTL", key])) as number;
    assert.ok(ttl > 0 && ttl <= 60_000, `${key} expires (${ttl})`);
  }
});

test("an append retried after its reply was lost (Redis went away) is applied once", async (t) => {
  if (!needComponent(t, available, "redis-server is not installed")) return;
  const { keys } = await created();
  await claim(keys, "w1");
  const append = (seq: number) => conn.script(APPEND_SCRIPT, [keys.meta, keys.events, keys.notify], ["w1", "ev", Date.now(), JSON.stringify([{ o: ["x"] }]), 60_000, "", seq]);
  assert.equal(typeof (await append(1)), "string");
  assert.equal(await append(1), "dup");
  assert.notEqual(await append(2), "dup");
  assert.equal((await entries(keys)).filter((e) => e.t === "ev").length, 2);
});
