import { BasePredictor, Input, type ConcatenateIterator, type InputsOf, type PredictContext } from "tscog";

const inputs = {
  prompt: Input.string({ description: "Who or what to greet", default: "world" }),
  repeat: Input.integer({ description: "How many greetings", default: 3, ge: 1, le: 100 }),
};

/** Streams a greeting word by word. */
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;

  async setup(): Promise<void> {
    console.log("hello predictor ready");
  }

  async *predict({ prompt, repeat }: InputsOf<typeof inputs>, { signal }: PredictContext): ConcatenateIterator<string> {
    for (let i = 0; i < repeat && !signal.aborted; i++) {
      for (const word of `Hello, ${prompt}!`.split(" ")) yield `${word} `;
      yield "\n";
    }
  }
}
