import { open } from "node:fs/promises";
import { TscogError } from "@tscog/sdk";
import { parseAuthChallenges } from "./auth-challenge.js";
import type { Credentials } from "./credentials.js";
import { isTransientStatus, retryAfterMs, TransientError, withRetries, type RetryOptions } from "./retry.js";

/** Options of `RegistryClient`. */
export interface RegistryClientOptions {
  /** Registry host[:port], e.g. `ghcr.io`, `127.0.0.1:5000`. */
  registry: string;
  /** Repository the client works in, e.g. `acme/model`. */
  repository: string;
  credentials?: Credentials;
  /** `pull` or `pull,push`. */
  actions?: string;
  /** Hosts reachable over plain http besides localhost (`TSCOG_INSECURE_REGISTRIES` adds to it). */
  insecureRegistries?: string[];
  retry?: RetryOptions;
  /** Per-request timeout in ms (default 5 minutes). */
  timeoutMs?: number;
}

/** A request body that can be produced again for a retry. */
type Body = Uint8Array | undefined;

interface RequestInit {
  method: string;
  headers?: Record<string, string>;
  body?: Body;
  /** Statuses that are success for this call; others become errors. */
  ok: number[];
  /** Extra repositories to ask pull access for (cross-repository mounts). */
  pullFrom?: string;
  what: string;
}

/** True when the registry may be spoken to over plain http. */
export function isInsecureRegistry(registry: string, extra: string[] = []): boolean {
  const host = registry.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  const listed = [...extra, ...(process.env.TSCOG_INSECURE_REGISTRIES ?? "").split(",").map((s) => s.trim()).filter(Boolean)];
  return host === "localhost" || host === "127.0.0.1" || host === "::1" || listed.includes(registry) || listed.includes(host);
}

/**
 * A client for one repository of an OCI distribution registry: blobs,
 * uploads, mounts and manifests, with basic and bearer-token auth driven by
 * the `WWW-Authenticate` challenge, and retries on 429/5xx/network errors.
 */
export class RegistryClient {
  readonly registry: string;
  readonly repository: string;
  readonly baseUrl: string;
  readonly #options: RegistryClientOptions;
  #authorization?: string;
  #authScope = "";
  #authenticating?: Promise<void>;
  /** Bytes sent in blob bodies, for reports and tests. */
  bytesUploaded = 0;

  constructor(options: RegistryClientOptions) {
    this.#options = options;
    this.registry = options.registry;
    this.repository = options.repository;
    const apiHost = options.registry === "docker.io" ? "registry-1.docker.io" : options.registry;
    const scheme = isInsecureRegistry(options.registry, options.insecureRegistries) ? "http" : "https";
    this.baseUrl = `${scheme}://${apiHost}/v2/`;
  }

  /** URL of a path under `/v2/<repository>/`. */
  url(path: string): string {
    return new URL(`${this.repository}/${path}`, this.baseUrl).toString();
  }

  /** HEAD a blob: its size when the registry has it, undefined when not. */
  async headBlob(digest: string): Promise<number | undefined> {
    const res = await this.request(this.url(`blobs/${digest}`), { method: "HEAD", ok: [200, 404], what: `HEAD blob ${digest}` });
    return res.status === 200 ? Number(res.headers.get("content-length") ?? 0) : undefined;
  }

  /** GET a blob's body. */
  async getBlob(digest: string): Promise<Response> {
    return this.request(this.url(`blobs/${digest}`), { method: "GET", ok: [200], what: `GET blob ${digest}` });
  }

