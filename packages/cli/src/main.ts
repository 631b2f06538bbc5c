import { Command, CommanderError } from "commander";
import { registerBuild } from "./commands/build.js";
import { registerDeploy } from "./commands/deploy.js";
import { registerCheck } from "./commands/check.js";
import { registerInit } from "./commands/init.js";
import { registerPredict } from "./commands/predict.js";
import { registerPush } from "./commands/push.js";
import { registerSchema } from "./commands/schema.js";
import { registerServe } from "./commands/serve.js";
import { registerRun } from "./commands/run.js";
import { registerLogin } from "./commands/login.js";
import { registerDebug } from "./commands/debug.js";

/** Builds the `tscog` command line program. */
export function createProgram(): Command {
  const program = new Command("tscog")
    .description("Package TypeScript models: run them, serve them with live streaming, ship them as OCI images.")
    .version("0.1.0")
    .showSuggestionAfterError()
    .enablePositionalOptions()
    .exitOverride();
  registerInit(program);
  registerPredict(program);
  registerSchema(program);
  registerCheck(program);
  registerServe(program);
  registerBuild(program);
  registerPush(program);
  registerRun(program);
  registerLogin(program);
  registerDebug(program);
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
