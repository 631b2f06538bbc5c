import { copyFile, writeFile } from "node:fs/promises";
import type { JsonSchema } from "@tscog/sdk";
import type { OutputKind } from "@tscog/runtime";

/** Writes output as it arrives: chunks of text live, list items one per line. */
export function createPrinter(kind: OutputKind, json: boolean) {
  let last = "";
  return {
    chunk(value: unknown) {
      if (json) return;
      const text = typeof value === "string" ? value : JSON.stringify(value);
      if (kind === "concatenate") process.stdout.write(text);
      else process.stdout.write(`${text}\n`);
      last = kind === "concatenate" ? text : "\n";
    },
    value(value: unknown) {
      if (json || value === undefined) return;
      const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
      process.stdout.write(text);
      last = text;
    },
    end() {
      if (!json && last && !last.endsWith("\n")) process.stdout.write("\n");
    },
  };
}

/** `-o path`: the output as a file (a `Path` output is copied, text written). */
export async function saveOutput(target: string | undefined, output: unknown, kind: OutputKind, schema: JsonSchema) {
  if (!target) return;
  if (kind === "value" && schema.format === "uri" && typeof output === "string") {
    if (output.startsWith("data:")) await writeFile(target, Buffer.from(await (await fetch(output)).arrayBuffer()));
    else await copyFile(output, target);
  } else if (kind === "concatenate") {
    await writeFile(target, (output as unknown[]).join(""));
  } else {
    await writeFile(target, typeof output === "string" ? output : `${JSON.stringify(output, null, 2)}\n`);
  }
  process.stderr.write(`Written output to ${target}\n`);
}
