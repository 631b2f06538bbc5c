import type { InputFields, InputsOf } from "./inputs.js";

/**
 * Marks an async generator whose string chunks are to be concatenated
 * (tokens of text). tscog reads this name from `predict`'s return type and
 * publishes `x-cog-array-display: concatenate` in the schema.
 *
 * @example
 * async *predict({ prompt }: InputsOf<typeof inputs>): ConcatenateIterator<string> {
 *   for (const word of prompt.split(" ")) yield word + " ";
 * }
 */
export type ConcatenateIterator<T = string> = AsyncGenerator<T, void, undefined>;

/** A local file path. Inputs of type `Input.path()` arrive as one; return one to output a file. */
export type Path = string & { readonly __tscogPath?: never };

/** What `predict` receives besides its inputs. */
export interface PredictContext {
  /** Fires when the prediction is canceled, its client goes away, or it stops early (a failure); not after it runs to its end. */
  signal: AbortSignal;
  /** The prediction's id (server) or a generated one (CLI). */
  id: string;
  /**
   * Records a metric of this prediction (e.g. tokens generated), as Cog's
   * `record_metric`: it appears in the prediction's `metrics` and as an SSE
   * `metric` event; a later value for the same name replaces the earlier one.
   */
  recordMetric(name: string, value: number | string | boolean): void;
}

/**
 * Base class of every predictor. Declare inputs in a static `inputs` field,
 * load models in `setup()`, and produce output in `predict()`.
 *
 * @example
 * const inputs = { name: Input.string({ description: "Who to greet" }) };
 * export class Predictor extends BasePredictor<typeof inputs> {
 *   static inputs = inputs;
 *   async *predict({ name }: InputsOf<typeof inputs>): ConcatenateIterator<string> {
 *     yield `Hello, ${name}!`;
 *   }
 * }
 */
export abstract class BasePredictor<F extends InputFields = InputFields> {
  /** Input declarations; the subclass sets this. */
  static inputs: InputFields = {};

  /** Runs once before any prediction. `weights` is a local path or URL when given. */
  async setup(_weights?: string): Promise<void> {}

  /** Produces the output: a value, a Promise of one, or an async generator of chunks. */
  abstract predict(input: InputsOf<F>, context: PredictContext): unknown;
}

/** A predictor class as the runtime sees it. */
export interface PredictorClass {
  new (): BasePredictor<any>;
  inputs?: InputFields;
}
