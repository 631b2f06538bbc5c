export {
  BasePredictor,
  Input,
  Secret,
  TscogError,
  InputError,
} from "@tscog/sdk";
export type {
  ConcatenateIterator,
  Path,
  PredictContext,
  InputsOf,
  InputField,
  InputFields,
} from "@tscog/sdk";
export { TextGenerator, parseChatMessages } from "@tscog/engine";
export type { ChatMessage, Detokenizer, GenerateOptions, GenerationResult, TextGeneratorOptions, Prompt, Device } from "@tscog/engine";
