import { fileURLToPath } from "node:url";
import {
  BasePredictor,
  Input,
  InputError,
  TextGenerator,
  parseChatMessages,
  type ConcatenateIterator,
  type InputsOf,
  type PredictContext,
} from "tscog";

const inputs = {
  prompt: Input.string({ description: "Text to continue (or give messages)", minLength: 1, optional: true }),
  messages: Input.string({
    description: 'A chat instead of prompt, as JSON: [{"role": "user", "content": "..."}], rendered with the model\'s chat template (model/tokenizer_config.json)',
    optional: true,
  }),
  max_new_tokens: Input.integer({ description: "Most tokens to generate", default: 64, ge: 1, le: 1024 }),
  temperature: Input.number({ description: "Sampling temperature; 0 is greedy", default: 0.8, ge: 0, le: 5 }),
  top_p: Input.number({ description: "Nucleus sampling: keep the smallest set of tokens with this much probability", default: 0.95, ge: 0, le: 1 }),
  top_k: Input.integer({ description: "Sample among the k most likely tokens; 0 keeps all", default: 50, ge: 0 }),
  seed: Input.integer({ description: "Random seed for reproducible sampling", optional: true }),
  stop: Input.list(Input.string(), { description: "Stop generating at any of these strings", default: [] }),
};

/** A small Llama-style model trained on State of the Union addresses (model/README.md), run by ONNX Runtime. */
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  private lm!: TextGenerator;

  async setup(): Promise<void> {
    this.lm = await TextGenerator.load(fileURLToPath(new URL("./model", import.meta.url)));
  }

  async *predict(input: InputsOf<typeof inputs>, { signal, recordMetric }: PredictContext): ConcatenateIterator<string> {
    // Concurrent predictions (cog.yaml concurrency.max) share one batch inside the TextGenerator.
    const prompt = input.messages !== undefined ? parseChatMessages(input.messages) : input.prompt;
    if (prompt === undefined) throw new InputError("Give prompt (text to continue) or messages (a chat as JSON).", { field: "prompt" });
    const result = yield* this.lm.stream(prompt, {
      maxNewTokens: input.max_new_tokens,
      temperature: input.temperature,
      topP: input.top_p,
      topK: input.top_k,
      seed: input.seed,
      stop: input.stop,
      signal,
    });
    recordMetric("input_token_count", result.promptTokens);
    recordMetric("output_token_count", result.generatedTokens);
    recordMetric("finish_reason", result.finishReason);
  }
}
