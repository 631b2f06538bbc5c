import { Command } from "commander";
import { projectDirOption, runAction } from "../command-helpers.js";

/** Prints the OpenAPI document; the runtime is loaded only when the command runs. */
async function schema(flags: { project: string }): Promise<void> {
  const { loadPredictor, loadProject } = await import("@tscog/runtime");
  const loaded = await loadPredictor(await loadProject(flags.project));
  process.stdout.write(`${JSON.stringify(loaded.openapi, null, 2)}\n`);
}

/** `tscog schema`: prints the OpenAPI document without running setup(). */
export function registerSchema(program: Command): Command {
  return program
    .command("schema")
    .description("Print the predictor's OpenAPI schema (Cog-compatible) without running setup()")
    .addOption(projectDirOption())
    .option("--debug", "show stack traces")
    .action(runAction(schema));
}
