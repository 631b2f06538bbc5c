/**
 * Checks a predictor's input declarations before any prediction runs: a
 * default outside its choices, `ge` above `le` or a regex that does not
 * compile would otherwise pass `tscog schema` and then fail every request as
 * the caller's mistake.
 */
import type { InputField, InputKind } from "./inputs.js";
import { closest } from "./suggest.js";

/** One mistake in one input's declaration, in the author's terms. */
export interface DeclarationProblem {
  /** The input's name. */
  input: string;
  /** What is wrong and what is allowed, e.g. `default 200 is greater than le (100)`. */
  message: string;
}

const COMMON = ["description", "default", "optional", "deprecated"];
const OPTIONS: Record<InputKind, readonly string[]> = {
  string: [...COMMON, "minLength", "maxLength", "regex", "choices"],
  integer: [...COMMON, "ge", "le", "choices"],
  number: [...COMMON, "ge", "le", "choices"],
  boolean: COMMON,
  path: COMMON,
  secret: COMMON,
  list: [...COMMON, "minLength", "maxLength"],
};

const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : Array.isArray(v) ? JSON.stringify(v) : String(v));

function isField(v: unknown): v is InputField {
  return v !== null && typeof v === "object" && typeof (v as InputField).kind === "string" && (v as InputField).kind in OPTIONS && "options" in (v as object);
}

/** What a value of this kind must be, for messages ("a string"), and whether `value` is one. */
function typeCheck(kind: InputKind, value: unknown): string | undefined {
  switch (kind) {
    case "string":
    case "path":
    case "secret":
      return typeof value === "string" ? undefined : "a string";
    case "integer":
      return Number.isInteger(value) ? undefined : "an integer";
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? undefined : "a finite number";
    case "boolean":
      return typeof value === "boolean" ? undefined : "true or false";
    case "list":
      return Array.isArray(value) ? undefined : "a list";
  }
}

/** Why `value` could never be accepted by `f` (type, range, length, pattern, items); undefined when it could. */
function valueProblem(f: InputField, value: unknown, withChoices: boolean): string | undefined {
  const o = f.options as Record<string, any>;
  const expected = typeCheck(f.kind, value);
  if (expected) return `is not ${expected}`;
  if (withChoices && Array.isArray(o.choices) && !o.choices.includes(value)) {
    return `is not one of its choices (${o.choices.map(show).join(", ")})`;
  }
  if (typeof value === "number") {
    if (typeof o.ge === "number" && value < o.ge) return `is less than ge (${o.ge})`;
    if (typeof o.le === "number" && value > o.le) return `is greater than le (${o.le})`;
  }
  if (typeof value === "string" && f.kind === "string") {
    const length = [...value].length;
    if (typeof o.minLength === "number" && length < o.minLength) return `is shorter than minLength (${o.minLength})`;
    if (typeof o.maxLength === "number" && length > o.maxLength) return `is longer than maxLength (${o.maxLength})`;
    if (typeof o.regex === "string") {
      const re = compile(o.regex);
      if (re && !re.test(value)) return `does not match regex ${o.regex}`;
    }
  }
  if (Array.isArray(value) && f.kind === "list") {
    if (typeof o.minLength === "number" && value.length < o.minLength) return `has fewer items than minLength (${o.minLength})`;
    if (typeof o.maxLength === "number" && value.length > o.maxLength) return `has more items than maxLength (${o.maxLength})`;
    for (const [i, item] of value.entries()) {
      const p = f.item && isField(f.item) ? valueProblem(f.item, item, true) : undefined;
      if (p) return `has item ${i} (${show(item)}) that ${p}`;
    }
  }
  return undefined;
}

/** The regex as the validator compiles it (ajv: unicode flag); undefined when it does not compile. */
function compile(regex: string): RegExp | undefined {
  try {
    return new RegExp(regex, "u");
  } catch {
    return undefined;
  }
}

