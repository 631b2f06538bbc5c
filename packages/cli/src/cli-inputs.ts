import { readFileSync } from "node:fs";
import { TscogError, InputError, type JsonSchema } from "@tscog/sdk";

type Schemas = Record<string, JsonSchema>;

function kindOf(prop: JsonSchema | undefined, schemas: Schemas): string | undefined {
  if (!prop) return undefined;
  const ref = (prop.allOf as JsonSchema[] | undefined)?.[0]?.$ref as string | undefined;
  if (ref) return kindOf(schemas[ref.split("/").pop()!], schemas);
  if (prop.format === "uri") return "path";
  return prop.type as string | undefined;
}

function coerce(name: string, raw: string, kind: string | undefined): unknown {
  const bad = (what: string) =>
    new InputError(`Input "${name}" must be ${what}, got ${JSON.stringify(raw)} (from -i ${name}=...).`, {
      field: name,
      details: [{ loc: ["body", "input", name], msg: `must be ${what}`, type: `type_error.${kind}` }],
    });
  switch (kind) {
    case "integer":
      if (!/^[+-]?\d+$/.test(raw.trim())) throw bad("an integer");
      return Number(raw);
    case "number": {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n)) throw bad("a number");
      return n;
    }
    case "boolean": {
      const v = raw.trim().toLowerCase();
      if (["true", "1", "yes"].includes(v)) return true;
      if (["false", "0", "no"].includes(v)) return false;
      throw bad("true or false");
    }
    default:
      return raw;
  }
}

/** Reads `@file` for a non-path input, keeps `@file` → `file` for path inputs. */
function expandAt(name: string, raw: string, kind: string | undefined): string {
  if (!raw.startsWith("@")) return raw;
  const file = raw.slice(1);
  if (kind === "path") return file;
  try {
    return readFileSync(file, "utf8");
  } catch (err: any) {
    throw new InputError(`Input "${name}": cannot read ${file} (from -i ${name}=@${file}): ${err?.code === "ENOENT" ? "no such file" : err?.message}.`, {
      field: name,
    });
  }
}

/** Parses `--json` as inline JSON, `@file` or `@-` (standard input). */
export function parseJsonInput(arg: string): Record<string, unknown> {
  let text = arg;
  if (arg === "@-") text = readFileSync(0, "utf8");
  else if (arg.startsWith("@")) {
    try {
      text = readFileSync(arg.slice(1), "utf8");
    } catch (err: any) {
      throw new TscogError("BAD_REQUEST", `--json ${arg}: cannot read ${arg.slice(1)}: ${err?.code === "ENOENT" ? "no such file" : err?.message}.`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err: any) {
    throw new TscogError("BAD_REQUEST", `--json is not valid JSON: ${err.message}. Give an object such as '{"prompt": "hello"}', @file or @- for standard input.`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TscogError("BAD_REQUEST", `--json must be a JSON object of inputs such as '{"prompt": "hello"}'.`);
  }
  const obj = value as Record<string, unknown>;
  // Accept a whole prediction request ({"input": {...}}) as Cog does.
  if (Object.keys(obj).length === 1 && obj.input && typeof obj.input === "object") return obj.input as Record<string, unknown>;
  return obj;
}

/**
 * Turns `-i name=value` options into an input object, converting each value
 * to the declared type; repeating a name builds a list.
 */
export function parseCliInputs(pairs: readonly string[], schemas: Schemas, base: Record<string, unknown> = {}): Record<string, unknown> {
  const properties = (schemas.Input?.properties ?? {}) as Record<string, JsonSchema>;
  const input: Record<string, unknown> = { ...base };
  const seen = new Set<string>();
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      throw new TscogError("BAD_REQUEST", `-i expects name=value (or name=@file), got ${JSON.stringify(pair)}.`, {
        hint: `Inputs of this predictor: ${Object.keys(properties).join(", ") || "(none)"}.`,
      });
    }
    const name = pair.slice(0, eq);
    const prop = properties[name];
    const isList = prop?.type === "array";
    const kind = kindOf(isList ? (prop!.items as JsonSchema) : prop, schemas);
    const value = coerce(name, expandAt(name, pair.slice(eq + 1), kind), kind);
    if (isList) {
      const list = seen.has(name) && Array.isArray(input[name]) ? (input[name] as unknown[]) : [];
      list.push(value);
      input[name] = list;
    } else if (seen.has(name)) {
      throw new TscogError("BAD_REQUEST", `-i ${name} was given more than once, but "${name}" is not a list input.`, { field: name });
    } else {
      input[name] = value;
    }
    seen.add(name);
  }
  return input;
}
