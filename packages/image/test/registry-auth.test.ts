import assert from "node:assert/strict";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { isInsecureRegistry, parseAuthChallenges, resolveCredentials, withRetries, TransientError } from "../src/index.js";
import { tempDir } from "./helpers.js";

test("WWW-Authenticate challenges: bearer with quoted commas, basic, several at once", () => {
  assert.deepEqual(parseAuthChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/node:pull,push"'), [
    { scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/node:pull,push" } },
  ]);
  assert.deepEqual(parseAuthChallenges('Basic realm="tscog test"'), [{ scheme: "basic", params: { realm: "tscog test" } }]);
  assert.deepEqual(parseAuthChallenges('Basic realm="a", Bearer realm="https://x/t", service=reg, error="insufficient_scope"'), [
    { scheme: "basic", params: { realm: "a" } },
    { scheme: "bearer", params: { realm: "https://x/t", service: "reg", error: "insufficient_scope" } },
  ]);
  assert.deepEqual(parseAuthChallenges('Bearer realm="with \\"quote\\""'), [{ scheme: "bearer", params: { realm: 'with "quote"' } }]);
});

test("credentials: env first, then credHelpers, auths (auth or user/password), docker.io aliases", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "config.json");
  const helper = join(dir, "docker-credential-fake");
  await writeFile(helper, '#!/bin/sh\nread server\necho "{\\"Username\\":\\"helper-user\\",\\"Secret\\":\\"s3cret-for-$server\\"}"\n');
  await chmod(helper, 0o755);
  await writeFile(file, JSON.stringify({
    auths: {
      "reg.example:5000": { auth: Buffer.from("alice:pa:ss").toString("base64") },
      "https://index.docker.io/v1/": { username: "bob", password: "hub" },
    },
    credHelpers: { "helped.example": "fake" },
  }));
  const env = { PATH: `${dir}:${process.env.PATH}` };
  const saved = process.env.PATH;
  process.env.PATH = env.PATH;
  t.after(() => { process.env.PATH = saved; });
  assert.deepEqual(await resolveCredentials("reg.example:5000", { env, dockerConfigFile: file }), { username: "alice", password: "pa:ss", source: file });
  assert.equal((await resolveCredentials("docker.io", { env, dockerConfigFile: file }))?.username, "bob");
  const helped = await resolveCredentials("helped.example", { env, dockerConfigFile: file });
  assert.deepEqual(helped, { username: "helper-user", password: "s3cret-for-helped.example", source: "docker-credential-fake" });
  assert.equal(await resolveCredentials("other.example", { env, dockerConfigFile: file }), undefined);
  const fromEnv = await resolveCredentials("reg.example:5000", { env: { ...env, TSCOG_REGISTRY_USERNAME: "ci", TSCOG_REGISTRY_PASSWORD: "tok" }, dockerConfigFile: file });
  assert.equal(fromEnv?.username, "ci");
  const limited = await resolveCredentials("reg.example:5000", { env: { ...env, TSCOG_REGISTRY_USERNAME: "ci", TSCOG_REGISTRY_PASSWORD: "tok", TSCOG_REGISTRY_HOST: "ghcr.io" }, dockerConfigFile: file });
  assert.equal(limited?.username, "alice");
  assert.equal(await resolveCredentials("x.example", { env, dockerConfigFile: join(dir, "missing.json") }), undefined);
});

test("plain http only for localhost and listed registries", () => {
  assert.ok(isInsecureRegistry("localhost:5000"));
  assert.ok(isInsecureRegistry("127.0.0.1:41234"));
  assert.ok(!isInsecureRegistry("ghcr.io"));
  assert.ok(isInsecureRegistry("reg.lan:5000", ["reg.lan:5000"]));
});

test("retries transient failures with backoff, not others", async () => {
  let calls = 0;
  const value = await withRetries(async () => {
    if (++calls < 3) throw new TransientError("HTTP 503", 1);
    return "ok";
  }, { baseDelayMs: 1 });
  assert.equal(value, "ok");
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(withRetries(async () => { calls++; throw new Error("HTTP 400"); }, { baseDelayMs: 1 }), /HTTP 400/);
  assert.equal(calls, 1);
});
