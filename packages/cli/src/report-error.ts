import { TscogError, toTscogError } from "@tscog/sdk";
import { fromSystemError } from "./system-errors.js";

/**
 * Prints an error the way the CLI shows every failure: one paragraph, no
 * stack trace unless `debug`. Returns the exit code for it (`ERROR_CODES`
 * in @tscog/sdk maps codes to exit codes; the README lists them).
 */
export function reportError(err: unknown, debug: boolean, stderr: NodeJS.WritableStream = process.stderr): number {
  const e = err instanceof TscogError ? err : (fromSystemError(err) ?? toTscogError(err));
  stderr.write(`error: ${e.message}\n`);
  if (e.hint) stderr.write(`${e.hint}\n`);
  if (debug) {
    const stack = (e.cause instanceof Error ? e.cause.stack : undefined) ?? e.stack;
    if (stack) stderr.write(`\n${stack}\n`);
  } else if (e.code === "INTERNAL") {
    stderr.write("(this looks like a bug in tscog; run again with --debug for the stack trace)\n");
  }
  return e.exitCode;
}
