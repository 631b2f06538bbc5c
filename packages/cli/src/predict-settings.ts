import { TscogError } from "@tscog/sdk";
import type { OutputFormat } from "./output-printer.js";
import type { PredictFlags } from "./predict-options.js";

/** `--output-format`, else JSON when the inputs came as `--json` (as `cog predict --json` prints the prediction), else text. */
export function outputFormat(flags: PredictFlags): OutputFormat {
  return flags.outputFormat ?? (flags.json ? "json" : "text");
}

/** `--setup-timeout` in ms (0 = none), else `fallbackSeconds`. */
export function setupTimeoutMs(flags: { setupTimeout?: string }, fallbackSeconds: number | undefined): number | undefined {
  if (flags.setupTimeout === undefined) return fallbackSeconds === undefined ? undefined : fallbackSeconds * 1000;
  const n = Number(flags.setupTimeout);
  if (flags.setupTimeout.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new TscogError("BAD_REQUEST", `--setup-timeout must be a number of seconds >= 0 (0 for none), got ${JSON.stringify(flags.setupTimeout)}.`);
  }
  return n * 1000;
}

/** Resolves with `promise`, or rejects with a TIMEOUT error after `ms` (none when 0 or undefined). */
export async function withTimeout<T>(promise: Promise<T>, ms: number | undefined, message: string): Promise<T> {
  if (!ms) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TscogError("TIMEOUT", message, { hint: "Raise it with --setup-timeout SECONDS (0 for none) or cog.yaml server.setup_timeout." })), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
