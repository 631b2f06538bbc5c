/**
 * The engine's entry point: a KV-cached ONNX decoder with its tokenizer,
 * exposed as an async generator of text chunks. Concurrent streams share one
 * batch (batch-scheduler.ts); this file checks options and turns tokens into text.
 *
 * @example
 * const lm = await TextGenerator.load("model");
 * for await (const chunk of lm.stream("The state of the nation", { maxNewTokens: 50, signal })) {
 *   process.stdout.write(chunk);
 * }
 */
import { Tokenizer } from "@huggingface/tokenizers";
import { InputError } from "@tscog/sdk";
import { ByteLevelDetokenizer, ByteLevelPieces } from "./byte-level-detokenizer.js";
import { chatTemplateFrom, renderChat, type ChatMessage } from "./chat-template.js";
import { IncrementalDetokenizer, type Detokenizer } from "./detokenizer.js";
import { resolveDevice, type DeviceRequest, type ResolvedDevice } from "./execution-provider.js";
import { loadError, readModelFiles, type DecoderConfig, type ModelFiles } from "./model-files.js";
import { loadOnnxRuntime, OnnxDecoder } from "./onnx-decoder.js";
import { Sampler, type SamplingOptions } from "./sampler.js";
import { StopSequenceFilter } from "./stop-sequences.js";
import { AsyncQueue } from "./async-queue.js";
import { BatchScheduler } from "./batch-scheduler.js";
import { resolveBatching, type BatchingOptions } from "./batching-options.js";
import { checkBatching } from "./batching-check.js";
import { Sequence, type FinishReason, type SequenceSpec } from "./sequence.js";

export type { FinishReason } from "./sequence.js";

/** A plain-text prompt, or chat messages rendered with the model's chat template. */
export type Prompt = string | readonly ChatMessage[];

/** How to load a model. */
export interface TextGeneratorOptions extends DeviceRequest {
  /** ONNX file relative to the model directory, when it holds several (e.g. "onnx/model_fp16.onnx"). */
  modelFile?: string;
  /** Overrides tokenizer_config.json's chat template. */
  chatTemplate?: string;
  /** Where warnings go (e.g. a CPU fallback, or batching turned off). Default: console.warn. */
  log?: (message: string) => void;
  /** Limits of continuous batching (concurrent `stream()` calls share one batch); see `BatchingOptions`. */
  batching?: BatchingOptions;
}

/** How to generate; unset sampling fields take generation_config.json's values. */
export interface GenerateOptions extends SamplingOptions {
  /** Most tokens to generate. Default: generation_config's max_new_tokens, else 256. */
  maxNewTokens?: number;
  /** Generation ends before the first occurrence of any of these; the text never includes it. */
  stop?: readonly string[];
  /** Aborting ends the stream with the signal's reason. */
  signal?: AbortSignal;
}

/** Returned by `stream` when it is done. */
export interface GenerationResult {
  finishReason: FinishReason;
  promptTokens: number;
  generatedTokens: number;
}

const DEFAULT_MAX_NEW_TOKENS = 256;

/** A language model ready to generate text. */
export class TextGenerator {
  /** Where the model runs. */
  readonly device: ResolvedDevice;
  /** The decoder's shape, from config.json. */
  readonly config: DecoderConfig;
  readonly #files: ModelFiles;
  readonly #decoder: OnnxDecoder;
  readonly #tokenizer: Tokenizer;
  readonly #chatTemplate?: string;
  /** Set for byte-level tokenizers: streaming then decodes each token's bytes once (see byte-level-detokenizer.ts). */
  readonly #byteLevel?: ByteLevelPieces;
  /** Text of each single token decoded so far (at most the vocabulary). */
  readonly #tokenTexts = new Map<number, string>();
  /** Steps every concurrent generation as one batch. */
  readonly #scheduler: BatchScheduler;

  private constructor(files: ModelFiles, decoder: OnnxDecoder, tokenizer: Tokenizer, device: ResolvedDevice, scheduler: BatchScheduler, chatTemplate?: string) {
    this.#files = files;
    this.#scheduler = scheduler;
    this.#decoder = decoder;
    this.#tokenizer = tokenizer;
    this.device = device;
    this.config = files.config;
    this.#chatTemplate = chatTemplate;
    this.#byteLevel = ByteLevelPieces.of(tokenizer, files.tokenizerJson, files.tokenizerConfig);
  }

