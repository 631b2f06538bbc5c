import { Command, CommanderError } from "commander";
import { registerBuild } from "./commands/build.js";
import { registerCheck } from "./commands/check.js";
import { registerDeploy } from "./commands/deploy.js";
import { registerInit } from "./commands/init.js";
import { registerPredict } from "./commands/predict.js";
import { registerPush } from "./commands/push.js";
import { registerSchema } from "./commands/schema.js";
import { registerServe } from "./commands/serve.js";

/** Builds the `tscog` command line program. */
export function createProgram(): Command {
  const program = new Command("tscog")
    .description("Package TypeScript models: run them, serve them with live streaming, ship them as OCI images.")
    .version("0.1.0")
    .showSuggestionAfterError()
    .exitOverride();
  registerInit(program);
  registerPredict(program);
  registerSchema(program);
  registerCheck(program);
  registerServe(program);
  registerBuild(program);
  registerPush(program);
  registerDeploy(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
}
