import { fileURLToPath } from "node:url";

/** A position in the author's source. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

const FRAME = /\(?((?:file:\/\/)?\/[^():\s]+):(\d+):(\d+)\)?\s*$/;

/**
 * The first stack frame of `err` inside the author's project (source-mapped
 * back to their `.ts` file), preferring `preferFile`.
 */
export function authorLocation(err: unknown, preferFile: string): SourceLocation | undefined {
  const stack = err instanceof Error ? err.stack ?? "" : "";
  const frames: SourceLocation[] = [];
  for (const line of stack.split("\n").slice(1)) {
    const m = FRAME.exec(line.trim());
    if (!m) continue;
    const file = m[1]!.startsWith("file://") ? fileURLToPath(m[1]!) : m[1]!;
    if (file.includes("/node_modules/") || file.includes("/packages/runtime/") || file.startsWith("node:")) continue;
    frames.push({ file, line: Number(m[2]), column: Number(m[3]) });
  }
  return frames.find((f) => f.file === preferFile) ?? frames.find((f) => !f.file.endsWith(".mjs")) ?? undefined;
}
