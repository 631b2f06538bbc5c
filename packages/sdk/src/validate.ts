import { Ajv, type ErrorObject } from "ajv";
import { InputError, type ErrorDetail } from "./errors.js";
import { inputValidationSchema, type JsonSchema } from "./input-schema.js";
import { Secret } from "./secret.js";
import { closest } from "./suggest.js";

/** Checks inputs against an OpenAPI `Input` schema. */
export interface InputValidator {
  /** Returns a copy with defaults applied and secrets wrapped; throws `InputError` listing every bad field. */
  validate(input: unknown): Record<string, unknown>;
  /** Declared input names, in order. */
  readonly names: readonly string[];
}

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  integer: "an integer",
  number: "a number",
  boolean: "true or false",
  array: "a list",
  object: "an object",
};

function describe(err: ErrorObject, names: readonly string[]): { field: string; msg: string; type: string } {
  const path = err.instancePath.split("/").slice(1);
  const field = path.join(".");
  const p = err.params as Record<string, any>;
  switch (err.keyword) {
    case "required":
      return { field: p.missingProperty, msg: "is required", type: "value_error.missing" };
    case "additionalProperties": {
      const guess = closest(p.additionalProperty, names);
      const allowed = names.length ? `allowed inputs: ${names.join(", ")}` : "this predictor takes no inputs";
      return {
        field: p.additionalProperty,
        msg: `is not an input of this predictor${guess ? ` (did you mean "${guess}"?)` : ""}; ${allowed}`,
        type: "value_error.extra",
      };
    }
    case "type":
      return { field, msg: `must be ${TYPE_NAMES[p.type] ?? p.type}`, type: `type_error.${p.type}` };
    case "minimum":
      return { field, msg: `must be greater than or equal to ${p.limit}`, type: "value_error.number.not_ge" };
    case "maximum":
      return { field, msg: `must be less than or equal to ${p.limit}`, type: "value_error.number.not_le" };
    case "minLength":
      return { field, msg: `must have at least ${p.limit} characters`, type: "value_error.any_str.min_length" };
    case "maxLength":
      return { field, msg: `must have at most ${p.limit} characters`, type: "value_error.any_str.max_length" };
    case "minItems":
      return { field, msg: `must have at least ${p.limit} items`, type: "value_error.list.min_items" };
    case "maxItems":
      return { field, msg: `must have at most ${p.limit} items`, type: "value_error.list.max_items" };
    case "format":
      return { field, msg: "must be a data: URI or an http(s) URL", type: "value_error.url" };
    case "pattern":
      return { field, msg: `must match the pattern ${p.pattern}`, type: "value_error.str.regex" };
    case "enum":
      return {
        field,
        msg: `must be one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
        type: "type_error.enum",
      };
    default:
      return { field, msg: err.message ?? "is invalid", type: `value_error.${err.keyword}` };
  }
}

function show(value: unknown): string {
  const s = JSON.stringify(value);
  if (s === undefined) return String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function valueAt(input: unknown, field: string): unknown {
  let v: any = input;
  for (const key of field.split(".")) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, key)) return undefined;
    v = v[key];
  }
  return v;
}

/** Most problems one error lists (a reply must stay small whatever the body). */
const MAX_REPORTED_ERRORS = 50;

/**
 * Compiles a validator for the `Input` schema in an OpenAPI document's
 * `components.schemas` (as `openapi.components.schemas`). With
 * `files: "remote"` (servers), file inputs must be data: or http(s) URLs.
 */
export function createInputValidator(schemas: Record<string, JsonSchema>, options: { files?: "local" | "remote" } = {}): InputValidator {
  const schema = inputValidationSchema(schemas);
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const names = Object.keys(properties);
  const required = new Set((schema.required ?? []) as string[]);
  const isSecret = (s: JsonSchema | undefined) => s?.["x-cog-secret"] === true;
  const secrets = names.filter((n) => isSecret(properties[n]) || isSecret(properties[n]!.items as JsonSchema));
  // `Path` inputs (format: uri): any string for local runs; data: or http(s) URLs over HTTP.
  const remote = options.files === "remote";
  const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, validateFormats: remote });
  ajv.addFormat("uri", /^(data:|https?:\/\/)/i);
  ajv.addFormat("password", true);
  const check = ajv.compile(schema);

  return {
    names,
    validate(input: unknown): Record<string, unknown> {
      if (input === null || typeof input !== "object" || Array.isArray(input)) {
        throw new InputError(`The input must be an object of named values, got ${show(input)}.`, {
          details: [{ loc: ["body", "input"], msg: "must be an object", type: "type_error.dict" }],
        });
      }
      const given = Object.keys(input);
      if (given.length > names.length + MAX_REPORTED_ERRORS) {
        // Hostile bodies carry hundreds of thousands of fields: refuse before validating them one by one.
        const known = new Set(names);
        const unknown = given.filter((n) => !known.has(n));
        const listed = unknown.slice(0, 10).map((n) => JSON.stringify(n.slice(0, 40))).join(", ");
        const msg = `has ${unknown.length} names that are not inputs of this predictor (${listed}, ...); allowed inputs: ${names.join(", ") || "none"}`;
        throw new InputError(`Invalid input: ${msg}.`, { details: [{ loc: ["body", "input"], msg, type: "value_error.extra" }] });
      }
      // Inputs are flat (primitives and lists of them): a shallow copy with lists copied is a
      // deep copy here, and much cheaper than structuredClone on the server's hot path.
      // Without a prototype: ajv would otherwise see `toString` or `constructor` inputs as given (inherited).
      const copy: Record<string, unknown> = Object.create(null);
      for (const [name, value] of Object.entries(input)) {
        // Generated clients and forms send null for an optional field left empty: as in Cog, that is "not given" (the default applies).
        if (value === null && !required.has(name) && Object.hasOwn(properties, name)) continue;
        copy[name] = Array.isArray(value) ? [...value] : value;
      }
      if (!check(copy)) {
        const seen = new Set<string>();
        const details: ErrorDetail[] = [];
        const lines: string[] = [];
        const errors = check.errors ?? [];
        for (const err of errors) {
          if (details.length === MAX_REPORTED_ERRORS) {
            lines.push(`and more (${errors.length} problems in all; the first ${MAX_REPORTED_ERRORS} are listed)`);
            break;
          }
          let d = describe(err, names);
          const got = valueAt(input, d.field);
          if (got === null && required.has(d.field)) d = { field: d.field, msg: "is required and cannot be null", type: "type_error.none.not_allowed" };
          const key = `${d.field}:${d.type}`;
          if (seen.has(key)) continue;
          seen.add(key);
          details.push({ loc: ["body", "input", ...d.field.split(".")], msg: d.msg, type: d.type });
          const shown = secrets.includes(d.field.split(".")[0]!) ? "a secret" : show(got);
          lines.push(`input "${d.field}" ${d.msg}${got === undefined || d.type === "value_error.extra" || d.type === "type_error.none.not_allowed" ? "" : ` (got ${shown})`}`);
        }
        throw new InputError(`Invalid input: ${lines.join("; ")}.`, { details, field: details[0]?.loc[2] as string });
      }
      for (const name of secrets) {
        const v = copy[name];
        if (typeof v === "string") copy[name] = new Secret(v);
        else if (Array.isArray(v)) copy[name] = v.map((s) => new Secret(String(s)));
      }
      // A plain object again for the predictor, without a second copy (an own "__proto__" input stays an input).
      return Object.setPrototypeOf(copy, Object.prototype) as Record<string, unknown>;
    },
  };
}
