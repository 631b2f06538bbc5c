import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { DOWNLOAD_DEFAULTS, resolveOpenAiMapping } from "@tscog/runtime";
import { createApp, InProcessPredictorHost, PredictionService, type RunnerLike } from "@tscog/server";

const REPO = new URL("../../../../", import.meta.url);
const read = (file: string) => readFileSync(new URL(file, REPO), "utf8");

/** Each key of cog.yaml.example (dotted path) with the comment block above it. */
function exampleComments(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const stack: string[] = [];
  let comment: string[] = [];
  for (const line of text.split("\n")) {
    const c = /^\s*#\s?(.*)$/.exec(line);
    if (c) {
      comment.push(c[1]!);
      continue;
    }
    const key = /^( *)([a-z_]+):/.exec(line);
    if (key) {
      const depth = key[1]!.length / 2;
      stack.length = depth;
      stack.push(key[2]!);
      out.set(stack.join("."), comment.join(" "));
    }
    comment = [];
  }
  return out;
}

/** The default a comment states ("Default 64", "(default 16 MiB;", 'Default "tscog".'), as a value; undefined when none. */
function statedDefault(comment: string): unknown {
  const m = /\bdefault:?\s+("[^"]*"|\d[\d_]*(?:\s+MiB)?|true|false|[A-Za-z']+)/i.exec(comment);
  if (!m) return undefined;
  const v = m[1]!;
  if (v.startsWith('"')) return JSON.parse(v);
  if (v === "true" || v === "false") return v === "true";
  const n = /^(\d[\d_]*)(\s+MiB)?$/.exec(v);
  if (n) return Number(n[1]!.replace(/_/g, "")) * (n[2] ? 1024 * 1024 : 1);
  return `(described: ${v})`;
}

