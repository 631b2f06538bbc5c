import { randomUUID } from "node:crypto";
import { Secret, type JsonSchema } from "@tscog/sdk";
import { loadPredictor, loadProject, projectEnvironment } from "@tscog/runtime";
import { parseCliInputs, parseJsonInput } from "../cli-inputs.js";
import { parseEnvFlags } from "../env-flags.js";
import { createOutputPrinter } from "../output-printer.js";
import type { PredictFlags } from "../predict-options.js";
import { outputFormat, setupTimeoutMs, withTimeout } from "../predict-settings.js";

// The implementation of `tscog predict` (without --image), loaded only when it runs.

function masked(input: Record<string, unknown>, schema: JsonSchema): Record<string, unknown> {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  return Object.fromEntries(
    Object.entries(input).map(([k, v]) => [k, props[k]?.["x-cog-secret"] || v instanceof Secret ? "**********" : v]),
  );
}

/** When setup() outlives its time limit it cannot be stopped: exit once the error is printed. */
function exitSoon(): void {
  setTimeout(() => process.exit(), 200).unref();
}

/** `tscog predict` without `--image`: runs the predictor in this process. */
export async function predictLocally(flags: PredictFlags): Promise<number> {
  const env = parseEnvFlags(flags.env);
  const project = await loadProject(flags.project);
  Object.assign(process.env, projectEnvironment(project.config), env);
  const setupMs = setupTimeoutMs(flags, project.config.server?.setup_timeout ?? 600);
  const loaded = await loadPredictor(project);
  const schemas = loaded.openapi.components.schemas;
  const base = flags.json ? parseJsonInput(flags.json) : {};
  const input = parseCliInputs(flags.input, schemas, base);
  loaded.runner.validate(input);
  const format = outputFormat(flags);
  const printer = createOutputPrinter({ kind: loaded.outputKind, schema: schemas.Output ?? {}, target: flags.output, format });
  await printer.prepare();

  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on("SIGINT", onSigint);
  const logs: string[] = [];
  const onLog = (text: string) => {
    logs.push(text);
    process.stderr.write(text);
  };
  const createdAt = new Date();
  try {
    const setup = loaded.runner.setup({ onLog, weights: project.config.weights });
    await withTimeout(setup, setupMs, `setup() did not finish within ${(setupMs ?? 0) / 1000} s.`).catch((err) => {
      if ((err as { code?: string }).code === "TIMEOUT") exitSoon();
      throw err;
    });
    const startedAt = new Date();
    const chunks: unknown[] = [];
    const metrics: Record<string, unknown> = {};
    const onMetric = (name: string, value: unknown) => (metrics[name] = value);
    // Local and trusted: URLs may point at private addresses, as with curl; size and time limits from cog.yaml.
    const server = project.config.server;
    const downloads = {
      allowPrivateUrls: true,
      maxBytes: server?.max_download_bytes,
      timeoutMs: server?.download_timeout === undefined ? undefined : server.download_timeout * 1000,
    };
    const run = loaded.runner.predict(input, { id: randomUUID(), signal: controller.signal, onLog, onMetric, files: "local", downloads });
    let step = await run.next();
    while (!step.done) {
      chunks.push(step.value);
      await printer.chunk(step.value);
      step = await run.next();
    }
    const output = await printer.finish(loaded.outputKind === "value" ? step.value : chunks);
    if (format === "json") {
      const completedAt = new Date();
      const prediction = {
        id: randomUUID(),
        input: masked(input, schemas.Input ?? {}),
        output,
        logs: logs.join(""),
        error: null,
        status: "succeeded",
        created_at: createdAt.toISOString(),
        started_at: startedAt.toISOString(),
        completed_at: completedAt.toISOString(),
        metrics: { ...metrics, predict_time: (completedAt.getTime() - startedAt.getTime()) / 1000 },
      };
      process.stdout.write(`${JSON.stringify(prediction, null, 2)}\n`);
    }
    return 0;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

