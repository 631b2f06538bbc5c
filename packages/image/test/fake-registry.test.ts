import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import { TscogError } from "@tscog/sdk";
import { LayerBuilder, LayerCache, RegistryPublisher, type BuildPlan } from "../src/index.js";
import { tempDir } from "./helpers.js";

/**
 * An in-process registry with a token service: bearer auth via the
 * WWW-Authenticate challenge, flaky 503/429 answers, chunked uploads.
 */
async function fakeRegistry(t: { after(fn: () => Promise<void>): void }) {
  const blobs = new Map<string, Buffer>();
  const uploads = new Map<string, Buffer[]>();
  const log: string[] = [];
  let flaky = 0;
  let tokensIssued = 0;
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url!, "http://x");
    const base = `http://${req.headers.host}`;
    log.push(`${req.method} ${url.pathname}`);
    if (url.pathname === "/token") {
      const auth = Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString();
      if (auth !== "ci:secret") return void res.writeHead(401).end();
      tokensIssued++;
      return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: `tok-${url.searchParams.getAll("scope").join(" ")}` }));
    }
    if (req.headers.authorization !== "Bearer tok-repository:acme/model:pull,push") {
      return void res.writeHead(401, { "www-authenticate": `Bearer realm="${base}/token",service="fake",scope="repository:acme/model:pull,push"` }).end();
    }
    if (flaky-- > 0) return void res.writeHead(flaky % 2 ? 503 : 429, { "retry-after": "0" }).end();
    const m = /^\/v2\/acme\/model\/(blobs|manifests)\/(.+)$/.exec(url.pathname);
    if (req.method === "HEAD" && m?.[1] === "blobs") {
      const b = blobs.get(m[2]);
      return void res.writeHead(b ? 200 : 404, b ? { "content-length": String(b.length) } : {}).end();
    }
    if (req.method === "POST" && url.pathname === "/v2/acme/model/blobs/uploads/") {
      const id = String(uploads.size);
      uploads.set(id, []);
      return void res.writeHead(202, { location: `/v2/acme/model/blobs/uploads/${id}?state=x` }).end();
    }
    const up = /^\/v2\/acme\/model\/blobs\/uploads\/(\d+)$/.exec(url.pathname);
    if (up && req.method === "PATCH") {
      uploads.get(up[1])!.push(body);
      return void res.writeHead(202, { location: `/v2/acme/model/blobs/uploads/${up[1]}?state=y` }).end();
    }
    if (up && req.method === "PUT") {
      const all = Buffer.concat([...uploads.get(up[1])!, body]);
      const digest = `sha256:${createHash("sha256").update(all).digest("hex")}`;
      if (digest !== url.searchParams.get("digest")) return void res.writeHead(400).end("DIGEST_INVALID");
      blobs.set(digest, all);
      return void res.writeHead(201).end();
    }
    if (req.method === "PUT" && m?.[1] === "manifests") {
      const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
      return void res.writeHead(201, { "docker-content-digest": digest }).end();
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  t.after(() => new Promise((r) => server.close(() => r())));
  return {
    host: `127.0.0.1:${(server.address() as { port: number }).port}`,
    blobs, log,
    setFlaky: (n: number) => { flaky = n; },
    tokens: () => tokensIssued,
  };
}

function plan(size: number): BuildPlan {
  const data = randomBytes(size); // incompressible, so the gzipped layer stays large enough to chunk
  return {
    platform: { os: "linux", architecture: "amd64" }, created: new Date(0), config: {},
    layers: [{ name: "data", entries: [{ path: "data.bin", type: "file", mode: 0o644, uid: 0, gid: 0, data }] }],
  };
}

test("bearer-token auth from the challenge, retries on 503/429, chunked uploads, then nothing to send", async (t) => {
  const reg = await fakeRegistry(t);
  const dir = await tempDir(t);
  const image = await new LayerBuilder({ cache: new LayerCache(join(dir, "cache")) }).build(plan(300_000));
  const publish = () => new RegistryPublisher({
    reference: `${reg.host}/acme/model:v1`, cacheDir: join(dir, "cache"), chunkSize: 64 * 1024,
    credentials: { username: "ci", password: "secret", source: "test" }, retry: { baseDelayMs: 1 },
  }).publish(image);
  reg.setFlaky(3);
  const first = await publish();
  assert.equal(first.digest, image.digest);
  assert.equal(first.uploaded?.length, 2);
  assert.ok(reg.log.filter((l) => l.startsWith("PATCH")).length >= 2, "the layer went up in several chunks");
  assert.ok(reg.blobs.has(image.layers[0].digest) && reg.blobs.has(image.configDigest));
  assert.equal(reg.tokens(), 1);
  const second = await publish();
  assert.equal(second.bytesUploaded, 0);
});

test("refused credentials at the token service are a REGISTRY error", async (t) => {
  const reg = await fakeRegistry(t);
  const dir = await tempDir(t);
  const image = await new LayerBuilder({ cache: new LayerCache(join(dir, "cache")) }).build(plan(10));
  await assert.rejects(new RegistryPublisher({
    reference: `${reg.host}/acme/model:v1`, cacheDir: join(dir, "cache"), credentials: { username: "ci", password: "wrong", source: "test" },
  }).publish(image), (err: unknown) => err instanceof TscogError && err.code === "REGISTRY" && /token service .* refused credentials from test/.test(err.message));
});
