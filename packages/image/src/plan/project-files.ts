import { readdir, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";

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

/** Lists the project's files (sorted), skipping `node_modules`, VCS and build directories. */
export async function listProjectFiles(dir: string): Promise<ProjectFile[]> {
  const out: ProjectFile[] = [];
  const visit = async (d: string): Promise<void> => {
    for (const ent of await readdir(d, { withFileTypes: true })) {
      const full = join(d, ent.name);
      if (ent.isDirectory()) {
        if (!IGNORED.has(ent.name)) await visit(full);
      } else if (ent.isFile()) {
        const st = await stat(full);
        out.push({ rel: relative(dir, full).split(sep).join("/"), file: full, size: st.size, mode: st.mode });
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