  /** Loads the model in `dir` (config, tokenizer, ONNX session); throws MODEL_LOAD errors naming the file at fault. */
  static async load(dir: string, options: TextGeneratorOptions = {}): Promise<TextGenerator> {
    // onnxruntime first: the CUDA probe finds its provider libraries next to the loaded binding.
    await loadOnnxRuntime();
    const limits = resolveBatching(options.batching);
    const device = resolveDevice(options);
    if (device.warning) (options.log ?? console.warn)(device.warning);
    const files = await readModelFiles(dir, options.modelFile);
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(files.tokenizerJson, files.tokenizerConfig);
    } catch (err) {
      throw loadError(`${files.dir}/tokenizer.json`, `${files.dir}/tokenizer.json could not be loaded: ${(err as Error).message}`, err);
    }
    const decoder = await OnnxDecoder.create(files, device);
    if (limits.maxRows > 1) {
      const check = await checkBatching(decoder, files.config.vocabSize);
      if (!check.ok) {
        (options.log ?? console.warn)(`${files.onnxFile}: batching is off, generating one sequence at a time (concurrent requests wait): ${check.reason}`);
        limits.maxRows = 1;
      }
    }
    const scheduler = new BatchScheduler(decoder, limits);
    return new TextGenerator(files, decoder, tokenizer, device, scheduler, chatTemplateFrom(files.tokenizerConfig, options.chatTemplate));
  }

  /** Batching limits in force (`maxRows` is 1 when the load-time check found the export unfit for padded batches). */
  get batching(): Readonly<Required<BatchingOptions>> {
    return this.#scheduler.limits;
  }

  /** Token ids of a prompt (chat messages go through the chat template first). */
  encode(prompt: Prompt): number[] {
    if (typeof prompt === "string") return this.#tokenizer.encode(prompt).ids;
    const text = renderChat(this.#chatTemplate, prompt, this.#files.tokenizerConfig);
    return this.#tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** Text of token ids, without special tokens. */
  decode(ids: readonly number[]): string {
    if (ids.length !== 1) return ids.length === 0 ? "" : this.#tokenizer.decode(ids as number[], { skip_special_tokens: true });
    // Single tokens are decoded once each: the incremental detokenizer asks for the previous token's text every step.
    const cached = this.#tokenTexts.get(ids[0]);
    if (cached !== undefined) return cached;
    const text = this.#tokenizer.decode(ids as number[], { skip_special_tokens: true });
    this.#tokenTexts.set(ids[0], text);
    return text;
  }

  /**
   * A detokenizer for text that follows `context` (token ids already shown): it decodes each
   * token's bytes once for byte-level tokenizers, and windows of tokens for any other.
   */
  detokenizer(context: readonly number[] = []): Detokenizer {
    return this.#byteLevel ? new ByteLevelDetokenizer(this.#byteLevel) : new IncrementalDetokenizer((ids) => this.decode(ids), { context });
  }

  /**
   * Streams the continuation of `prompt` as text chunks; returns why it ended. Concurrent calls
   * share one batch: each joins at the next step and keeps its own sampling, seed and stop strings.
   */
  async *stream(prompt: Prompt, options: GenerateOptions = {}): AsyncGenerator<string, GenerationResult, undefined> {
    const promptIds = this.encode(prompt);
    const detokenizer = this.detokenizer(promptIds);
    const stop = new StopSequenceFilter(options.stop);
    const queue = new AsyncQueue<string, GenerationResult>();
    let generatedTokens = 0;
    const result = (finishReason: FinishReason): GenerationResult => ({ finishReason, promptTokens: promptIds.length, generatedTokens });
    const spec = this.#sequenceSpec(promptIds, options, {
      onToken(id) {
        generatedTokens++;
        const text = stop.push(detokenizer.push(id));
        if (text) queue.push(text);
        return stop.stopped;
      },
      onEnd(reason) {
        if (reason !== "stop") {
          const rest = stop.push(detokenizer.flush()) + stop.flush();
          if (rest) queue.push(rest);
        }
        queue.end(result(reason));
      },
      onError: (err) => queue.fail(err),
      hungry: () => queue.waiting,
    });
    if (!spec) return result("length");
    return yield* this.#run(spec, queue, options.signal);
  }

  /** The whole continuation as one string. */
  async generate(prompt: Prompt, options: GenerateOptions = {}): Promise<string> {
    let text = "";
    for await (const chunk of this.stream(prompt, options)) text += chunk;
    return text;
  }

  /** Generated token ids after `promptIds` (EOS excluded); returns why it ended. Batched like `stream`. */
  async *tokens(promptIds: readonly number[], options: GenerateOptions = {}): AsyncGenerator<number, FinishReason, undefined> {
    const queue = new AsyncQueue<number, FinishReason>();
    const spec = this.#sequenceSpec(promptIds, options, {
      onToken(id) {
        queue.push(id);
        return false;
      },
      onEnd: (reason) => queue.end(reason),
      onError: (err) => queue.fail(err),
      hungry: () => queue.waiting,
    });
    if (!spec) return "length";
    return yield* this.#run(spec, queue, options.signal);
  }

  /** Submits a sequence and yields what its callbacks queue; leaving early (or aborting) takes it out of the batch. */
  async *#run<T, R>(spec: SequenceSpec, queue: AsyncQueue<T, R>, signal?: AbortSignal): AsyncGenerator<T, R, undefined> {
    const sequence = new Sequence(spec);
    const onAbort = () => {
      sequence.cancel();
      queue.fail(signal!.reason);
      this.#scheduler.wake();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#scheduler.submit(sequence);
    try {
      for (;;) {
        if (queue.size === 0) this.#scheduler.wake();
        const next = await queue.next();
        // Tokens already queued when the signal fired are not handed out.
        signal?.throwIfAborted();
        if (next.done) return next.value;
        yield next.value;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      sequence.cancel();
      this.#scheduler.wake();
    }
  }

  /**
   * Checks the options and builds a sequence for the scheduler; undefined when there is nothing
   * to generate (maxNewTokens 0). Throws InputError for bad options or a prompt that does not fit.
   */
  #sequenceSpec(promptIds: readonly number[], options: GenerateOptions, sink: Pick<SequenceSpec, "onToken" | "onEnd" | "onError" | "hungry">): SequenceSpec | undefined {
    const gen = this.#files.generation;
    const maxNewTokens = options.maxNewTokens ?? gen.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) {
      throw new InputError(`maxNewTokens must be a non-negative integer, got ${maxNewTokens}`, { field: "max_new_tokens" });
    }
    let sampler: Sampler;
    try {
      sampler = new Sampler({
        temperature: options.temperature ?? gen.temperature ?? 1,
        topK: options.topK ?? gen.topK ?? 0,
        topP: options.topP ?? gen.topP ?? 1,
        repetitionPenalty: options.repetitionPenalty ?? gen.repetitionPenalty ?? 1,
        seed: options.seed,
      });
    } catch (err) {
      throw new InputError((err as Error).message, { cause: err });
    }
    let ids = promptIds;
    if (ids.length === 0) {
      const start = gen.bosTokenId ?? gen.eosTokenIds[0];
      if (start === undefined) throw new InputError("the prompt is empty and the model has no BOS token to start from", { field: "prompt" });
      ids = [start];
    }
    const limit = this.config.maxPositions;
    if (limit !== undefined && ids.length >= limit) {
      throw new InputError(`the prompt is ${ids.length} tokens; this model takes at most ${limit} positions`, { field: "prompt" });
    }
    options.signal?.throwIfAborted();
    if (maxNewTokens === 0) return undefined;
    return { promptIds: ids, sampler, maxNewTokens, eos: new Set(gen.eosTokenIds), maxPositions: limit, signal: options.signal, ...sink };
  }

  /** Frees the ONNX session. */
  async release(): Promise<void> {
    await this.#decoder.release();
  }
}
