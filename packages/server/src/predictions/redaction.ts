/**
 * Secret inputs masked in every representation of a prediction (JSON,
 * webhooks, SSE, lists): the predictor receives the value, clients see the
 * mask Cog uses.
 */

/** What a secret input shows instead of its value. */
export const SECRET_MASK = "**********";

type Schema = { format?: string; "x-cog-secret"?: boolean; items?: Schema; properties?: Record<string, Schema> };

const isSecret = (s: Schema | undefined) => s?.["x-cog-secret"] === true || s?.format === "password";

/** Names of the inputs that are secrets (or lists of secrets), from the OpenAPI document. */
export function secretInputNames(openapi: Record<string, unknown>): string[] {
  const input = (openapi as { components?: { schemas?: { Input?: Schema } } }).components?.schemas?.Input;
  return Object.entries(input?.properties ?? {})
    .filter(([, schema]) => isSecret(schema) || isSecret(schema.items))
    .map(([name]) => name);
}

/** `input` with each secret's value replaced by the mask; `input` itself when it holds none. */
export function redactInput(input: Record<string, unknown>, secretNames: readonly string[]): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const name of secretNames) {
    const value = input[name];
    if (value === undefined || value === null) continue;
    out ??= { ...input };
    out[name] = Array.isArray(value) ? value.map(() => SECRET_MASK) : SECRET_MASK;
  }
  return out ?? input;
}
