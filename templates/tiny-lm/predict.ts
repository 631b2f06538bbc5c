import { BasePredictor, Input, type ConcatenateIterator, type InputsOf, type PredictContext } from "tscog";

const inputs = {
  prompt: Input.string({ description: "Text to continue", minLength: 1 }),
  max_new_tokens: Input.integer({ description: "Most tokens to generate", default: 64, ge: 1, le: 1024 }),
  temperature: Input.number({ description: "Sampling temperature; 0 is greedy", default: 0.8, ge: 0, le: 5 }),
  top_p: Input.number({ description: "Nucleus sampling: keep the smallest set of tokens with this much probability", default: 0.95, ge: 0, le: 1 }),
  top_k: Input.integer({ description: "Sample among the k most likely tokens; 0 keeps all", default: 50, ge: 0 }),
  seed: Input.integer({ description: "Random seed for reproducible sampling", optional: true }),
  stop: Input.list(Input.string(), { description: "Stop generating at any of these strings", default: [] }),
};

/** Placeholder until the ONNX engine lands: streams the prompt back word by word. */
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;

  async *predict({ prompt, max_new_tokens }: InputsOf<typeof inputs>, { signal }: PredictContext): ConcatenateIterator<string> {
    const words = prompt.split(/\s+/).slice(0, max_new_tokens);
    for (const w of words) {
      if (signal.aborted) return;
      yield `${w} `;
    }
  }
}
