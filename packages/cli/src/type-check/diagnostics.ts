import { isAbsolute, relative, resolve } from "node:path";

/** One compiler error, located in the project. */
export interface TypeDiagnostic {
  /** Path relative to the project directory (absolute when outside it); undefined for global errors. */
  file?: string;
  line?: number;
  column?: number;
  /** The compiler's code, e.g. "TS2322". */
  code: string;
  message: string;
}

const LOCATED = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/;
const GLOBAL = /^error (TS\d+): (.*)$/;

/** Parses `tsc --pretty false` output (run in `cwd`) into diagnostics with paths relative to `projectDir`. */
export function parseTscOutput(output: string, cwd: string, projectDir: string): TypeDiagnostic[] {
  const out: TypeDiagnostic[] = [];
  for (const line of output.split(/\r?\n/)) {
    const located = LOCATED.exec(line);
    const global = located ? undefined : GLOBAL.exec(line);
    if (located) {
      const abs = resolve(cwd, located[1]!);
      const rel = relative(projectDir, abs);
      out.push({ file: rel.startsWith("..") || isAbsolute(rel) ? abs : rel, line: Number(located[2]), column: Number(located[3]), code: located[4]!, message: located[5]! });
    } else if (global) {
      out.push({ code: global[1]!, message: global[2]! });
    } else if (/^\s+\S/.test(line) && out.length > 0) {
      out[out.length - 1]!.message += `\n${line}`; // elaboration of the previous error
    }
  }
  return out;
}

/** `predict.ts:LINE:COL message (TS2322)`: the form editors and CI problem matchers read. */
export function formatDiagnostic(d: TypeDiagnostic): string {
  const where = d.file === undefined ? "" : `${d.file}:${d.line}:${d.column} `;
  return `${where}${d.message} (${d.code})`;
}
