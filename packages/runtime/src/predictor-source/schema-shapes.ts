/**
 * JSON Schema shapes for the output type, from schemas already converted:
 * unions (enums, nullable, anyOf), merged object types, and the types
 * TypeScript's lib and "tscog" provide (`Path`, `Date`, `Record`, `Partial`, ...).
 */
import { schemaTitle, type JsonSchema } from "@tscog/sdk";

const distinct = (schemas: JsonSchema[]) => [...new Map(schemas.map((s) => [JSON.stringify(s), s])).values()];
const isNullOnly = (s: JsonSchema) => s.nullable === true && Object.keys(s).length === 1;
const isLiteral = (s: JsonSchema) => Array.isArray(s.enum) && Object.keys(s).length === 2;

/** Members of a union, converted: literals of one type → an enum, `null` → nullable, others → anyOf. */
export function unionSchema(schemas: JsonSchema[]): JsonSchema {
  const nullable = schemas.some(isNullOnly);
  const rest = schemas.filter((s) => !isNullOnly(s));
  const values = () => [...new Set(rest.flatMap((s) => s.enum as unknown[]))];
  let merged: JsonSchema;
  if (rest.length > 1 && new Set(rest.map((s) => s.type)).size === 1 && rest.every(isLiteral)) {
    merged = rest[0]!.type === "boolean" && values().length === 2 ? { type: "boolean" } : { type: rest[0]!.type, enum: values() };
  } else if (rest.length > 1 && rest.every((s) => (s.type === "integer" || s.type === "number") && isLiteral(s))) {
    merged = { type: "number", enum: values() };
  } else {
    const options = distinct(rest);
    merged = options.length === 0 ? {} : options.length === 1 ? options[0]! : { anyOf: options };
  }
  return nullable ? { ...merged, nullable: true } : merged;
}

/** Object schemas merged into one (an interface with `extends`, an intersection `A & B`). */
export function mergeObjectSchemas(schemas: JsonSchema[]): JsonSchema {
  if (schemas.length === 1) return schemas[0]!;
  const properties: Record<string, JsonSchema> = {};
  const required = new Set<string>();
  for (const schema of schemas) {
    Object.assign(properties, schema.properties ?? {});
    for (const r of (schema.required as string[] | undefined) ?? []) required.add(r);
  }
  return { type: "object", properties, ...(required.size ? { required: [...required] } : {}) };
}

/**
 * The schema for a type tscog knows by name (`Path`, `Secret`, `Date`,
 * `Array<T>`, `Record<K, V>`, `Partial<T>`, `Pick<T, K>`, ...); undefined for
 * other names. `arg(i)` converts the i-th type argument; `fail` reports an
 * argument these cannot take.
 */
export function builtinSchema(name: string, arg: (i: number) => JsonSchema, fail: (what: string) => never): JsonSchema | undefined {
  const objectArg = () => {
    const schema = arg(0);
    return schema.type === "object" ? schema : fail(`${name}<T> where T is not an object type`);
  };
  switch (name) {
    case "Path":
    case "URL":
      return { type: "string", format: "uri" };
    case "Secret":
      return { type: "string", format: "password", writeOnly: true, "x-cog-secret": true };
    case "Date":
      return { type: "string", format: "date-time" };
    case "String":
      return { type: "string" };
    case "Number":
      return { type: "number" };
    case "Boolean":
      return { type: "boolean" };
    case "Object":
      return { type: "object" };
    case "Array":
    case "ReadonlyArray":
      return { type: "array", items: arg(0) };
    case "Promise":
    case "Readonly":
    case "NonNullable":
      return arg(0);
    case "Record": {
      const keys = arg(0);
      const values = arg(1);
      if (Array.isArray(keys.enum)) {
        const properties = Object.fromEntries((keys.enum as unknown[]).map((k) => [String(k), { title: schemaTitle(String(k)), ...values }]));
        return { type: "object", properties, required: Object.keys(properties) };
      }
      return { type: "object", ...(Object.keys(values).length ? { additionalProperties: values } : {}) };
    }
    case "Partial":
    case "Required": {
      const { required: _, ...inner } = objectArg();
      return name === "Partial" ? inner : { ...inner, required: Object.keys((inner.properties as object) ?? {}) };
    }
    case "Pick":
    case "Omit": {
      const inner = objectArg();
      const keys = arg(1);
      if (!Array.isArray(keys.enum)) fail(`${name}<T, K> where K is not a union of string literals`);
      const listed = new Set((keys.enum as unknown[]).map(String));
      const keep = (k: string) => (name === "Pick" ? listed.has(k) : !listed.has(k));
      const properties = Object.fromEntries(Object.entries((inner.properties as Record<string, JsonSchema>) ?? {}).filter(([k]) => keep(k)));
      const required = ((inner.required as string[] | undefined) ?? []).filter(keep);
      return { type: "object", properties, ...(required.length ? { required } : {}) };
    }
    default:
      return undefined;
  }
}
