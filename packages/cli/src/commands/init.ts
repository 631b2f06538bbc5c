import { Command } from "commander";
import { runAction } from "../command-helpers.js";
import type { InitFlags } from "./init-action.js";

/** `tscog init`: scaffolds a project from a template, with package.json, tsconfig.json and ignore files beside it. */
export function registerInit(program: Command): Command {
  return program
    .command("init")
    .description("Create a new project (predict.ts, cog.yaml, package.json, tsconfig.json, .gitignore, .dockerignore) from a template")
    .argument("[dir]", "where to create it", ".")
    .option("-t, --template <name>", "template to start from (hello, tiny-lm, ...)", "hello")
    .option("-f, --force", "overwrite the template's files (cog.yaml, predict.ts, ...) when they exist; package.json, tsconfig.json and the ignore files are never overwritten")
    .option("--debug", "show stack traces")
    .action(runAction(async (flags: InitFlags, dir?: string) => (await import("./init-action.js")).initCommand(flags, dir)));
}