  /** GET a manifest (or index) by tag or digest. */
  async getManifest(target: string, accept: string[]): Promise<{ bytes: Buffer; mediaType: string; digest?: string }> {
    const res = await this.request(this.url(`manifests/${target}`), {
      method: "GET", headers: { accept: accept.join(", ") }, ok: [200], what: `GET manifest ${this.repository}:${target}`,
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    return { bytes, mediaType: res.headers.get("content-type")?.split(";")[0] ?? "", digest: res.headers.get("docker-content-digest") ?? undefined };
  }

  /** PUT a manifest under a tag or digest; returns the digest the registry reports. */
  async putManifest(target: string, bytes: Uint8Array, mediaType: string): Promise<string | undefined> {
    const res = await this.request(this.url(`manifests/${target}`), {
      method: "PUT", headers: { "content-type": mediaType }, body: bytes, ok: [201, 200], what: `PUT manifest ${this.repository}:${target}`,
    });
    return res.headers.get("docker-content-digest") ?? undefined;
  }

  /**
   * Tries a cross-repository mount of a blob from `from` on the same registry.
   * Returns true when mounted; false when the registry started an upload instead.
   */
  async mountBlob(digest: string, from: string): Promise<boolean> {
    const url = `${this.url("blobs/uploads/")}?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const res = await this.request(url, { method: "POST", ok: [201, 202], pullFrom: from, what: `mount blob ${digest} from ${from}` });
    if (res.status === 202) {
      const location = res.headers.get("location");
      // Cancel the upload session the registry opened instead; ignore failures.
      if (location) await this.request(new URL(location, this.baseUrl).toString(), { method: "DELETE", ok: [204, 200, 202, 404, 405], what: "cancel upload" }).catch(() => {});
    }
    return res.status === 201;
  }

  /**
   * Uploads a blob from a file: one PUT when it is at most `chunkSize` bytes,
   * else PATCH chunks then a closing PUT. Restarts the session once on failure.
   */
  async uploadBlob(options: { digest: string; size: number; file: string; chunkSize?: number }): Promise<void> {
    const chunkSize = options.chunkSize ?? 32 * 1024 * 1024;
    await withRetries(async () => {
      const start = await this.request(this.url("blobs/uploads/"), { method: "POST", headers: { "content-length": "0" }, ok: [202], what: "start blob upload" });
      let location = this.#location(start);
      const fh = await open(options.file, "r");
      try {
        if (options.size <= chunkSize) {
          const body = Buffer.alloc(options.size);
          await fh.read(body, 0, options.size, 0);
          await this.request(this.#withDigest(location, options.digest), {
            method: "PUT", headers: { "content-type": "application/octet-stream" }, body, ok: [201, 204], what: `upload blob ${options.digest}`,
          });
          this.bytesUploaded += options.size;
          return;
        }
        for (let offset = 0; offset < options.size; offset += chunkSize) {
          const length = Math.min(chunkSize, options.size - offset);
          const body = Buffer.alloc(length);
          await fh.read(body, 0, length, offset);
          const res = await this.request(location, {
            method: "PATCH",
            headers: { "content-type": "application/octet-stream", "content-range": `${offset}-${offset + length - 1}` },
            body, ok: [202, 204], what: `upload chunk ${offset}-${offset + length - 1} of ${options.digest}`,
          });
          this.bytesUploaded += length;
          location = this.#location(res);
        }
        await this.request(this.#withDigest(location, options.digest), { method: "PUT", headers: { "content-length": "0" }, ok: [201, 204], what: `finish upload of ${options.digest}` });
      } finally {
        await fh.close();
      }
    }, { retries: 1, ...this.#options.retry });
  }

  #location(res: Response): string {
    const location = res.headers.get("location");
    if (!location) throw new TscogError("REGISTRY", `${this.registry} answered an upload request without a Location header`);
    return new URL(location, this.baseUrl).toString();
  }

  #withDigest(location: string, digest: string): string {
    const url = new URL(location);
    url.searchParams.set("digest", digest);
    return url.toString();
  }

  /** Sends a request with auth and retries; throws a REGISTRY error on unexpected statuses. */
  async request(url: string, init: RequestInit): Promise<Response> {
    return withRetries(async () => {
      const sentWith = this.#authorization;
      let res = await this.#send(url, init);
      if (res.status === 401 || (res.status === 403 && !this.#authorization)) {
        const challenge = res.headers.get("www-authenticate");
        await res.body?.cancel();
        if (init.pullFrom) await this.#authenticate(challenge, init.pullFrom);
        else if (this.#authorization === sentWith) {
          // Concurrent uploads share one token request.
          this.#authenticating ??= this.#authenticate(challenge).finally(() => (this.#authenticating = undefined));
          await this.#authenticating;
        }
        res = await this.#send(url, init);
        if (res.status === 401 || res.status === 403) {
          await res.body?.cancel();
          const who = this.#options.credentials ? `credentials from ${this.#options.credentials.source} (user "${this.#options.credentials.username}")` : "anonymous access";
          throw new TscogError("REGISTRY", `${this.registry} refused ${who} for ${init.what} in ${this.repository} (HTTP ${res.status})`, {
            hint: "log in with `docker login`, or set TSCOG_REGISTRY_USERNAME and TSCOG_REGISTRY_PASSWORD",
          });
        }
      }
      if (init.ok.includes(res.status)) return res;
      const text = init.method === "HEAD" ? "" : (await res.text().catch(() => "")).slice(0, 500);
      if (isTransientStatus(res.status)) throw new TransientError(`${init.what}: HTTP ${res.status} from ${this.registry}`, retryAfterMs(res.headers.get("retry-after")));
      throw new TscogError("REGISTRY", `${init.what} failed: ${this.registry} answered HTTP ${res.status}${text ? `: ${text.trim()}` : ""}`);
    }, this.#options.retry).catch((err: unknown) => {
      if (err instanceof TscogError) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new TscogError("REGISTRY", `cannot reach registry ${this.registry} (${url.split("?")[0]}): ${why}`, {
        cause: err,
        hint: this.baseUrl.startsWith("https") && /SSL|TLS|EPROTO|wrong version/i.test(String(why)) ? "for a plain-http registry other than localhost, list it in TSCOG_INSECURE_REGISTRIES" : undefined,
      });
    });
  }

  async #send(url: string, init: RequestInit): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.#authorization) headers.authorization = this.#authorization;
    return fetch(url, {
      method: init.method,
      headers,
      body: init.body as BodyInit | undefined,
      redirect: "follow",
      signal: AbortSignal.timeout(this.#options.timeoutMs ?? 300_000),
    });
  }

  async #authenticate(header: string | null, pullFrom?: string): Promise<void> {
    const creds = this.#options.credentials;
    const challenges = header ? parseAuthChallenges(header) : [];
    const bearer = challenges.find((c) => c.scheme === "bearer");
    const basicAuth = creds ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}` : undefined;
    if (!bearer) {
      if (!basicAuth) throw new TscogError("REGISTRY", `${this.registry} requires credentials for ${this.repository}`, {
        hint: "log in with `docker login`, or set TSCOG_REGISTRY_USERNAME and TSCOG_REGISTRY_PASSWORD",
      });
      this.#authorization = basicAuth;
      return;
    }
    const realm = bearer.params.realm;
    if (!realm) throw new TscogError("REGISTRY", `${this.registry} sent a Bearer challenge without a realm`);
    const scopes = [`repository:${this.repository}:${this.#options.actions ?? "pull"}`];
    if (pullFrom) scopes.push(`repository:${pullFrom}:pull`);
    const tokenUrl = new URL(realm);
    if (bearer.params.service) tokenUrl.searchParams.set("service", bearer.params.service);
    for (const s of scopes) tokenUrl.searchParams.append("scope", s);
    this.#authScope = scopes.join(" ");
    const res = await fetch(tokenUrl, { headers: basicAuth ? { authorization: basicAuth } : {}, signal: AbortSignal.timeout(60_000) });
    if (res.status === 401 || res.status === 403) {
      throw new TscogError("REGISTRY", `the token service of ${this.registry} refused ${creds ? `credentials from ${creds.source}` : "anonymous access"} (HTTP ${res.status}) for ${this.#authScope}`);
    }
    if (!res.ok) {
      if (isTransientStatus(res.status)) throw new TransientError(`token service HTTP ${res.status}`);
      throw new TscogError("REGISTRY", `the token service of ${this.registry} answered HTTP ${res.status}`);
    }
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new TscogError("REGISTRY", `the token service of ${this.registry} returned no token`);
    this.#authorization = `Bearer ${token}`;
  }
}
