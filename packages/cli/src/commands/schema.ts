import { Command } from "commander";
import { loadPredictor, loadProject } from "@tscog/runtime";
import { projectDirOption, runAction } from "../command-helpers.js";

/** `tscog schema`: prints the OpenAPI document without running setup(). */
export function registerSchema(program: Command): Command {
  return program
    .command("schema")
    .description("Print the predictor's OpenAPI schema (Cog-compatible) without running setup()")
    .addOption(projectDirOption())
    .option("--debug", "show stack traces")
    .action(
      runAction(async (flags: { project: string }) => {
        const loaded = await loadPredictor(await loadProject(flags.project));
        process.stdout.write(`${JSON.stringify(loaded.openapi, null, 2)}\n`);
      }),
    );
}
