import { randomUUID } from "node:crypto";
import { basename, dirname, relative } from "node:path";
import { describeThrown, InputError, PredictorError, Secret, type ErrorDetail, takeAbortController, type InputValidator, type JsonSchema, type PredictContext, type PredictorClass } from "@tscog/sdk";
import { holdsFiles, InputFiles, mapFileInputs, type DownloadOptions, type FileSource } from "./files.js";
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
  /** Address policy, size cap and timeout for `Path` inputs given as http(s) URLs; default public addresses only, 100 MiB, 60 s. */
  downloads?: DownloadOptions;
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

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function redactor(input: Record<string, unknown>, sink: LogSink | undefined): LogSink {
  const secrets = Object.values(input)
    .flatMap((v) => (Array.isArray(v) ? v : [v]))
    .filter((v): v is Secret => v instanceof Secret && v.value.length > 0)
    .map((s) => s.value);
  // A long secret is masked wherever it appears. A short one ("k") is masked only as a whole
  // word: replacing every "k" in the logs would mangle them and give the secret away.
  const patterns = secrets.map((s) => (s.length >= 8 ? s : new RegExp(`(?<![\\p{L}\\p{N}_-])${escapeRegExp(s)}(?![\\p{L}\\p{N}_-])`, "gu")));
  return (text) => {
    let out = text;
    for (const p of patterns) out = typeof p === "string" ? out.split(p).join("**********") : out.replace(p, "**********");
    sink?.(out);
  };
}

function failure(code: "SETUP_FAILED" | "PREDICTION_FAILED", what: string, err: unknown, sourceFile: string): PredictorError | InputError {
  if (err instanceof PredictorError) return err;
  // A predictor that rejects its input itself (`throw new InputError(...)`, from its own bundled copy of tscog) is the caller's mistake: 422 / exit 2.
  if (code === "PREDICTION_FAILED" && err instanceof Error && (err as { code?: unknown }).code === "INVALID_INPUT") {
    const e = err as Error & { field?: string; details?: ErrorDetail[] };
    return new InputError(err.message, { field: e.field, details: e.details, cause: err });
  }
  const loc = authorLocation(err, sourceFile);
  const message = err instanceof Error ? err.message : describeThrown(err);
  // Relative to the project: messages reach HTTP clients, who need no paths on the server.
  const where = loc ? `${relative(dirname(sourceFile), loc.file) || basename(loc.file)}:${loc.line}:${loc.column}: ` : "";
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

    async *predict(rawInput, { id = randomUUID(), signal, onLog, onMetric, files = "local", downloads: downloadOptions } = {}) {
      const input = validator.validate(rawInput);
      const downloads = new InputFiles(downloadOptions);
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
        if (hasFileInputs) {
          // A default is the predictor's own file (e.g. "./weights/example.png"), never a caller's path: read it locally.
          const given = (name: string) => (rawInput as Record<string, unknown> | null | undefined)?.[name.split(".")[0]!] != null;
          await mapFileInputs(input, properties, (value, name) => downloads.resolve(name, value, given(name) ? files : "local", abort.signal));
        }
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
