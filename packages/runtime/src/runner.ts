import { randomUUID } from "node:crypto";
import { PredictorError, Secret, takeAbortController, type InputValidator, type JsonSchema, type PredictContext, type PredictorClass } from "@tscog/sdk";
import { holdsFiles, InputFiles, mapFileInputs, type FileSource } from "./files.js";
import { openLogCapture, withLogCapture, type LogSink } from "./log-capture.js";
import { authorLocation } from "./stack.js";

export interface PredictOptions {
  id?: string;
  signal?: AbortSignal;
  /** Receives what the predictor prints with `console`. */
  onLog?: LogSink;
  /** Receives the metrics the predictor records with `ctx.recordMetric`. */
  onMetric?: (name: string, value: number | string | boolean) => void;
  /** Where `Path` inputs may come from; `local` by default. */
  files?: FileSource;
}

/** Runs one predictor instance: `setup()` once, then any number of predictions. */
export interface PredictorRunner {
  /** Runs `setup()`; throws `PredictorError` SETUP_FAILED with the author's file and line. */
  setup(options?: { onLog?: LogSink; weights?: string }): Promise<void>;
  /** Checks inputs without running anything: defaults applied, secrets wrapped; throws `InputError`. */
  validate(input: unknown): Record<string, unknown>;
  /**
   * Validates `input` and runs `predict()`. Yields each chunk of an iterator
   * output and returns the final value (for iterators: undefined). Throws
   * `InputError`, or `PredictorError` PREDICTION_FAILED / CANCELED.
   */
  predict(input: Record<string, unknown>, options?: PredictOptions): AsyncGenerator<unknown, unknown, undefined>;
}

function isAsyncIterator(v: unknown): v is AsyncIterator<unknown> {
  return v !== null && typeof v === "object" && typeof (v as any).next === "function";
}

function toIterator(v: unknown): AsyncIterator<unknown> | undefined {
  if (v === null || typeof v !== "object" || typeof v === "string") return undefined;
  if (typeof (v as any)[Symbol.asyncIterator] === "function") return (v as any)[Symbol.asyncIterator]();
  if (isAsyncIterator(v)) return v;
  return undefined;
}

function redactor(input: Record<string, unknown>, sink: LogSink | undefined): LogSink {
  const secrets = Object.values(input)
    .flatMap((v) => (Array.isArray(v) ? v : [v]))
    .filter((v): v is Secret => v instanceof Secret && v.value.length > 0)
    .map((s) => s.value);
  return (text) => {
    let out = text;
    for (const s of secrets) out = out.split(s).join("**********");
    sink?.(out);
  };
}

function failure(code: "SETUP_FAILED" | "PREDICTION_FAILED", what: string, err: unknown, sourceFile: string): PredictorError {
  if (err instanceof PredictorError) return err;
  const loc = authorLocation(err, sourceFile);
  const message = err instanceof Error ? err.message : String(err);
  const where = loc ? `${loc.file}:${loc.line}:${loc.column}: ` : "";
  return new PredictorError(code, `${where}${what} failed: ${message}`, { ...loc, cause: err });
}

/** `ctx.recordMetric`: checks the name and value (a predictor bug otherwise surfaces far from its cause). */
function metricRecorder(sink: PredictOptions["onMetric"]): PredictContext["recordMetric"] {
  return (name, value) => {
    if (typeof name !== "string" || name === "" || name === "predict_time") {
      throw new TypeError(`recordMetric: the name must be a non-empty string other than "predict_time", got ${JSON.stringify(name)}`);
    }
    if (!["number", "string", "boolean"].includes(typeof value) || (typeof value === "number" && !Number.isFinite(value))) {
      throw new TypeError(`recordMetric("${name}"): the value must be a finite number, a string or a boolean, got ${String(value)}`);
    }
    sink?.(name, value);
  };
}

function canceled(): PredictorError {
  return new PredictorError("CANCELED", "The prediction was canceled.");
}

/**
 * A prediction's steps, each ending early with CANCELED once `cancel()` is
 * called (a predictor stuck in a step is not waited for). `Promise.race` with
 * a long-lived promise would add a reaction to it per step (about 2 µs and a
 * retained closure per chunk).
 */
