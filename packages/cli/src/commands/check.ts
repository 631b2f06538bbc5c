import { Command } from "commander";
import { projectDirOption, runAction } from "../command-helpers.js";

interface CheckFlags {
  project: string;
  debug?: boolean;
}

/** Loads the project and the type checker only when the command runs. */
async function check(flags: CheckFlags): Promise<void> {
  const [{ loadProject }, { assertTypeChecks }] = await Promise.all([import("@tscog/runtime"), import("../type-check/type-check.js")]);
  const project = await loadProject(flags.project);
  const { compiler, config } = await assertTypeChecks(project, "tscog build runs this check too; skip it there with --skip-type-check");
  process.stderr.write(`No type errors (TypeScript ${compiler.version} from ${compiler.source === "project" ? "the project" : "tscog's installation"}, ${config}).\n`);
}

/** `tscog check`: runs the TypeScript compiler over the project; errors print as `predict.ts:LINE:COL message`. */
export function registerCheck(program: Command): Command {
  return program
    .command("check")
    .description("Type-check the project with the TypeScript compiler (its own typescript, else tscog's)")
    .addOption(projectDirOption())
    .option("--debug", "show stack traces")
    .action(runAction(check));
}
