import { Option, type Command } from "commander";
import { collect } from "./command-helpers.js";
import type { OutputFormat } from "./output-printer.js";

// Only the flags live here, so that registering `tscog predict` loads nothing
// heavy; reading them (timeouts, output format) is in predict-settings.ts.

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
