import assert from "node:assert/strict";
import { test } from "node:test";
import { TscogError } from "@tscog/sdk";
import { familiarName, formatReference, parseReference } from "../src/index.js";

test("a bare name defaults to docker.io/library and no tag", () => {
  assert.deepEqual(parseReference("node"), { registry: "docker.io", repository: "library/node", tag: undefined, digest: undefined });
  assert.equal(formatReference(parseReference("node")), "docker.io/library/node:latest");
});

test("tags, digests, registries with ports and localhost", () => {
  assert.deepEqual(parseReference("node:20-bookworm-slim"), { registry: "docker.io", repository: "library/node", tag: "20-bookworm-slim", digest: undefined });
  assert.deepEqual(parseReference("localhost:5000/model"), { registry: "localhost:5000", repository: "model", tag: undefined, digest: undefined });
  assert.deepEqual(parseReference("127.0.0.1:5000/a/b:v1"), { registry: "127.0.0.1:5000", repository: "a/b", tag: "v1", digest: undefined });
  assert.deepEqual(parseReference("ghcr.io/acme/model:v1.2"), { registry: "ghcr.io", repository: "acme/model", tag: "v1.2", digest: undefined });
  const d = "sha256:" + "a".repeat(64);
  assert.deepEqual(parseReference(`ghcr.io/acme/model:v1@${d}`), { registry: "ghcr.io", repository: "acme/model", tag: "v1", digest: d });
  assert.deepEqual(parseReference(`acme/model@${d}`), { registry: "docker.io", repository: "acme/model", tag: undefined, digest: d });
  assert.equal(parseReference("index.docker.io/library/node").registry, "docker.io");
});

test("familiar names are what docker shows", () => {
  assert.equal(familiarName(parseReference("node:20")), "node:20");
  assert.equal(familiarName(parseReference("acme/model")), "acme/model:latest");
  assert.equal(familiarName(parseReference("localhost:5000/model:v1")), "localhost:5000/model:v1");
});

test("malformed references are clear BAD_REQUEST errors", () => {
  const cases: [string, RegExp][] = [
    ["", /empty/],
    ["Acme/Model", /lowercase/],
    ["acme//model", /empty path component/],
    ["acme/model:", /tag ""/],
    ["acme/model:-bad", /tag "-bad"/],
    ["acme/model@sha256:abc", /digest/],
    ["acme/mo del", /path component/],
    ["acme/model_", /path component/],
    [" acme/model", /whitespace/],
  ];
  for (const [ref, why] of cases) {
    assert.throws(() => parseReference(ref), (err: unknown) => {
      assert.ok(err instanceof TscogError, `${ref}: ${String(err)}`);
      assert.equal(err.code, "BAD_REQUEST");
      assert.match(err.message, /malformed image reference/);
      assert.match(err.message, why, ref);
      return true;
    });
  }
});
