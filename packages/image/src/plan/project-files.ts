import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import dockerignore from "@balena/dockerignore";

/** A file of the project, with its path relative to the project directory. */
export interface ProjectFile {
  rel: string;
  file: string;
  size: number;
  mode: number;
}

/** Directories never copied into an image. */
const IGNORED = new Set(["node_modules", ".git", ".tscog", ".cache", "dist", ".hg", ".svn"]);

/** Directory names whose files count as weights whatever their size. */
const WEIGHT_DIRS = new Set(["model", "models", "weights", "checkpoints"]);

/** Files the build always reads, whatever `.dockerignore` says. */
const ALWAYS = new Set(["cog.yaml"]);

/** The project's `.dockerignore` as a test of relative paths (Docker's own matching rules), or undefined without one. */
async function dockerignoreOf(dir: string): Promise<{ ignores(rel: string): boolean; negates: boolean } | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, ".dockerignore"), "utf8");
  } catch {
    return undefined;
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  // A CommonJS package: Node hands ESM its module.exports, which carries the factory as `.default` too.
  const rules = dockerignore.default().add(lines);
  return { ignores: (rel) => rules.ignores(rel), negates: lines.some((l) => l.startsWith("!")) };
}

/**
 * Lists the project's files (sorted), skipping `node_modules`, VCS and build directories and
 * what the project's `.dockerignore` excludes (as `docker build` would; `cog.yaml` is always read).
 */
export async function listProjectFiles(dir: string): Promise<ProjectFile[]> {
  const out: ProjectFile[] = [];
  const ignore = await dockerignoreOf(dir);
  const visit = async (d: string): Promise<void> => {
    for (const ent of await readdir(d, { withFileTypes: true })) {
      const full = join(d, ent.name);
      const rel = relative(dir, full).split(sep).join("/");
      if (ent.isDirectory()) {
        // An excluded directory is still walked when a "!" rule may take a file inside back.
        if (!IGNORED.has(ent.name) && !(ignore?.ignores(rel) && !ignore.negates)) await visit(full);
      } else if (ent.isFile()) {
        if (ignore?.ignores(rel) && !ALWAYS.has(rel)) continue;
        const st = await stat(full);
        out.push({ rel, file: full, size: st.size, mode: st.mode });
      }
    }
  };
  await visit(dir);
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** True when a file belongs in the weights layer: larger than `threshold` bytes or under a model/weights directory. */
export function isWeightFile(file: ProjectFile, threshold: number): boolean {
  return file.size > threshold || file.rel.split("/").slice(0, -1).some((d) => WEIGHT_DIRS.has(d));
}
