import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { TscogError } from "@tscog/sdk";

/** Registry credentials: a user name and password (or token used as one). */
export interface Credentials {
  username: string;
  password: string;
  /** Where they came from, for messages: `env`, `~/.docker/config.json`, `docker-credential-osxkeychain`. */
  source: string;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** Options of `resolveCredentials`. */
export interface CredentialOptions {
  env?: NodeJS.ProcessEnv;
  /** Path of the Docker config file; defaults to `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
  dockerConfigFile?: string;
}

function dockerKeys(registry: string): string[] {
  if (registry === "docker.io") return ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"];
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
}

async function fromHelper(helper: string, registry: string): Promise<Credentials | undefined> {
  const server = registry === "docker.io" ? "https://index.docker.io/v1/" : registry;
  const bin = `docker-credential-${helper}`;
  try {
    const { stdout } = await execa(bin, ["get"], { input: server, timeout: 30_000 });
    const out = JSON.parse(stdout) as { Username?: string; Secret?: string };
    if (!out.Secret) return undefined;
    return { username: out.Username ?? "", password: out.Secret, source: bin };
  } catch (err) {
    const text = String((err as { stdout?: string }).stdout ?? "") + String((err as { stderr?: string }).stderr ?? "");
    if (/credentials not found/i.test(text)) return undefined;
    throw new TscogError("REGISTRY", `credential helper ${bin} failed for ${registry}: ${(err as Error).message.split("\n")[0]}`, { cause: err });
  }
}

/**
 * Finds credentials for a registry: `TSCOG_REGISTRY_USERNAME`/`TSCOG_REGISTRY_PASSWORD`
 * (optionally limited by `TSCOG_REGISTRY_HOST`), else the Docker config's
 * `credHelpers`, `auths` and `credsStore`, in that order. Undefined means anonymous.
 */
export async function resolveCredentials(registry: string, options: CredentialOptions = {}): Promise<Credentials | undefined> {
  const env = options.env ?? process.env;
  const host = env.TSCOG_REGISTRY_HOST;
  if (env.TSCOG_REGISTRY_USERNAME && env.TSCOG_REGISTRY_PASSWORD && (!host || host === registry)) {
    return { username: env.TSCOG_REGISTRY_USERNAME, password: env.TSCOG_REGISTRY_PASSWORD, source: "TSCOG_REGISTRY_USERNAME/TSCOG_REGISTRY_PASSWORD" };
  }
  const file = options.dockerConfigFile ?? join(env.DOCKER_CONFIG ?? join(homedir(), ".docker"), "config.json");
  let config: DockerConfig;
  try {
    config = JSON.parse(await readFile(file, "utf8")) as DockerConfig;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new TscogError("REGISTRY", `cannot read Docker config ${file}: ${(err as Error).message}`, { file, cause: err });
  }
  const keys = dockerKeys(registry);
  const helper = keys.map((k) => config.credHelpers?.[k]).find(Boolean);
  if (helper) return fromHelper(helper, registry);
  for (const k of keys) {
    const a = config.auths?.[k];
    if (!a) continue;
    if (a.identitytoken) return { username: "<token>", password: a.identitytoken, source: file };
    if (a.username && a.password) return { username: a.username, password: a.password, source: file };
    if (a.auth) {
      const decoded = Buffer.from(a.auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source: file };
    }
  }
  if (config.credsStore) return fromHelper(config.credsStore, registry);
  return undefined;
}
