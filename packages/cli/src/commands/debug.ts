import { Command } from "commander";
import { formatPlan, planProjectImage, summarizePlan } from "@tscog/image";
import { projectDirOption, runAction } from "../command-helpers.js";
import { withProjectImage, type ImageFlags } from "../image-build.js";

interface DebugFlags extends ImageFlags {
  json?: boolean;
}

/** `tscog debug`: prints the image's build plan without building a layer, as `cog debug` prints its Dockerfile. */
export function registerDebug(program: Command): Command {
  return program
    .command("debug")
    .description("Print the image's build plan (base, layers with their files, sources and sizes, labels, env, entrypoint) without building it")
    .addOption(projectDirOption())
    .option("--gpu", "plan for GPU (overrides build.gpu)")
    .option("--no-gpu", "plan for CPU (overrides build.gpu)")
    .option("--json", "print the plan as JSON, every file group listed")
    .option("--debug", "show stack traces")
    .action(
      runAction(async (flags: DebugFlags) => {
        const summary = await withProjectImage({ ...flags, progress: "quiet" }, async (_project, options) => summarizePlan(await planProjectImage(options)));
        process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatPlan(summary));
      }),
    );
}
