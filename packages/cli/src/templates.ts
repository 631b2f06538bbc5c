import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The folder holding project templates: `$TSCOG_TEMPLATES`, or `templates/` above this package. */
export function templatesDir(): string {
  if (process.env.TSCOG_TEMPLATES) return process.env.TSCOG_TEMPLATES;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (dir !== dirname(dir)) {
    const candidate = join(dir, "templates");
    if (existsSync(join(candidate, "hello", "cog.yaml"))) return candidate;
    dir = dirname(dir);
  }
  throw new Error("tscog's templates folder was not found next to its installation; set TSCOG_TEMPLATES");
}

/** Names of the project templates (folders with a cog.yaml). */
export function templateNames(): string[] {
  const dir = templatesDir();
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, "cog.yaml")))
    .map((d) => d.name)
    .sort();
}
