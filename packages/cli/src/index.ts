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
