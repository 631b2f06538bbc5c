import { chmod, mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { TscogError } from "@tscog/sdk";
import type { LayerSpec } from "../layer.js";
import type { ContainerConfig } from "../oci.js";

/**
 * A build-time secret (`tscog build --secret id=NAME,src=PATH`): readable by
 * what runs during the build, never written into a layer or the config.
 */
export interface BuildSecret {
  id: string;
  /** The file it was read from (absolute), excluded from the project's layers. */
  file?: string;
  value: Buffer;
}

/** The environment variable naming the directory that holds each secret as a file named by its id. */
export const BUILD_SECRETS_ENV = "TSCOG_BUILD_SECRETS";

/** Secrets shorter than this are not searched for in the image (they would match by chance). */
const MIN_SCANNED_BYTES = 8;

/** Parses `id=NAME,src=PATH` (or `env=VAR` instead of `src`, as `docker buildx --secret`) and reads the value. */
export async function parseBuildSecret(flag: string, env: NodeJS.ProcessEnv = process.env): Promise<BuildSecret> {
  const fields = new Map<string, string>();
  for (const part of flag.split(",")) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw badSecret(flag, `"${part}" is not key=value`);
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1));
  }
  const id = fields.get("id");
  if (!id || !/^[A-Za-z0-9_.-]+$/.test(id)) throw badSecret(flag, "id= must be a name of letters, digits, _ . or -");
  const unknown = [...fields.keys()].filter((k) => !["id", "src", "source", "env", "type"].includes(k));
  if (unknown.length) throw badSecret(flag, `unknown key ${unknown.join(", ")}`);
  const src = fields.get("src") ?? fields.get("source");
  const fromEnv = fields.get("env");
  if (src !== undefined) {
    const file = resolve(src);
    try {
      return { id, file: await realpath(file), value: await readFile(file) };
    } catch (err) {
      throw new TscogError("BAD_REQUEST", `--secret ${flag}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}.`, { cause: err });
    }
  }
  const name = fromEnv ?? id;
  const value = env[name];
  if (value === undefined) throw badSecret(flag, src === undefined && fromEnv === undefined ? `give src=PATH, or env=VAR (no $${name} is set)` : `$${name} is not set`);
  return { id, value: Buffer.from(value) };
}

function badSecret(flag: string, why: string): TscogError {
  return new TscogError("BAD_REQUEST", `--secret ${JSON.stringify(flag)}: ${why}. Expected id=NAME,src=PATH (or id=NAME,env=VAR).`);
}

/**
 * Runs `fn` with the secrets readable as files `$TSCOG_BUILD_SECRETS/<id>`
 * (a private temp directory, removed afterwards): the predictor's module,
 * imported to read its schema, and install scripts run during the build see
 * them there, as `RUN --mount=type=secret` sees `/run/secrets/<id>`.
 */
export async function withBuildSecrets<T>(secrets: readonly BuildSecret[], fn: () => Promise<T>): Promise<T> {
  if (secrets.length === 0) return fn();
  const dir = await mkdtemp(join(tmpdir(), "tscog-secrets-"));
  await chmod(dir, 0o700);
  const previous = process.env[BUILD_SECRETS_ENV];
  try {
    for (const s of secrets) await writeFile(join(dir, s.id), s.value, { mode: 0o600 });
    process.env[BUILD_SECRETS_ENV] = dir;
    return await fn();
  } finally {
    if (previous === undefined) delete process.env[BUILD_SECRETS_ENV];
    else process.env[BUILD_SECRETS_ENV] = previous;
    await rm(dir, { recursive: true, force: true });
  }
}

/** The value searched for: trimmed of surrounding whitespace (a token file's newline). */
function needle(secret: BuildSecret): Buffer | undefined {
  const trimmed = Buffer.from(secret.value.toString("latin1").trim(), "latin1");
  return trimmed.length >= MIN_SCANNED_BYTES ? trimmed : undefined;
}

/**
 * Fails the build when a secret's value would land in the image: in the
 * container config (labels, env), in a generated file (the predictor bundle,
 * openapi.json) or in a file of the code layer. Large files (weights,
 * node_modules) are not read; the secret's own file is excluded from layers by the plan.
 */
export async function checkSecretsAbsent(secrets: readonly BuildSecret[], layers: readonly LayerSpec[], config: ContainerConfig): Promise<void> {
  const needles = secrets.flatMap((s) => {
    const n = needle(s);
    return n ? [{ id: s.id, bytes: n }] : [];
  });
  if (needles.length === 0) return;
  const found = (where: string, bytes: Uint8Array) => {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const hit = needles.find((n) => buf.includes(n.bytes));
    if (hit) {
      throw new TscogError("BUILD_FAILED", `the build secret "${hit.id}" would be written into the image: its value is in ${where}.`, {
        hint: "Read secrets at build time from $TSCOG_BUILD_SECRETS/<id> without keeping them (no import of the secret file into predict.ts, no default, description or label holding it).",
      });
    }
  };
  found("the image config (labels or environment)", Buffer.from(JSON.stringify(config)));
  for (const layer of layers) {
    for (const e of layer.entries) {
      if (e.data) found(`${e.path} (${layer.name} layer)`, e.data);
      else if (layer.name === "code" && e.source && (e.size ?? 0) <= 1024 * 1024) found(`${e.path} (${layer.name} layer, from ${e.source})`, await readFile(e.source));
    }
  }
}
