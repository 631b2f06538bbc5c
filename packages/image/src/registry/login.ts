import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { TscogError } from "@tscog/sdk";
import { parseAuthChallenges } from "./auth-challenge.js";
import { isInsecureRegistry } from "./registry-client.js";

/** Options of `verifyLogin` and `storeCredentials`. */
export interface LoginOptions {
  env?: NodeJS.ProcessEnv;
  /** Hosts reachable over plain http besides localhost. */
  insecureRegistries?: string[];
  /** The Docker config file (default `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`). */
  dockerConfigFile?: string;
}

/** The Docker config file `push` reads credentials from. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG ?? join(homedir(), ".docker"), "config.json");
}

/** The key Docker stores a registry's credentials under (Docker Hub keeps its historical URL). */
function dockerKey(registry: string): string {
  return registry === "docker.io" ? "https://index.docker.io/v1/" : registry;
}

function unreachable(registry: string, url: string, err: unknown): TscogError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return new TscogError("REGISTRY", `cannot reach registry ${registry} (${url}): ${cause?.code ?? cause?.message ?? (err as Error).message}`, {
    cause: err, hint: url.startsWith("https") ? "for a plain-http registry other than localhost, pass --insecure-registry or list it in TSCOG_INSECURE_REGISTRIES" : undefined,
  });
}

/**
 * Checks a user name and password against a registry as `docker login` does:
 * `GET /v2/` with basic auth, or a token request when the registry answers
 * with a Bearer challenge. Refused credentials are UNAUTHORIZED (exit 4).
 */
export async function verifyLogin(registry: string, username: string, password: string, options: LoginOptions = {}): Promise<void> {
  const host = registry === "docker.io" ? "registry-1.docker.io" : registry;
  const url = `${isInsecureRegistry(registry, options.insecureRegistries) ? "http" : "https"}://${host}/v2/`;
  const basic = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  const get = (target: string | URL, headers: Record<string, string> = {}) =>
    fetch(target, { headers, signal: AbortSignal.timeout(60_000) }).catch((err: unknown) => {
      throw unreachable(registry, String(target), err);
    });
  const refused = (status: number) =>
    new TscogError("UNAUTHORIZED", `${registry} refused the credentials of user "${username}" (HTTP ${status}); nothing was stored.`, {
      hint: "check the user name and password (or token); a token goes where the password does",
    });
  const first = await get(url);
  await first.body?.cancel();
  if (first.ok) return; // No authentication needed: the credentials are stored for later all the same.
  if (first.status !== 401) throw new TscogError("REGISTRY", `${url} answered HTTP ${first.status}; is ${registry} a container registry?`);
  const challenges = parseAuthChallenges(first.headers.get("www-authenticate") ?? "");
  const bearer = challenges.find((c) => c.scheme === "bearer");
  if (!bearer) {
    const res = await get(url, { authorization: basic });
    await res.body?.cancel();
    if (res.status === 401 || res.status === 403) throw refused(res.status);
    if (!res.ok) throw new TscogError("REGISTRY", `${url} answered HTTP ${res.status} to the login`);
    return;
  }
  if (!bearer.params.realm) throw new TscogError("REGISTRY", `${registry} sent a Bearer challenge without a realm`);
  const tokenUrl = new URL(bearer.params.realm);
  if (bearer.params.service) tokenUrl.searchParams.set("service", bearer.params.service);
  const res = await get(tokenUrl, { authorization: basic });
  await res.body?.cancel();
  if (res.status === 401 || res.status === 403) throw refused(res.status);
  if (!res.ok) throw new TscogError("REGISTRY", `the token service of ${registry} answered HTTP ${res.status} to the login`);
}

interface DockerConfigFile {
  auths?: Record<string, Record<string, unknown>>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [key: string]: unknown;
}

/**
 * Stores credentials where `docker login` does and `tscog push` reads them:
 * the registry's credential helper (`credHelpers`, else `credsStore`) when the
 * Docker config names one, else `auths` in the config file (base64, mode 0600).
 * Returns where they went.
 */
export async function storeCredentials(registry: string, username: string, password: string, options: LoginOptions = {}): Promise<string> {
  const file = options.dockerConfigFile ?? dockerConfigPath(options.env ?? process.env);
  let config: DockerConfigFile = {};
  try {
    config = JSON.parse(await readFile(file, "utf8")) as DockerConfigFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new TscogError("REGISTRY", `cannot read the Docker config ${file}: ${(err as Error).message}`, { file, cause: err });
    }
  }
  const key = dockerKey(registry);
  const helper = config.credHelpers?.[key] ?? config.credHelpers?.[registry] ?? config.credsStore;
  if (helper) {
    const bin = `docker-credential-${helper}`;
    try {
      await execa(bin, ["store"], { input: JSON.stringify({ ServerURL: key, Username: username, Secret: password }), timeout: 30_000 });
    } catch (err) {
      throw new TscogError("REGISTRY", `the credential helper ${bin} (named in ${file}) could not store the credentials: ${(err as Error).message.split("\n")[0]}`, { cause: err });
    }
    config.auths = { ...config.auths, [key]: {} };
  } else {
    config.auths = { ...config.auths, [key]: { auth: Buffer.from(`${username}:${password}`).toString("base64") } };
  }
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(config, null, "\t")}\n`, { mode: 0o600 });
    await rename(tmp, file);
  } catch (err) {
    throw new TscogError("CANNOT_WRITE", `cannot write the Docker config ${file}: ${(err as Error).message}`, { file, cause: err });
  }
  return helper ? `docker-credential-${helper}` : file;
}
