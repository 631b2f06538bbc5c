import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PredictorError } from "@tscog/sdk";
import { loadPredictor, loadProject } from "../src/index.js";
import { makeProject } from "../src/testing.js";

const COG = 'predict: "predict.ts:Predictor"\n';

async function load(predict: string) {
  const dir = makeProject({ "cog.yaml": COG, "predict.ts": predict });
  return { dir, loaded: await loadPredictor(await loadProject(dir)) };
}

async function collect(gen: AsyncGenerator<unknown, unknown>) {
  const chunks: unknown[] = [];
  let step = await gen.next();
  while (!step.done) {
    chunks.push(step.value);
    step = await gen.next();
  }
  return { chunks, value: step.value };
}

const STREAMING = `import { BasePredictor, Input, type ConcatenateIterator, type InputsOf, type PredictContext } from "tscog";
const inputs = { n: Input.integer({ default: 3, ge: 0 }), key: Input.secret({ optional: true }) };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  cleanedUp = false;
  async setup() { console.log("loading"); }
  async *predict({ n, key }: InputsOf<typeof inputs>, { signal }: PredictContext): ConcatenateIterator<string> {
    console.log("using", key, key?.value);
    try {
      for (let i = 0; i < n; i++) { yield "tok" + i + " "; await new Promise((r) => setTimeout(r, 5)); }
    } finally { (globalThis as any).__cleanedUp = signal.aborted ? "aborted" : "done"; }
  }
}
`;

test("a streaming predictor: schema, setup logs, chunks, log capture and secret redaction", async () => {
  const { loaded } = await load(STREAMING);
  assert.equal(loaded.outputKind, "concatenate");
  assert.equal((loaded.openapi.components.schemas.Output as any)["x-cog-array-display"], "concatenate");
  const setupLogs: string[] = [];
  await loaded.runner.setup({ onLog: (t) => setupLogs.push(t) });
  assert.deepEqual(setupLogs, ["loading\n"]);
  const logs: string[] = [];
  const { chunks } = await collect(loaded.runner.predict({ n: 3, key: "hunter2" }, { onLog: (t) => logs.push(t) }));
  assert.deepEqual(chunks, ["tok0 ", "tok1 ", "tok2 "]);
  assert.deepEqual(logs, ["using Secret(**********) **********\n"]);
  assert.equal((globalThis as any).__cleanedUp, "done");
});

test("abort stops the generator within one chunk, fires its signal and runs its finally", async () => {
  const { loaded } = await load(STREAMING);
  const controller = new AbortController();
  const gen = loaded.runner.predict({ n: 1000 }, { signal: controller.signal });
  const seen: unknown[] = [];
  await assert.rejects(
    (async () => {
      for await (const chunk of gen) {
        seen.push(chunk);
        if (seen.length === 2) controller.abort();
      }
    })(),
    (err: any) => err instanceof PredictorError && err.code === "CANCELED",
  );
  assert.ok(seen.length <= 3, `stopped after ${seen.length} chunks`);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal((globalThis as any).__cleanedUp, "aborted");
});

test("overlapping predictions each get their own logs, also from async continuations", async () => {
  const { loaded } = await load(`import { BasePredictor, Input, type ConcatenateIterator, type InputsOf } from "tscog";
const inputs = { name: Input.string(), ms: Input.integer() };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async *predict({ name, ms }: InputsOf<typeof inputs>): ConcatenateIterator<string> {
    for (let i = 0; i < 3; i++) {
      console.log(name, i);
      await new Promise((r) => setTimeout(r, ms));
      setTimeout(() => console.info(name, "timer", i), 0);
      yield name;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
`);
  const logs: Record<string, string[]> = { a: [], b: [] };
  const run = (name: string, ms: number) => collect(loaded.runner.predict({ name, ms }, { onLog: (t) => logs[name].push(t) }));
  await Promise.all([run("a", 3), run("b", 2)]);
  for (const name of ["a", "b"]) {
    assert.deepEqual(logs[name].filter((l) => !l.includes("timer")), [0, 1, 2].map((i) => `${name} ${i}\n`));
    assert.equal(logs[name].filter((l) => l.startsWith(`${name} timer`)).length, 3, logs[name].join(""));
  }
  // One at a time again afterwards.
  logs.a = [];
  await run("a", 1);
  assert.equal(logs.a.filter((l) => !l.includes("timer")).length, 3);
});

