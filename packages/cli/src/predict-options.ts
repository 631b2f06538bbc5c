import { Option, type Command } from "commander";
import { TscogError } from "@tscog/sdk";
import { collect } from "./command-helpers.js";
import type { OutputFormat } from "./output-printer.js";

/** Flags of `tscog predict`, local and `--image`. */
export interface PredictFlags {
  input: string[];
  json?: string;
  output?: string;
  outputFormat?: OutputFormat;
  env: string[];
  setupTimeout?: string;
  project: string;
  debug?: boolean;
  image?: string;
}

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

/** Adds the flags `tscog predict` shares between local runs and `--image`. */
export function addPredictOptions(command: Command): Command {
  return command
    .option("-i, --input <name=value>", "an input; name=@file reads a file; repeat a name to build a list", collect, [])
    .option("--json <json|@file|@->", "inputs as a JSON object (inline, @file or @- for stdin); as in Cog, the output is then the prediction object as JSON")
    .option("-o, --output <path>", "write the output here: a file output (default output.<ext> in this directory; several: PATH.0.ext, PATH.1.ext…), or also the text")
    .addOption(new Option("--output-format <format>", "text: the output as it comes, files written to disk; json: the prediction object (default json with --json, else text)").choices(["text", "json"]))
    .option("-e, --env <NAME=value>", "environment variable for the predictor (repeatable; with --image, set in the container)", collect, [])
    .option("--setup-timeout <seconds>", "fail when setup() takes longer (default cog.yaml server.setup_timeout, else 600; 0 for none)");
}
