import { existsSync } from "node:fs";
import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { ConfigError, TscogError, closest } from "@tscog/sdk";
import { projectSetupFiles, templateNames, templatesDir, tscogPackageDir } from "../templates.js";

// The implementation of `tscog init`, loaded only when it runs.

/** Flags of `tscog init`. */
export interface InitFlags {
  template: string;
  force?: boolean;
  debug?: boolean;
}

/** Files under `dir`, relative to it. */
async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const ent of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${ent.name}` : ent.name;
    if (ent.isDirectory()) out.push(...(await filesUnder(dir, rel)));
    else out.push(rel);
  }
  return out;
}

/** A line for an existing package.json that does not depend on tscog yet. */
async function dependencyHint(target: string): Promise<string | undefined> {
  try {
    const pkg = JSON.parse(await readFile(join(target, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    if (pkg.dependencies?.tscog) return undefined;
  } catch {
    return "package.json could not be read as JSON; fix it, then add tscog to its dependencies";
  }
  return `package.json has no tscog dependency yet; add it with: npm install ${tscogPackageDir()}`;
}

/** `tscog init [DIR]`: copies the template and writes the project setup files that are missing. */
export async function initCommand(flags: InitFlags, dir = "."): Promise<number> {
  const names = templateNames();
  if (!names.includes(flags.template)) {
    const guess = closest(flags.template, names);
    throw new TscogError("BAD_REQUEST", `There is no template "${flags.template}"${guess ? ` (did you mean "${guess}"?)` : ""}. Templates: ${names.join(", ")}.`);
  }
  const target = resolve(dir);
  if (existsSync(join(target, "cog.yaml")) && !flags.force) {
    throw new ConfigError(`${join(target, "cog.yaml")} already exists; use --force to overwrite the template's files (cog.yaml, predict.ts, ...), or choose another directory.`, {
      file: join(target, "cog.yaml"),
    });
  }
  await mkdir(target, { recursive: true });
  const written: string[] = [];
  const skipped: string[] = [];
  // The template's own files: replaced only with --force.
  const template = join(templatesDir(), flags.template);
  for (const rel of await filesUnder(template)) {
    if (existsSync(join(target, rel)) && !flags.force) skipped.push(rel);
    else written.push(rel);
  }
  await cp(template, target, { recursive: true, force: Boolean(flags.force), errorOnExist: false });
  // The project setup (package.json, tsconfig.json, ignore files) may be the user's own: never replaced.
  for (const [name, text] of Object.entries(projectSetupFiles(target))) {
    if (existsSync(join(target, name))) {
      skipped.push(name);
    } else {
      await writeFile(join(target, name), text, { flag: "wx" });
      written.push(name);
    }
  }
  const shown = relative(process.cwd(), target) || ".";
  const lines = [`Created a "${flags.template}" project in ${shown}: ${[...new Set(written.map((f) => f.replace(/\/.*$/, "/")))].join(", ")}.`];
  if (skipped.length > 0) lines.push(`Kept existing files (not overwritten): ${skipped.join(", ")}.`);
  const hint = skipped.includes("package.json") ? await dependencyHint(target) : undefined;
  if (hint) lines.push(hint);
  lines.push(`Next: ${shown === "." ? "" : `cd ${shown} && `}npm install && tscog predict -i prompt="Hello"`);
  process.stderr.write(`${lines.join("\n")}\n`);
  return 0;
}

