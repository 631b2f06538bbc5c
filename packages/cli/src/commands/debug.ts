import { Command } from "commander";
import { projectDirOption, runAction } from "../command-helpers.js";
import type { ImageFlags } from "../image-build-options.js";

interface DebugFlags extends ImageFlags {
  json?: boolean;
}

/** Prints the build plan; the image builder is loaded only when the command runs. */
async function debugPlan(flags: DebugFlags): Promise<void> {
  const [{ formatPlan, planProjectImage, summarizePlan }, { withProjectImage }] = await Promise.all([import("@tscog/image"), import("../image-build.js")]);
  const summary = await withProjectImage({ ...flags, progress: "quiet" }, async (_project, options) => summarizePlan(await planProjectImage(options)));
  process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatPlan(summary));
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
    .action(runAction(debugPlan));
}
