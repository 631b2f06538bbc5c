import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { Ajv, type ErrorObject } from "ajv";
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Document, type Node } from "yaml";
import { ConfigError, closest } from "@tscog/sdk";

/** The parsed contents of `cog.yaml`. */
export interface CogConfig {
  build?: {
    gpu?: boolean;
    node_version?: string;
    system_packages?: string[];
    run?: string[];
    base_image?: string;
    cpu_fallback?: boolean;
  };
  /** `FILE:CLASS`, e.g. `predict.ts:Predictor`. */
  predict: string;
  image?: string;
  weights?: string;
  concurrency?: { max?: number; queue_max?: number };
  environment?: string[];
  server?: {
    cors_origins?: string[];
    max_body_bytes?: number;
    prediction_timeout?: number;
    setup_timeout?: number;
    public_url?: string;
    worker_memory_mb?: number;
    allow_private_urls?: boolean;
    max_download_bytes?: number;
    /** Seconds. */
    download_timeout?: number;
    webhook_allowed_hosts?: string[];
  };
  /** OpenAI's API on the same server (see `resolveOpenAiMapping`). */
  openai?: OpenAiConfig;
}

/** The OpenAI parameters a predictor input can receive. */
export type OpenAiParameter = "messages" | "prompt" | "max_tokens" | "temperature" | "top_p" | "seed" | "stop";

/** cog.yaml's `openai` section. */
export interface OpenAiConfig {
  /** The model id in `/v1/models`; default the image name, else the project directory's name. */
  model?: string;
  owned_by?: string;
  /** Predictor input per OpenAI parameter; an input named like the parameter needs no entry. */
  inputs?: Partial<Record<OpenAiParameter, string>>;
}

/** The JSON Schema of cog.yaml, as shipped in `schema/cog.schema.json`. */
export const cogConfigSchema: Record<string, any> = JSON.parse(
  readFileSync(new URL("../../schema/cog.schema.json", import.meta.url), "utf8"),
);

const ajv = new Ajv({ allErrors: true, strict: false });
const check = ajv.compile(cogConfigSchema);

function schemaAt(path: string[]): Record<string, any> | undefined {
  let s: Record<string, any> | undefined = cogConfigSchema;
  for (const key of path) {
    if (!s) return undefined;
    s = /^\d+$/.test(key) ? s.items : s.properties?.[key];
  }
  return s;
}

function describe(err: ErrorObject): { path: string[]; keyNode: boolean; msg: string } {
  const path = err.instancePath.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  const p = err.params as Record<string, any>;
  const field = path.join(".") || "(top level)";
  const allowedHere = () => Object.keys(schemaAt(path)?.properties ?? {});
  switch (err.keyword) {
    case "additionalProperties": {
      const key = p.additionalProperty as string;
      const allowed = allowedHere();
      const guess = closest(key, allowed);
      const where = path.length ? `under "${path.join(".")}"` : "at the top level";
      return {
        path: [...path, key],
        keyNode: true,
        msg: `unknown key "${key}" ${where}${guess ? ` (did you mean "${guess}"?)` : ""}; allowed keys: ${allowed.join(", ")}`,
      };
    }
    case "required":
      return { path, keyNode: false, msg: `"${[...path, p.missingProperty].join(".")}" is required (for example: predict: "predict.ts:Predictor")` };
    case "type":
      return { path, keyNode: false, msg: `"${field}" must be ${p.type === "array" ? "a list" : `a ${p.type}`}` };
    case "pattern": {
      const desc = schemaAt(path)?.description;
      return { path, keyNode: false, msg: `"${field}" has an invalid value${desc ? ` (${desc})` : ""}; it must match ${p.pattern}` };
    }
    case "minimum":
    case "maximum":
      return { path, keyNode: false, msg: `"${field}" ${err.message}` };
    default:
      return { path, keyNode: false, msg: `"${field}" ${err.message}` };
  }
}

function nodeFor(doc: Document, path: string[], keyNode: boolean): Node | undefined {
  let node: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    if (!isMap(node) && !(node && typeof node === "object" && "items" in node)) return undefined;
    const items = (node as { items: unknown[] }).items;
    const key = path[i]!;
    if (isMap(node)) {
      const pair = items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === key);
      if (!isPair(pair)) return undefined;
      if (i === path.length - 1 && keyNode) return pair.key as Node;
      node = pair.value;
    } else {
      node = items[Number(key)];
    }
  }
  return (node as Node) ?? undefined;
}

/** Parses and validates cog.yaml text; `file` is used in error messages. */
export function parseConfig(text: string, file: string): CogConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = lineCounter.linePos(e.pos[0]);
    throw new ConfigError(`${file}:${pos.line}:${pos.col}: ${file} is not valid YAML: ${e.message.split("\n")[0]}`, {
      file,
      line: pos.line,
      column: pos.col,
    });
  }
  const value = doc.toJS() ?? {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new ConfigError(`${file}: the top level must be a mapping of keys (build, predict, ...), not ${Array.isArray(value) ? "a list" : typeof value}`, { file, line: 1 });
  }
  if (!check(value)) {
    const problems = (check.errors ?? []).map((err) => {
      const d = describe(err);
      const node = nodeFor(doc, d.path, d.keyNode);
      const line = node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
      return { ...d, line };
    });
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    const first = problems[0]!;
    const text = problems.map((p) => `${file}${p.line ? `:${p.line}` : ""}: ${p.msg}`).join("\n");
    throw new ConfigError(text, { file, line: first.line, field: first.path.join(".") || undefined });
  }
  return value as CogConfig;
}

/** The 1-based line of the value (or, with `key`, the key) at `path` in a cog.yaml file; undefined when absent or unreadable. */
export function configLine(file: string, path: readonly string[], key = false): number | undefined {
  try {
    const lineCounter = new LineCounter();
    const doc = parseDocument(readFileSync(file, "utf8"), { lineCounter });
    const node = nodeFor(doc, [...path], key);
    return node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  } catch {
    return undefined;
  }
}

/** Reads and validates a cog.yaml file. */
export async function loadConfig(file: string): Promise<CogConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err: any) {
    if (err?.code === "ENOENT") {
      throw new ConfigError(`No cog.yaml found at ${file}. Run \`tscog init\` to create a project, or pass -C DIR to point at one.`, { file });
    }
    throw new ConfigError(`Cannot read ${file}: ${err?.message ?? err}`, { file, cause: err });
  }
  return parseConfig(text, file);
}