class CancelableSteps {
  #canceled = false;
  #rejectCurrent?: (err: unknown) => void;

  next<T>(step: Promise<T>): Promise<T> {
    if (this.#canceled) {
      step.catch(() => {});
      return Promise.reject(canceled());
    }
    return new Promise<T>((resolve, reject) => {
      this.#rejectCurrent = reject;
      step.then(resolve, reject);
    });
  }

  cancel(): void {
    this.#canceled = true;
    this.#rejectCurrent?.(canceled());
    this.#rejectCurrent = undefined;
  }
}

/** Wraps a predictor class; `validator` checks inputs against its OpenAPI Input schema. */
export function createRunner(options: {
  predictorClass: PredictorClass;
  validator: InputValidator;
  inputSchemas: Record<string, JsonSchema>;
  sourceFile: string;
}): PredictorRunner {
  const { predictorClass, validator, sourceFile } = options;
  const properties = (options.inputSchemas.Input?.properties ?? {}) as Record<string, JsonSchema>;
  const hasFileInputs = Object.values(properties).some(holdsFiles);
  let instance: InstanceType<PredictorClass> | undefined;

  const ensureInstance = () => (instance ??= new predictorClass());

  return {
    async setup({ onLog, weights } = {}) {
      const sink = onLog ?? (() => {});
      try {
        const p = ensureInstance();
        await withLogCapture(sink, () => p.setup(weights));
      } catch (err) {
        throw failure("SETUP_FAILED", "setup()", err, sourceFile);
      }
    },

    validate: (input) => validator.validate(input),

    async *predict(rawInput, { id = randomUUID(), signal, onLog, onMetric, files = "local" } = {}) {
      const input = validator.validate(rawInput);
      const downloads = new InputFiles();
      const capture = openLogCapture(redactor(input, onLog));
      const predictor = ensureInstance();
      const abort = takeAbortController();
      const steps = new CancelableSteps();
      const onAbort = () => {
        abort.abort(signal?.reason);
        steps.cancel();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      if (signal?.aborted) onAbort();
      // The generator's return(): its finally blocks may still print, into this prediction's logs.
      let returned: Promise<unknown> | undefined;
      // A prediction that ran to its end leaves ctx.signal alone; one that stopped early
      // (a throw, or the caller stopped iterating) aborts it so leftover work stops.
      let finished = false;
      try {
        if (hasFileInputs) await mapFileInputs(input, properties, (value, name) => downloads.resolve(name, value, files));
        if (abort.signal.aborted) throw canceled();
        const context: PredictContext = { id, signal: abort.signal, recordMetric: metricRecorder(onMetric) };
        let result: unknown;
        try {
          result = capture.run(() => predictor.predict(input, context));
        } catch (err) {
          throw failure("PREDICTION_FAILED", "predict()", err, sourceFile);
        }
        const iterator = toIterator(result);
        if (!iterator) {
          try {
            const value = await steps.next(Promise.resolve(result));
            finished = true;
            return value;
          } catch (err) {
            throw abort.signal.aborted ? canceled() : failure("PREDICTION_FAILED", "predict()", err, sourceFile);
          }
        }
        try {
          while (true) {
            const step = await steps.next(capture.run(() => iterator.next()));
            if (step.done) {
              finished = true;
              return undefined;
            }
            yield step.value;
            if (abort.signal.aborted) throw canceled();
          }
        } catch (err) {
          if (abort.signal.aborted || (err instanceof PredictorError && err.code === "CANCELED")) {
            returned = Promise.resolve(iterator.return?.()).catch(() => {});
            throw canceled();
          }
          throw failure("PREDICTION_FAILED", "predict()", err, sourceFile);
        } finally {
          if (!abort.signal.aborted && !finished) returned = Promise.resolve(iterator.return?.()).catch(() => {});
        }
      } finally {
        signal?.removeEventListener("abort", onAbort);
        if (!abort.signal.aborted && !finished) abort.abort();
        if (returned) void returned.finally(() => capture.close());
        else capture.close();
        await downloads.cleanup();
      }
    },
  };
}
