import { writeFile } from "node:fs/promises";
import type { JsonSchema } from "@tscog/sdk";
import type { OutputKind } from "@tscog/runtime";
import { checkOutputPath, FileOutputWriter, fileOutputShape } from "./file-outputs.js";

/** `--output-format`: the plain output (text live, files written), or the prediction object as JSON at the end. */
export type OutputFormat = "text" | "json";

/** Options of `createOutputPrinter`. */
export interface OutputPrinterOptions {
  kind: OutputKind;
  /** The Output schema (files are `format: uri`). */
  schema: JsonSchema;
  /** `-o PATH`. */
  target?: string;
  format: OutputFormat;
}

/** Shows a prediction's output as it arrives: text live, list items one per line, files written to disk. */
export interface OutputPrinter {
  /** Checks `-o` before the prediction runs. */
  prepare(): Promise<void>;
  chunk(value: unknown): Promise<void>;
  /** The final output: prints or writes it; returns it with written files as their paths. */
  finish(output: unknown): Promise<unknown>;
}

/** Creates the printer for one prediction. */
export function createOutputPrinter(options: OutputPrinterOptions): OutputPrinter {
  const { kind, target } = options;
  const json = options.format === "json";
  const shape = fileOutputShape(options.schema, kind);
  const files = shape ? new FileOutputWriter(target, shape === "list") : undefined;
  let last = "";
  const print = (text: string) => {
    if (json) return;
    process.stdout.write(text);
    last = text;
  };
  return {
    async prepare() {
      if (target) await checkOutputPath(target, "-o");
    },
    async chunk(value) {
      if (files) {
        await files.write(value);
        return;
      }
      const text = typeof value === "string" ? value : JSON.stringify(value);
      print(kind === "concatenate" ? text : `${text}\n`);
    },
    async finish(output) {
      if (files) return kind === "value" ? files.writeAll(output) : files.written;
      if (kind === "value" && output !== undefined) print(typeof output === "string" ? output : JSON.stringify(output, null, 2));
      if (last && !last.endsWith("\n")) print("\n");
      if (target) await saveText(target, output, kind);
      return output;
    },
  };
}

/** `-o path` for an output that is not a file: the text (or JSON) written there too. */
async function saveText(target: string, output: unknown, kind: OutputKind): Promise<void> {
  if (kind === "concatenate") await writeFile(target, (output as unknown[]).join(""));
  else await writeFile(target, typeof output === "string" ? output : `${JSON.stringify(output, null, 2)}\n`);
  process.stderr.write(`Written output to ${target}\n`);
}