test("abort ends a prediction whose predictor is stuck in a step", async () => {
  const { loaded } = await load(`import { BasePredictor, type ConcatenateIterator } from "tscog";
export class Predictor extends BasePredictor {
  async *predict(): ConcatenateIterator<string> {
    yield "first";
    await new Promise(() => {});
  }
}
`);
  const controller = new AbortController();
  const gen = loaded.runner.predict({}, { signal: controller.signal });
  assert.deepEqual(await gen.next(), { done: false, value: "first" });
  const stuck = gen.next();
  setTimeout(() => controller.abort(), 10);
  await assert.rejects(stuck, (err: any) => err instanceof PredictorError && err.code === "CANCELED");
});

test("invalid input is rejected before predict runs", async () => {
  const { loaded } = await load(STREAMING);
  await assert.rejects(collect(loaded.runner.predict({ n: -1 })), (err: any) => err.code === "INVALID_INPUT" && /"n" must be greater/.test(err.message));
});

test("plain values, Path inputs from local files and data: URIs", async () => {
  const { dir, loaded } = await load(`import { BasePredictor, Input, type InputsOf } from "tscog";
import { readFile } from "node:fs/promises";
const inputs = { file: Input.path() };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ file }: InputsOf<typeof inputs>): Promise<string> { return (await readFile(file, "utf8")).toUpperCase(); }
}`);
  assert.equal(loaded.outputKind, "value");
  writeFileSync(join(dir, "in.txt"), "abc");
  assert.equal((await collect(loaded.runner.predict({ file: join(dir, "in.txt") }))).value, "ABC");
  const dataUri = `data:text/plain;base64,${Buffer.from("xyz").toString("base64")}`;
  assert.equal((await collect(loaded.runner.predict({ file: dataUri }, { files: "remote" }))).value, "XYZ");
  await assert.rejects(collect(loaded.runner.predict({ file: join(dir, "in.txt") }, { files: "remote" })), /must be a data: URI or an http\(s\) URL/);
  await assert.rejects(collect(loaded.runner.predict({ file: join(dir, "missing.txt") })), /missing\.txt does not exist/);
});

test("errors in the author's code name their file and line", async () => {
  const { dir, loaded } = await load(`import { BasePredictor } from "tscog";
export class Predictor extends BasePredictor {
  async predict(): Promise<string> {
    const x = 1;
    throw new Error("kaboom " + x);
  }
}`);
  await assert.rejects(collect(loaded.runner.predict({})), (err: any) => {
    assert.equal(err.code, "PREDICTION_FAILED");
    assert.equal(err.file, join(dir, "predict.ts"));
    assert.equal(err.line, 5);
    assert.match(err.message, /predict\.ts:5:\d+: predict\(\) failed: kaboom 1/);
    return true;
  });
});

test("setup() that throws is SETUP_FAILED with the location", async () => {
  const { loaded } = await load(`import { BasePredictor } from "tscog";
export class Predictor extends BasePredictor {
  async setup() {
    throw new Error("no weights");
  }
  predict() { return 1; }
}`);
  await assert.rejects(loaded.runner.setup(), (err: any) => err.code === "SETUP_FAILED" && err.line === 4 && /no weights/.test(err.message));
});

test("compile errors point at file, line and column", async () => {
  await assert.rejects(load(`import { BasePredictor } from "tscog";\nexport class Predictor extends BasePredictor {\n  predict() { return 1 +; }\n}\n`), (err: any) => {
    assert.equal(err.code, "PREDICTOR_LOAD");
    assert.equal(err.line, 3);
    assert.match(err.message, /predict\.ts:3:\d+: Unexpected ";"/);
    return true;
  });
});

test("a missing class lists the predictor classes the file exports", async () => {
  await assert.rejects(
    load(`import { BasePredictor } from "tscog";\nexport class Other extends BasePredictor { predict() { return 1; } }\n`),
    /predict\.ts does not export "Predictor"\. Predictor classes it exports: Other; set predict: "predict\.ts:Other"/,
  );
});

test("a missing package is named with how to install it", async () => {
  await assert.rejects(load(`import "left-padz";\nexport class Predictor { predict() { return 1; } }\n`), /Cannot find package "left-padz"\. Install it in the project \(npm install left-padz\)/);
});

test("bundles are written outside the project", async () => {
  const { dir } = await load(`export class Predictor { predict() { return 1; } }`);
  assert.equal(existsSync(join(dir, ".tscog")), false);
});