/** A predictor that runs until its signal fires; setup() runs until `setupDone` resolves. */
function blockingHost(setupDone: Promise<void> = Promise.resolve()) {
  const runner: RunnerLike = {
    setup: () => setupDone,
    async *predict(_input, { signal }) {
      await new Promise<void>((resolve) => signal?.addEventListener("abort", () => resolve(), { once: true }));
    },
  } as RunnerLike;
  const openapi = { components: { schemas: { Input: { type: "object", properties: {} } } } };
  return new InProcessPredictorHost(() => ({ openapi, outputKind: "value", runner }));
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

/** Seconds after which a fake-timed service's setup fails: the first whole second at which health says SETUP_FAILED. */
async function setupTimeoutSeconds(t: TestContext, stated: number): Promise<boolean> {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const service = new PredictionService({ host: blockingHost(new Promise(() => {})) });
  void service.start();
  await settle();
  t.mock.timers.tick(stated * 1000 - 1);
  await settle();
  const before = service.health().status;
  t.mock.timers.tick(1);
  await settle();
  const after = service.health().status;
  t.mock.timers.reset();
  return before === "STARTING" && after === "SETUP_FAILED";
}

/** True when a prediction on a fake-timed service fails with TIMEOUT exactly after `stated` seconds. */
async function predictionTimesOutAfter(t: TestContext, stated: number): Promise<boolean> {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const service = new PredictionService({ host: blockingHost() });
  await service.start();
  const prediction = service.create({ input: {} });
  await settle();
  t.mock.timers.tick(stated * 1000 - 1);
  await settle();
  const before = prediction.status;
  t.mock.timers.tick(1);
  for (let i = 0; i < 5 && prediction.status === before; i++) await settle();
  const after = prediction.status;
  t.mock.timers.reset();
  await service.shutdown({ graceMs: 0 }).catch(() => {});
  return before === "processing" && after === "failed";
}

/** How many predictions wait in the default queue while one runs (the next one is refused with QUEUE_FULL). */
async function defaultQueueMax(): Promise<number> {
  const service = new PredictionService({ host: blockingHost() });
  await service.start();
  service.create({ input: {} });
  let waiting = 0;
  try {
    for (; waiting < 10_000; waiting++) service.create({ input: {}, queue: true });
  } catch (err) {
    assert.equal((err as { code?: string }).code, "QUEUE_FULL");
  }
  await service.shutdown({ graceMs: 0 }).catch(() => {});
  return waiting;
}

/** How many predictions run at once by default (the next one on Cog's routes is refused with CONFLICT). */
async function defaultConcurrency(): Promise<number> {
  const service = new PredictionService({ host: blockingHost() });
  await service.start();
  let running = 0;
  try {
    for (; running < 1000; running++) service.create({ input: {} });
  } catch (err) {
    assert.equal((err as { code?: string }).code, "CONFLICT");
  }
  await service.shutdown({ graceMs: 0 }).catch(() => {});
  return running;
}

/**
 * Every default cog.yaml.example states, and how to read the code's own. A new
 * "Default N" in the example fails the test until it is listed here.
 */
const CODE_DEFAULTS: Record<string, (t: TestContext, stated: unknown) => Promise<unknown> | unknown> = {
  "build.gpu": () => false, // `--gpu` ?? build.gpu ?? false (build.ts); the engine runs on CPU unless TSCOG_GPU
  "build.cpu_fallback": () => false,
  "build.base_image": (_t, stated) => stated, // descriptive ("a minimal base assembled offline")
  concurrency: () => defaultConcurrency(), // stated above `concurrency:` ("Default 1")
  "concurrency.queue_max": () => defaultQueueMax(),
  "server.cors_origins": (_t, stated) => stated, // descriptive ("none")
  "server.max_body_bytes": () => createApp({ service: new PredictionService({ host: blockingHost() }) }).maxBodyBytes,
  "server.prediction_timeout": async (t, stated) => ((await predictionTimesOutAfter(t, stated as number)) ? stated : "a different timeout"),
  "server.setup_timeout": async (t, stated) => ((await setupTimeoutSeconds(t, stated as number)) ? stated : "a different timeout"),
  "server.public_url": (_t, stated) => stated, // descriptive (the request's scheme and Host)
  "server.worker_memory_mb": (_t, stated) => stated, // descriptive (Node's)
  "server.allow_private_urls": () => false,
  "server.max_download_bytes": () => DOWNLOAD_DEFAULTS.maxBytes,
  "server.download_timeout": () => DOWNLOAD_DEFAULTS.timeoutMs / 1000,
  "server.webhook_allowed_hosts": (_t, stated) => stated, // descriptive ("none")
  "openai.model": (_t, stated) => stated, // descriptive (the image name)
  "openai.owned_by": () => resolveOpenAiMapping({ openai: {} }, { properties: { prompt: { type: "string" } } }, { projectDir: "/m" })!.ownedBy,
};

test("every default cog.yaml.example states is the code's default", async (t) => {
  const comments = exampleComments(read("cog.yaml.example"));
  const stated = [...comments].map(([key, comment]) => [key, statedDefault(comment)] as const).filter(([, v]) => v !== undefined);
  assert.ok(stated.length >= 10, `found the example's defaults: ${stated.map(([k]) => k).join(", ")}`);
  for (const [key, value] of stated) {
    const code = CODE_DEFAULTS[key];
    assert.ok(code, `cog.yaml.example states a default for ${key} (${String(value)}); add how to read the code's default to CODE_DEFAULTS`);
    assert.deepEqual(await code(t, value), value, `${key}: cog.yaml.example says the default is ${String(value)}`);
  }
});

test("the README and docs state the same limits as the code", async () => {
  const mib = (bytes: number) => `${bytes / 1024 / 1024} MiB`;
  const body = mib(createApp({ service: new PredictionService({ host: blockingHost() }) }).maxBodyBytes);
  const queue = String(await defaultQueueMax());
  const download = mib(DOWNLOAD_DEFAULTS.maxBytes);
  const readme = read("README.md");
  assert.match(readme, new RegExp(`bodies ${body}`), "README: request body limit");
  assert.match(readme, new RegExp(`a queue of\\s+${queue}`), "README: queue length");
  assert.match(readme, new RegExp(`concurrency.queue_max\` \\(default ${queue};`), "README: queue_max default");
  assert.match(readme, new RegExp(`size cap \\(${download}`), "README: download size");
  assert.match(readme, new RegExp(`timeout \\(${DOWNLOAD_DEFAULTS.timeoutMs / 1000} s\\)`), "README: download timeout");
  const security = read("docs/security.md");
  assert.match(security, new RegExp(`\\| request body \\| ${body} \\(413\\)`), "docs/security.md: request body");
  assert.match(security, new RegExp(`\\| predictions waiting \\(Replicate routes\\) \\| ${queue},`), "docs/security.md: queue");
  assert.match(security, new RegExp(`\\| download size and time \\| ${download}, streamed to disk; ${DOWNLOAD_DEFAULTS.timeoutMs / 1000} s`), "docs/security.md: downloads");
  assert.match(read("packages/server/README.md"), new RegExp(`Bodies over ${body}`), "packages/server/README.md: request body");
  // The timeouts, in minutes, from the example (whose values the test above checks against the code).
  const comments = exampleComments(read("cog.yaml.example"));
  const minutes = (key: string) => `${(statedDefault(comments.get(key)!) as number) / 60} min`;
  assert.match(readme, new RegExp(`predictions ${minutes("server.prediction_timeout")}, \`setup\\(\\)\` ${minutes("server.setup_timeout")}`), "README: timeouts");
  assert.match(security, new RegExp(`\\| one prediction \\| ${minutes("server.prediction_timeout")}, then`), "docs/security.md: prediction timeout");
  assert.match(security, new RegExp(`\\| \`setup\\(\\)\` \\| ${minutes("server.setup_timeout")}, then`), "docs/security.md: setup timeout");
});
