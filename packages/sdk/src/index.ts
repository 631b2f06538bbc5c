export { BasePredictor } from "./predictor.js";
export type { ConcatenateIterator, Path, PredictContext, PredictorClass } from "./predictor.js";
export { Input, isRequired } from "./inputs.js";
export type {
  InputField,
  InputFields,
  InputKind,
  InputsOf,
  CommonOptions,
  StringOptions,
  NumberOptions,
  ListOptions,
} from "./inputs.js";
export { Secret } from "./secret.js";
export { inputSchema, inputValidationSchema, title as schemaTitle } from "./input-schema.js";
export { inputDeclarationProblems } from "./input-declarations.js";
export type { DeclarationProblem } from "./input-declarations.js";
export type { JsonSchema } from "./input-schema.js";
export { createInputValidator } from "./validate.js";
export type { InputValidator } from "./validate.js";
export { ERROR_CODES, TscogError, InputError, ConfigError, DeclarationError, PredictorError, toTscogError, describeThrown } from "./errors.js";
export type { ErrorCode, ErrorDetail, ErrorLocation, TscogErrorOptions } from "./errors.js";
export { closest } from "./suggest.js";
export { takeAbortController } from "./abort-supply.js";
