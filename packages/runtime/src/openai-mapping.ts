/**
 * cog.yaml's `openai` section resolved against the predictor's inputs: which
 * input receives each OpenAI parameter. Checked when the predictor loads, so an
 * unknown or mistyped input is a `cog.yaml:LINE` error before anything is served.
 */
import { basename, resolve } from "node:path";
import { closest, ConfigError } from "@tscog/sdk";
import { configLine, type CogConfig, type OpenAiParameter } from "./config.js";

/** Every parameter the mapping knows, in the order errors list them. */
export const OPENAI_PARAMETERS: readonly OpenAiParameter[] = ["messages", "prompt", "max_tokens", "temperature", "top_p", "seed", "stop"];

/** The input schema types each parameter accepts. */
const ACCEPTS: Record<OpenAiParameter, { types: string[]; what: string }> = {
  messages: { types: ["string"], what: "a string input (it receives the messages as JSON)" },
  prompt: { types: ["string"], what: "a string input" },
  max_tokens: { types: ["integer"], what: "an integer input" },
  temperature: { types: ["number", "integer"], what: "a number input" },
  top_p: { types: ["number", "integer"], what: "a number input" },
  seed: { types: ["integer"], what: "an integer input" },
  stop: { types: ["array", "string"], what: "a list-of-strings or string input" },
};

/** Where each OpenAI parameter goes, with the kind of input that takes it. */
export interface OpenAiMapping {
  /** The id in `/v1/models` and in replies. */
  model: string;
  ownedBy: string;
  /** Predictor input per parameter (only the mapped ones). */
  inputs: Partial<Record<OpenAiParameter, string>>;
  /** True when the `stop` input is a list (else one string). */
  stopIsList: boolean;
}

/** The parts of the predictor's OpenAPI `Input` schema the mapping reads. */
export interface InputSchemaLike {
  properties?: Record<string, { type?: string; allOf?: unknown[] } & Record<string, unknown>>;
}

/** The default model id: cog.yaml `image` without registry, path, tag or digest, else the project directory's name. */
export function defaultModelId(config: Pick<CogConfig, "image">, projectDir: string): string {
  const image = config.image?.split("@")[0];
  const last = image?.split("/").pop()?.replace(/:[^:]*$/, "");
  return last || basename(resolve(projectDir)) || "model";
}

/**
 * Resolves cog.yaml's `openai` section against the predictor's inputs; undefined
 * when there is no section. Throws `ConfigError` (`cog.yaml:LINE: ...`) for an
 * input the predictor lacks, an input of the wrong type, or no messages/prompt input.
 *
 * @example resolveOpenAiMapping(config, openapi.components.schemas.Input, { file: "cog.yaml", projectDir })
 */
export function resolveOpenAiMapping(
  config: Pick<CogConfig, "openai" | "image">,
  inputSchema: InputSchemaLike | undefined,
  where: { file?: string; projectDir: string },
): OpenAiMapping | undefined {
  const section = config.openai;
  if (!section) return undefined;
  const properties = inputSchema?.properties ?? {};
  const names = Object.keys(properties);
  const file = where.file ?? "cog.yaml";
  const fail = (path: string[], message: string): never => {
    const line = where.file ? configLine(where.file, path) : undefined;
    throw new ConfigError(`${file}${line ? `:${line}` : ""}: ${message}`, { file, line, field: path.join(".") });
  };
  const inputs: Partial<Record<OpenAiParameter, string>> = {};
  for (const parameter of OPENAI_PARAMETERS) {
    const named = section.inputs?.[parameter];
    const input = named ?? (parameter in properties ? parameter : undefined);
    if (input === undefined) continue;
    const schema = properties[input];
    if (!schema) {
      const guess = closest(input, names);
      fail(
        ["openai", "inputs", parameter],
        `openai.inputs.${parameter} names the input "${input}", which the predictor does not have${guess ? ` (did you mean "${guess}"?)` : ""}; its inputs: ${names.join(", ") || "(none)"}.`,
      );
    }
    const type = schema!.type;
    if (type !== undefined && !ACCEPTS[parameter].types.includes(type)) {
      // An input that only shares the parameter's name is not taken for it.
      if (named === undefined) continue;
      fail(["openai", "inputs", parameter], `openai.inputs.${parameter}: the input "${input}" is a ${type} input; ${parameter} needs ${ACCEPTS[parameter].what}.`);
    }
    inputs[parameter] = input;
  }
  if (!inputs.messages && !inputs.prompt) {
    fail(
      ["openai"],
      `openai: no input receives messages or prompt; name the string input that takes the chat messages (openai.inputs.messages) or the prompt (openai.inputs.prompt). The predictor's inputs: ${names.join(", ") || "(none)"}.`,
    );
  }
  return {
    model: section.model ?? defaultModelId(config, where.projectDir),
    ownedBy: section.owned_by ?? "tscog",
    inputs,
    stopIsList: inputs.stop !== undefined && properties[inputs.stop]?.type !== "string",
  };
}
