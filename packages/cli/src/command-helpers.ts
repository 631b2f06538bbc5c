import { resolve } from "node:path";
import { Option } from "commander";

/** Commander reducer for repeatable options. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `-C, --project <dir>`: the project directory (default: the current one). */
export function projectDirOption(): Option {
  return new Option("-C, --project <dir>", "project directory (default: current directory)").default(process.cwd(), "cwd").argParser((d) => resolve(d));
}

/**
 * Wraps a command's action: its result is the exit code; any error is printed
 * as one paragraph (stack only with --debug) and mapped to its exit code.
 * The reporter (and @tscog/sdk behind it) is loaded only when an error
 * happens, so that registering the commands stays cheap.
 */
export function runAction<F extends object>(action: (flags: F, ...args: any[]) => Promise<number | void>) {
  return async (...args: any[]) => {
    const command = args[args.length - 1];
    const flags = (command?.opts?.() ?? {}) as F;
    const positional = args.slice(0, -2);
    try {
      process.exitCode = (await action(flags, ...positional)) ?? 0;
    } catch (err) {
      const { reportError } = await import("./report-error.js");
      process.exitCode = reportError(err, Boolean((flags as { debug?: boolean }).debug || process.env.TSCOG_DEBUG));
    }
  };
}
