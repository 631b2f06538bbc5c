import type { Path } from "./predictor.js";
import type { Secret } from "./secret.js";

/** The kinds of value an input can hold. */
export type InputKind = "string" | "integer" | "number" | "boolean" | "path" | "secret" | "list";

/** Options every input kind accepts (Cog's names where Cog has one). */
export interface CommonOptions<T> {
  description?: string;
  default?: T;
  /** With no default: may be left out (the predictor gets `undefined`). */
  optional?: boolean;
  /** Shown in the schema; still accepted. */
  deprecated?: boolean;
}

export interface StringOptions extends CommonOptions<string> {
  minLength?: number;
  maxLength?: number;
  /** A regular expression the whole value must match. */
  regex?: string;
  choices?: readonly string[];
}

export interface NumberOptions extends CommonOptions<number> {
  /** Minimum, inclusive. */
  ge?: number;
  /** Maximum, inclusive. */
  le?: number;
  choices?: readonly number[];
}

export interface ListOptions<T> extends CommonOptions<T[]> {
  minLength?: number;
  maxLength?: number;
}

/** One declared input. `T` is the value the predictor receives. */
export interface InputField<T = unknown, Req extends boolean = boolean> {
  readonly kind: InputKind;
  readonly options: CommonOptions<unknown> & Record<string, unknown>;
  /** For lists: the item declaration. */
  readonly item?: InputField;
  /** Phantom: the value's TypeScript type. Never set at run time. */
  readonly __type?: T;
  /** Phantom: whether the predictor always receives a value. */
  readonly __required?: Req;
}

/** A record of named input declarations. */
export type InputFields = Record<string, InputField>;

type HasValue<O> = O extends { default: unknown } ? true : O extends { optional: true } ? false : true;

/** The TypeScript type of `predict`'s first argument for declared inputs. */
export type InputsOf<F> = F extends InputFields
  ? { [K in keyof F as F[K] extends InputField<any, true> ? K : never]: ValueOf<F[K]> } & {
      [K in keyof F as F[K] extends InputField<any, true> ? never : K]?: ValueOf<F[K]>;
    }
  : never;

type ValueOf<F> = F extends InputField<infer T, boolean> ? T : never;

function field<T, O extends CommonOptions<any>>(
  kind: InputKind,
  options: O | undefined,
  item?: InputField,
): InputField<T, HasValue<O>> {
  return Object.freeze({ kind, options: { ...(options ?? {}) } as CommonOptions<unknown> & Record<string, unknown>, item });
}

/**
 * Input declarations. Each one gives run-time validation, the TypeScript type
 * of `predict`'s argument, and the OpenAPI schema, from one place.
 *
 * @example
 * const inputs = {
 *   prompt: Input.string({ description: "Text to continue", minLength: 1 }),
 *   steps: Input.integer({ default: 20, ge: 1, le: 100 }),
 *   style: Input.string({ default: "plain", choices: ["plain", "fancy"] }),
 * };
 */
export const Input = {
  string<const O extends StringOptions>(options?: O) {
    return field<O extends { choices: readonly (infer C)[] } ? C : string, O>("string", options);
  },
  integer<const O extends NumberOptions>(options?: O) {
    return field<number, O>("integer", options);
  },
  number<const O extends NumberOptions>(options?: O) {
    return field<number, O>("number", options);
  },
  boolean<const O extends CommonOptions<boolean>>(options?: O) {
    return field<boolean, O>("boolean", options);
  },
  /** A file: a local path on the CLI, a data: URI or http(s) URL on the server; always a local path for `predict`. */
  path<const O extends CommonOptions<string>>(options?: O) {
    return field<Path, O>("path", options);
  },
  /** A credential: never printed or logged; read it with `.value`. */
  secret<const O extends CommonOptions<string>>(options?: O) {
    return field<Secret, O>("secret", options);
  },
  /** A list of another input kind. Repeating `-i name=...` on the CLI builds one. */
  list<I extends InputField, const O extends ListOptions<unknown>>(item: I, options?: O) {
    return field<ValueOf<I>[], O>("list", options, item);
  },
};

/** Whether the predictor always receives a value for this input. */
export function isRequired(f: InputField): boolean {
  return f.options.default === undefined && f.options.optional !== true;
}
