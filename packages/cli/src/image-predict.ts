import { randomUUID } from "node:crypto";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { InputError, PredictorError, TscogError, type ErrorDetail, type JsonSchema } from "@tscog/sdk";
import { fileToDataUri, mapFileInputs, type OutputKind } from "@tscog/runtime";
import { parseCliInputs, parseJsonInput } from "./cli-inputs.js";
import { startImage } from "./image-container.js";
import { parseEnvFlags } from "./env-flags.js";
import { checkOutputPath } from "./file-outputs.js";
import { createOutputPrinter } from "./output-printer.js";
import type { PredictFlags } from "./predict-options.js";
import { outputFormat, setupTimeoutMs } from "./predict-settings.js";

function outputKind(schema: JsonSchema): OutputKind {
  if (schema["x-cog-array-display"] === "concatenate") return "concatenate";
  return schema["x-cog-array-type"] === "iterator" ? "iterator" : "value";
}

async function requestError(res: Response): Promise<TscogError> {
  const body = (await res.json().catch(() => ({}))) as { detail?: string | ErrorDetail[] };
  if (res.status === 422 && Array.isArray(body.detail)) {
    const lines = body.detail.map((d) => `input "${d.loc.slice(2).join(".")}" ${d.msg}`);
    return new InputError(`Invalid input: ${lines.join("; ")}.`, { details: body.detail });
  }
  return new TscogError("BAD_REQUEST", `The container answered HTTP ${res.status}: ${typeof body.detail === "string" ? body.detail : JSON.stringify(body)}`);
}

/**
 * `tscog predict --image REF`: runs the image in the local Docker engine,
 * streams one prediction over SSE to stdout, and removes the container.
 */
export async function predictInImage(flags: PredictFlags): Promise<number> {
  const env = parseEnvFlags(flags.env);
  const setupMs = setupTimeoutMs(flags, undefined);
  // The container's own server enforces the limit too, and reports SETUP_FAILED when it passes.
  if (setupMs !== undefined) env.TSCOG_SETUP_TIMEOUT = String(setupMs / 1000);
  const format = outputFormat(flags);
  if (flags.output) await checkOutputPath(flags.output, "-o");
  const container = await startImage(flags.image!, { env, timeoutMs: setupMs === 0 ? Infinity : setupMs });
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on("SIGINT", onSigint);
  try {
    // What setup() printed in the container, as a local `tscog predict` shows it.
    const health = (await (await fetch(`${container.url}/health-check`)).json()) as { setup?: { logs?: string } };
    if (health.setup?.logs) process.stderr.write(health.setup.logs.endsWith("\n") ? health.setup.logs : `${health.setup.logs}\n`);
    const openapi = (await (await fetch(`${container.url}/openapi.json`)).json()) as { components: { schemas: Record<string, JsonSchema> } };
    const schemas = openapi.components.schemas;
    const input = parseCliInputs(flags.input, schemas, flags.json ? parseJsonInput(flags.json) : {});
    // Local files given for `Path` inputs travel to the container as data: URIs.
    await mapFileInputs(input, (schemas.Input?.properties ?? {}) as Record<string, JsonSchema>, async (v) =>
      /^(data|https?):/.test(v) ? v : fileToDataUri(v),
    );
    const kind = outputKind(schemas.Output ?? {});
    const res = await fetch(`${container.url}/predictions`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ id: randomUUID(), input }),
      signal: controller.signal,
    });
    if (!res.ok || !res.body) throw await requestError(res);
    const printer = createOutputPrinter({ kind, schema: schemas.Output ?? {}, target: flags.output, format });
    let prediction: Record<string, any> | undefined;
    const events = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
    for await (const event of events) {
      const data = JSON.parse(event.data);
      if (event.event === "output") await printer.chunk(data.chunk);
      else if (event.event === "log") process.stderr.write(data.data ?? "");
      else if (event.event === "completed") prediction = data;
    }
    if (!prediction) throw new TscogError("PREDICTION_FAILED", "The container closed the stream before the prediction completed.");
    if (prediction.status === "failed") throw new PredictorError("PREDICTION_FAILED", `The prediction failed: ${prediction.error}`);
    if (prediction.status === "canceled") throw new PredictorError("CANCELED", "The prediction was canceled.");
    const output = await printer.finish(kind === "value" ? prediction.output : prediction.output ?? []);
    if (format === "json") process.stdout.write(`${JSON.stringify({ ...prediction, output }, null, 2)}\n`);
    return 0;
  } catch (err: any) {
    if (controller.signal.aborted) throw new PredictorError("CANCELED", "The prediction was canceled.");
    throw err;
  } finally {
    process.off("SIGINT", onSigint);
    await container.stop();
  }
}
