import type { InputField, InputFields } from "./inputs.js";
import { isRequired } from "./inputs.js";

/** A JSON Schema object (OpenAPI 3.0 flavour, as Cog emits it). */
export type JsonSchema = Record<string, unknown>;

/** pydantic's title: `max_new_tokens` → `Max New Tokens`. */
export function title(name: string): string {
  return name
    .split(/[_\s]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(" ");
}

function itemSchema(f: InputField): JsonSchema {
  const o = f.options as Record<string, unknown>;
  switch (f.kind) {
    case "string": {
      const s: JsonSchema = { type: "string" };
      if (o.minLength !== undefined) s.minLength = o.minLength;
      if (o.maxLength !== undefined) s.maxLength = o.maxLength;
      if (o.regex !== undefined) s.pattern = o.regex;
      return s;
    }
    case "integer":
    case "number": {
      const s: JsonSchema = { type: f.kind };
      if (o.ge !== undefined) s.minimum = o.ge;
      if (o.le !== undefined) s.maximum = o.le;
      return s;
    }
    case "boolean":
      return { type: "boolean" };
    case "path":
      return { type: "string", format: "uri" };
    case "secret":
      return { type: "string", format: "password", writeOnly: true, "x-cog-secret": true };
    case "list": {
      const item = itemSchema(f.item!);
      // An item's choices are checked item by item (inline: the playground and clients read them there).
      const choices = f.item!.options.choices;
      if (Array.isArray(choices)) item.enum = [...choices];
      const s: JsonSchema = { type: "array", items: item };
      if (o.minLength !== undefined) s.minItems = o.minLength;
      if (o.maxLength !== undefined) s.maxItems = o.maxLength;
      return s;
    }
  }
}

/**
 * The OpenAPI `Input` schema for declared inputs, in Cog's shape: properties
 * with `title` and `x-order`, inputs with `choices` as `allOf` references to
 * enum schemas returned in `enums` (which go to `components.schemas`).
 */
export function inputSchema(fields: InputFields): { input: JsonSchema; enums: Record<string, JsonSchema> } {
  const properties: Record<string, JsonSchema> = {};
  const enums: Record<string, JsonSchema> = {};
  const required: string[] = [];
  Object.entries(fields).forEach(([name, f], order) => {
    const o = f.options as Record<string, unknown>;
    let prop: JsonSchema;
    if (Array.isArray(o.choices)) {
      enums[name] = { title: name, description: "An enumeration.", enum: [...o.choices], type: f.kind };
      prop = { allOf: [{ $ref: `#/components/schemas/${name}` }] };
    } else {
      prop = itemSchema(f);
    }
    prop = { title: title(name), ...prop, "x-order": order };
    if (o.description !== undefined) prop.description = o.description;
    if (o.default !== undefined) prop.default = o.default;
    if (o.deprecated) prop.deprecated = true;
    properties[name] = prop;
    if (isRequired(f)) required.push(name);
  });
  const input: JsonSchema = { title: "Input", type: "object", properties };
  if (required.length) input.required = required;
  return { input, enums };
}

/**
 * A self-contained schema for validating inputs against an OpenAPI document's
 * `components.schemas`: the `Input` schema with unknown names rejected and
 * `$ref`s resolvable.
 */
export function inputValidationSchema(schemas: Record<string, JsonSchema>): JsonSchema {
  const input = schemas.Input;
  if (!input) throw new Error("OpenAPI document has no components.schemas.Input");
  return { ...input, additionalProperties: false, components: { schemas } };
}