/** Problems with the options themselves: unknown names, bounds of the wrong type or crossed, bad regex, bad choices. */
function optionProblems(f: InputField, role: string): string[] {
  const o = f.options as Record<string, any>;
  const problems: string[] = [];
  const allowed = OPTIONS[f.kind];
  for (const key of Object.keys(o)) {
    if (allowed.includes(key) || o[key] === undefined) continue;
    const guess = closest(key, allowed);
    problems.push(`${role}has an unknown option "${key}"${guess ? ` (did you mean "${guess}"?)` : ""}; options of Input.${f.kind}(): ${allowed.join(", ")}`);
  }
  for (const key of ["ge", "le"]) {
    if (o[key] !== undefined && (typeof o[key] !== "number" || !Number.isFinite(o[key]))) problems.push(`${role}${key} must be a finite number, got ${show(o[key])}`);
  }
  if (typeof o.ge === "number" && typeof o.le === "number" && o.ge > o.le) {
    problems.push(`${role}ge (${o.ge}) is greater than le (${o.le}), so no value could be accepted`);
  }
  for (const key of ["minLength", "maxLength"]) {
    if (o[key] !== undefined && !(Number.isInteger(o[key]) && o[key] >= 0)) problems.push(`${role}${key} must be a whole number of 0 or more, got ${show(o[key])}`);
  }
  if (Number.isInteger(o.minLength) && Number.isInteger(o.maxLength) && o.minLength > o.maxLength) {
    problems.push(`${role}minLength (${o.minLength}) is greater than maxLength (${o.maxLength}), so no value could be accepted`);
  }
  if (o.regex !== undefined) {
    if (typeof o.regex !== "string") problems.push(`${role}regex must be a string, got ${show(o.regex)}`);
    else {
      try {
        new RegExp(o.regex, "u");
      } catch (err) {
        problems.push(`${role}regex ${o.regex} is not a valid regular expression: ${(err as Error).message}`);
      }
    }
  }
  if (o.choices !== undefined) {
    if (!Array.isArray(o.choices) || o.choices.length === 0) {
      problems.push(`${role}choices must be a non-empty list of allowed values, got ${show(o.choices)}`);
    } else {
      for (const choice of o.choices) {
        const p = valueProblem(f, choice, false);
        if (p) problems.push(`${role}choice ${show(choice)} ${p}, so it could never be accepted`);
      }
      const duplicate = o.choices.find((c: unknown, i: number) => o.choices.indexOf(c) !== i);
      if (duplicate !== undefined) problems.push(`${role}choice ${show(duplicate)} is listed twice`);
    }
  }
  for (const key of ["optional", "deprecated"]) {
    if (o[key] !== undefined && typeof o[key] !== "boolean") problems.push(`${role}${key} must be true or false, got ${show(o[key])}`);
  }
  if (o.description !== undefined && typeof o.description !== "string") problems.push(`${role}description must be a string, got ${show(o.description)}`);
  return problems;
}

function fieldProblems(f: InputField): string[] {
  const o = f.options as Record<string, any>;
  const problems = optionProblems(f, "");
  if (f.kind === "list") {
    if (!isField(f.item)) {
      problems.push(`the list's item is not an input declaration; write Input.list(Input.string()), Input.list(Input.path()), ...`);
    } else {
      problems.push(...optionProblems(f.item, "the list's item "));
      for (const key of ["default", "optional"]) {
        if (f.item.options[key] !== undefined) problems.push(`the list's item has ${key}, which a list's item cannot use; put ${key} on the list: Input.list(item, { ${key}: ... })`);
      }
    }
  }
  if (o.default === null) {
    problems.push(`default is null, which is not ${typeCheck(f.kind, undefined)}; to let callers leave the input out, use optional: true (predict then gets undefined)`);
  } else if (o.default !== undefined && problems.length === 0) {
    const p = valueProblem(f, o.default, true);
    if (p) problems.push(`default ${show(o.default)} ${p}; a default must be a value the input accepts`);
  }
  return problems;
}

/**
 * Every mistake in a predictor's `static inputs`, one entry per problem (an
 * empty list when the declarations are sound).
 *
 * @example
 * inputDeclarationProblems({ steps: Input.integer({ default: 200, le: 100 }) });
 * // [{ input: "steps", message: "default 200 is greater than le (100); a default must be a value the input accepts" }]
 */
export function inputDeclarationProblems(inputs: unknown): DeclarationProblem[] {
  if (inputs === undefined) return [];
  if (inputs === null || typeof inputs !== "object" || Array.isArray(inputs)) {
    return [{ input: "", message: `static inputs must be an object of named declarations such as { prompt: Input.string() }, got ${show(inputs)}` }];
  }
  const problems: DeclarationProblem[] = [];
  for (const [input, f] of Object.entries(inputs)) {
    if (!isField(f)) {
      problems.push({ input, message: `is not an input declaration; use Input.string(), Input.integer(), ... from "tscog"` });
      continue;
    }
    for (const message of fieldProblems(f)) problems.push({ input, message });
  }
  return problems;
}
