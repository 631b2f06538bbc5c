import { inspect } from "node:util";

const MASK = "**********";

/**
 * A credential passed as an input. Printing, logging or serialising it shows
 * a mask; only `.value` gives the real string.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself. Never log it. */
  get value(): string {
    return this.#value;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [inspect.custom](): string {
    return `Secret(${MASK})`;
  }
}
