/** The fleet's settings from the environment: TSCOG_QUEUE_URL, TSCOG_ROLE and the TSCOG_QUEUE_* tunables. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fleetSettings, fleetTunablesFromEnv, serveOptionsFromEnv } from "../src/index.js";

test("no TSCOG_QUEUE_URL: the one-process mode", () => {
  assert.equal(serveOptionsFromEnv({}).queue, undefined);
  assert.throws(() => serveOptionsFromEnv({ TSCOG_ROLE: "worker" }), /needs a queue: set TSCOG_QUEUE_URL/);
});

test("TSCOG_QUEUE_URL and TSCOG_ROLE, with the tunables; role defaults to all", () => {
  const env = { TSCOG_QUEUE_URL: "redis://10.0.0.5:6379/2", TSCOG_ROLE: "api", TSCOG_QUEUE_RECLAIM_MS: "5000", TSCOG_QUEUE_MAX_DELIVERIES: "5", TSCOG_QUEUE_RESTART_LOST: "1", TSCOG_QUEUE_FINISHED_TTL: "60" };
  const settings = fleetSettings(serveOptionsFromEnv(env).queue!);
  assert.deepEqual(settings, { url: "redis://10.0.0.5:6379/2", role: "api", reclaimMs: 5000, maxDeliveries: 5, restartLost: true, finishedTtlMs: 60_000, activeTtlMs: 86_400_000 });
  assert.equal(serveOptionsFromEnv({ TSCOG_QUEUE_URL: "redis://r:6379" }).queue!.role, "all");
});

test("bad values say what is allowed", () => {
  assert.throws(() => serveOptionsFromEnv({ TSCOG_QUEUE_URL: "http://r:6379" }), /redis:\/\/HOST:PORT\[\/DB\]/);
  assert.throws(() => serveOptionsFromEnv({ TSCOG_QUEUE_URL: "redis://r:6379", TSCOG_ROLE: "boss" }), /TSCOG_ROLE must be one of api, worker, all/);
  assert.throws(() => fleetTunablesFromEnv({ TSCOG_QUEUE_RECLAIM_MS: "soon" }), /TSCOG_QUEUE_RECLAIM_MS must be a non-negative number/);
});
