import { Command } from "commander";
import { projectDirOption, runAction } from "../command-helpers.js";
import { addPredictOptions, type PredictFlags } from "../predict-options.js";

export type { PredictFlags } from "../predict-options.js";

/** Runs the prediction here or in `--image`; each loads its implementation only when it runs. */
async function predict(flags: PredictFlags): Promise<number> {
  if (flags.image) return (await import("../image-predict.js")).predictInImage(flags);
  return (await import("./predict-action.js")).predictLocally(flags);
}

/** `tscog predict`: runs the project's predictor in-process and prints its output live. */
export function registerPredict(program: Command): Command {
  const command = program.command("predict").description("Run a prediction in this process and print output as it is generated (file outputs are written to output.<ext>)");
  return addPredictOptions(command)
    .addOption(projectDirOption())
    .option("--image <ref>", "run the prediction in this built image in the local Docker engine")
    .option("--debug", "show stack traces")
    .action(runAction(predict));
}
