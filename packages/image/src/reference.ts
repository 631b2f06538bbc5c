import { TscogError } from "@tscog/sdk";

/** A parsed image reference such as `ghcr.io/acme/model:v1` or `node@sha256:…`. */
export interface ImageReference {
  /** Registry host (and port), e.g. `docker.io`, `127.0.0.1:5000`. */
  registry: string;
  /** Repository path inside the registry, e.g. `library/node`. */
  repository: string;
  tag?: string;
  digest?: string;
}

const DEFAULT_REGISTRY = "docker.io";
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$|^\[[0-9a-fA-F:]+\](?::[0-9]+)?$/;

function malformed(ref: string, why: string): TscogError {
  return new TscogError("BAD_REQUEST", `malformed image reference "${ref}": ${why}`, {
    hint: "expected [registry/]repository[:tag][@sha256:digest], e.g. ghcr.io/acme/model:v1 or localhost:5000/model",
  });
}

/**
 * Parses a docker-style image reference. Names without a registry default to
 * docker.io, and single-component docker.io names to `library/`.
 * @example parseReference("node:20") // { registry: "docker.io", repository: "library/node", tag: "20" }
 */
export function parseReference(ref: string): ImageReference {
  if (!ref || ref.trim() !== ref) throw malformed(ref, "empty or surrounded by whitespace");
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw malformed(ref, `digest "${digest}" is not sha256:<64 hex digits>`);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw malformed(ref, `tag "${tag}" may hold only letters, digits, _ . - (at most 128, not starting with . or -)`);
  }
  const parts = rest.split("/");
  let registry = DEFAULT_REGISTRY;
  const first = parts[0];
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    registry = parts.shift()!;
    if (!HOST.test(registry)) throw malformed(ref, `registry "${registry}" is not a valid host[:port]`);
  }
  if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = DEFAULT_REGISTRY;
  if (parts.length === 0 || parts.some((p) => p === "")) throw malformed(ref, "empty path component");
  for (const p of parts) {
    if (p.toLowerCase() === p && !COMPONENT.test(p)) throw malformed(ref, `path component "${p}" may hold only a-z 0-9 and single separators . _ __ -`);
    if (p.toLowerCase() !== p) throw malformed(ref, `repository name must be lowercase, got "${p}"`);
  }
  if (registry === DEFAULT_REGISTRY && parts.length === 1) parts.unshift("library");
  const repository = parts.join("/");
  if (repository.length > 255) throw malformed(ref, "repository name is longer than 255 characters");
  return { registry, repository, tag, digest };
}

/** The reference's tag or digest, defaulting to `latest`: what to GET from `/v2/<name>/manifests/`. */
export function referenceTarget(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? "latest";
}

/** Canonical string form: `registry/repository[:tag][@digest]`, tag defaulting to `latest` when neither is set. */
export function formatReference(ref: ImageReference): string {
  let s = `${ref.registry}/${ref.repository}`;
  if (ref.tag) s += `:${ref.tag}`;
  if (ref.digest) s += `@${ref.digest}`;
  if (!ref.tag && !ref.digest) s += ":latest";
  return s;
}

/** The short name Docker shows (`node:20`, `localhost:5000/model:v1`), as used in `RepoTags`. */
export function familiarName(ref: ImageReference): string {
  let repo = ref.repository;
  if (ref.registry === DEFAULT_REGISTRY) repo = repo.replace(/^library\//, "");
  else repo = `${ref.registry}/${repo}`;
  return `${repo}:${ref.tag ?? "latest"}`;
}
