/**
 * The predictor thread's heap is sized so the buffers ONNX Runtime returns each
 * token (logits, KV cache) are freed by young collections, not by a full
 * mark-compact every few dozen tokens (predictor/worker-heap.ts). The real
 * server, a real project on the built-in model; the predictor counts the full
 * collections V8 reports in its own thread while it generates.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { makeProject } from "@tscog/runtime/testing";
import { serve } from "../src/index.js";
import { sizeNextWorkerHeap, PREDICTOR_INITIAL_OLD_SPACE_MB } from "../src/predictor/worker-heap.js";
import { postJson } from "./helpers.js";

const MODEL = fileURLToPath(new URL("../../../../templates/tiny-lm/model", import.meta.url));

const COUNTING = `import { constants, PerformanceObserver } from "node:perf_hooks";
import { BasePredictor, Input, TextGenerator, type InputsOf, type PredictContext } from "tscog";
const inputs = { tokens: Input.integer({ default: 1500 }) };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  lm!: TextGenerator;
  async setup() {
    this.lm = await TextGenerator.load(${JSON.stringify(MODEL)});
    await this.lm.generate("warm up", { maxNewTokens: 8, temperature: 0 });
  }
  async predict({ tokens }: InputsOf<typeof inputs>, ctx: PredictContext): Promise<string> {
    let full = 0;
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if ((e.detail as { kind?: number } | undefined)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) full++;
    });
    observer.observe({ entryTypes: ["gc"] });
    let text = "";
    const stream = this.lm.stream("The state of the nation", { maxNewTokens: tokens, temperature: 1, seed: 1 });
    let step;
    while (!(step = await stream.next()).done) text += step.value;
    ctx.recordMetric("tokens", step.value.generatedTokens);
    await new Promise((r) => setTimeout(r, 20));
    observer.disconnect();
    ctx.recordMetric("full_gcs", full);
    return text;
  }
}
`;

test("generating 1,500 tokens in the predictor thread runs few full garbage collections", async () => {
  const server = await serve({ dir: makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\n', "predict.ts": COUNTING }) });
  try {
    await server.ready;
    assert.equal(server.service.health().status, "READY", server.service.health().setup.logs);
    const res = await postJson(`${server.url}/predictions`, { input: { tokens: 1500 } });
    const body = (await res.json()) as { status: string; error?: string; metrics?: { full_gcs?: number; tokens?: number } };
    assert.equal(body.status, "succeeded", body.error);
    assert.ok((body.metrics?.tokens ?? 0) >= 1000, `tokens generated: ${body.metrics?.tokens}`);
    // Measured here: 26 full collections without the sizing, 1 with it.
    assert.ok(typeof body.metrics?.full_gcs === "number" && body.metrics.full_gcs <= 10, `full GCs: ${body.metrics?.full_gcs}`);
  } finally {
    await server.close({ graceMs: 100 });
  }
});

test("the predictor thread's starting old generation stays within its heap limit", () => {
  assert.equal(sizeNextWorkerHeap(), PREDICTOR_INITIAL_OLD_SPACE_MB);
  assert.equal(sizeNextWorkerHeap(4096), PREDICTOR_INITIAL_OLD_SPACE_MB);
  assert.equal(sizeNextWorkerHeap(64), 32, "half of a small limit");
  assert.equal(sizeNextWorkerHeap(1), 1);
});
