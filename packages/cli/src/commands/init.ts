import { existsSync } from "node:fs";
import { cp, mkdir } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { Command } from "commander";
import { ConfigError, TscogError, closest } from "@tscog/sdk";
import { runAction } from "../command-helpers.js";
import { templateNames, templatesDir } from "../templates.js";

interface InitFlags {
  template: string;
  force?: boolean;
  debug?: boolean;
}

async function init(flags: InitFlags, dir = "."): Promise<number> {
  const names = templateNames();
  if (!names.includes(flags.template)) {
    const guess = closest(flags.template, names);
    throw new TscogError("BAD_REQUEST", `There is no template "${flags.template}"${guess ? ` (did you mean "${guess}"?)` : ""}. Templates: ${names.join(", ")}.`);
  }
  const target = resolve(dir);
  if (existsSync(join(target, "cog.yaml")) && !flags.force) {
    throw new ConfigError(`${join(target, "cog.yaml")} already exists; use --force to overwrite the project files, or choose another directory.`, {
      file: join(target, "cog.yaml"),
    });
  }
  await mkdir(target, { recursive: true });
  await cp(join(templatesDir(), flags.template), target, { recursive: true, force: true });
  const shown = relative(process.cwd(), target) || ".";
  process.stderr.write(
    `Created a "${flags.template}" project in ${shown}.\nNext: ${shown === "." ? "" : `cd ${shown} && `}tscog predict -i prompt="Hello"\n`,
  );
  return 0;
}

/** `tscog init`: scaffolds a project from a template. */
export function registerInit(program: Command): Command {
  return program
    .command("init")
    .description("Create a new project (cog.yaml + predict.ts) from a template")
    .argument("[dir]", "where to create it", ".")
    .option("-t, --template <name>", "template to start from (hello, tiny-lm, ...)", "hello")
    .option("-f, --force", "overwrite existing project files")
    .option("--debug", "show stack traces")
    .action(runAction(init));
}