test("import.meta.url in the author's file points next to predict.ts, not at the bundle", async () => {
  const { dir, loaded } = await load(`import { BasePredictor } from "tscog";
export class Predictor extends BasePredictor {
  async predict(): Promise<string> { return new URL("./model/", import.meta.url).pathname + "|" + import.meta.dirname; }
}`);
  const { value } = await collect(loaded.runner.predict({}));
  assert.equal(value, `${join(dir, "model")}/|${dir}`);
});

test("ctx.recordMetric reaches onMetric; a bad metric fails the prediction naming the author's line", async () => {
  const { loaded } = await load(`import { BasePredictor, Input, type InputsOf, type PredictContext } from "tscog";
const inputs = { bad: Input.boolean({ default: false }) };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ bad }: InputsOf<typeof inputs>, ctx: PredictContext): Promise<string> {
    ctx.recordMetric("tokens", 3);
    if (bad) ctx.recordMetric("ratio", Number.NaN);
    return "ok";
  }
}
`);
  const metrics: [string, unknown][] = [];
  const { value } = await collect(loaded.runner.predict({}, { onMetric: (name, v) => metrics.push([name, v]) }));
  assert.equal(value, "ok");
  assert.deepEqual(metrics, [["tokens", 3]]);
  await assert.rejects(collect(loaded.runner.predict({ bad: true }, {})), (err: PredictorError) => {
    assert.equal(err.code, "PREDICTION_FAILED");
    assert.match(err.message, /predict\.ts:7:\d+: .*recordMetric\("ratio"\): the value must be a finite number/);
    return true;
  });
});

test("an output interface imported from ./types.js reaches the OpenAPI Output; export default class works by name and as default", async () => {
  const types = `import type { Path } from "tscog";\nexport interface Caption { text: string; confidence?: number; style: "short" | "long"; image: Path }\n`;
  const predict = `import { BasePredictor } from "tscog";
import type { Caption } from "./types.js";
export default class Predictor extends BasePredictor {
  async predict(): Promise<Caption[]> { return [{ text: "a cat", style: "short", image: "x.png" }]; }
}
`;
  const expected = {
    title: "Output",
    type: "array",
    items: {
      type: "object",
      properties: {
        text: { title: "Text", type: "string" },
        confidence: { title: "Confidence", type: "number" },
        style: { title: "Style", type: "string", enum: ["short", "long"] },
        image: { title: "Image", type: "string", format: "uri" },
      },
      required: ["text", "style", "image"],
    },
  };
  for (const ref of ["predict.ts:Predictor", "predict.ts:default"]) {
    const dir = makeProject({ "cog.yaml": `predict: "${ref}"\n`, "predict.ts": predict, "types.ts": types });
    const loaded = await loadPredictor(await loadProject(dir));
    assert.deepEqual(loaded.openapi.components.schemas.Output, expected, ref);
    const { value } = await collect(loaded.runner.predict({}));
    assert.deepEqual(value, [{ text: "a cat", style: "short", image: "x.png" }]);
  }
});

test("an output type that cannot be described fails the load with INVALID_DECLARATION at the author's line", async () => {
  await assert.rejects(
    load(`import { BasePredictor } from "tscog";\nimport type { Thing } from "node:stream";\nexport class Predictor extends BasePredictor {\n  async predict(): Promise<Thing> { return null as any; }\n}\n`),
    (err: any) => {
      assert.equal(err.code, "INVALID_DECLARATION");
      assert.equal(err.line, 4);
      assert.match(err.message, /^predict\.ts:4:\d+: the output type of Predictor\.predict\(\) uses the type Thing, imported from "node:stream"/);
      return true;
    },
  );
});

test("a Path input's default is the predictor's own file: used over HTTP (remote callers) when the input is left out, while a caller's local path is refused", async () => {
  const { dir, loaded } = await load(`import { BasePredictor, Input, type InputsOf } from "tscog";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
const inputs = { file: Input.path({ default: join(import.meta.dirname ?? ".", "example.txt") }) };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ file }: InputsOf<typeof inputs>): Promise<string> { return (await readFile(file, "utf8")).toUpperCase(); }
}`);
  writeFileSync(join(dir, "example.txt"), "default file");
  writeFileSync(join(dir, "other.txt"), "caller's file");
  for (const input of [{}, { file: null }]) assert.equal((await collect(loaded.runner.predict(input, { files: "remote" }))).value, "DEFAULT FILE");
  await assert.rejects(collect(loaded.runner.predict({ file: join(dir, "other.txt") }, { files: "remote" })), /must be a data: URI or an http\(s\) URL/);
});
