import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseConfig, cogConfigSchema } from "../src/index.js";

const example = new URL("../../../../cog.yaml.example", import.meta.url);

test("cog.yaml.example is valid and documents every field of the schema", () => {
  const text = readFileSync(example, "utf8");
  const config = parseConfig(text, "cog.yaml.example") as unknown as Record<string, any>;
  const walk = (schema: any, value: any, path: string) => {
    for (const key of Object.keys(schema.properties ?? {})) {
      assert.ok(value && key in value, `cog.yaml.example documents ${path}${key}`);
      if (schema.properties[key].type === "object") walk(schema.properties[key], value[key], `${path}${key}.`);
    }
  };
  walk(cogConfigSchema, config, "");
});
