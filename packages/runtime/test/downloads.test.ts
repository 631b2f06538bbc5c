/**
 * `Path` inputs given as http(s) URLs, against real local HTTP servers: the
 * outbound-address policy, redirects, size cap, timeout and cancellation.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname } from "node:path";
import { isPublicAddress, loadPredictor, loadProject, type DownloadOptions, type LoadedPredictor } from "../src/index.js";
import { makeProject } from "../src/testing.js";

const PREDICT = `import { BasePredictor, Input, type InputsOf } from "tscog";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
const inputs = { file: Input.path() };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ file }: InputsOf<typeof inputs>): Promise<string> {
    (globalThis as any).__lastFile = file;
    return basename(file) + ":" + (await readFile(file, "utf8"));
  }
}`;

/** What the file server saw: request paths, and whether each connection closed early. */
let hits: string[] = [];
let closedEarly = 0;
let server: Server;
let port = 0;
let loaded: LoadedPredictor;

function route(req: IncomingMessage, res: ServerResponse): void {
  hits.push(req.url!);
  res.on("close", () => {
    if (!res.writableFinished) closedEarly++;
  });
  const url = new URL(req.url!, "http://x");
  switch (url.pathname) {
    case "/hello.txt":
      res.writeHead(200, { "content-type": "text/plain" }).end("hello");
      return;
    case "/noext":
      res.writeHead(200, { "content-type": "text/plain" }).end("plain");
      return;
    case "/redirect":
      res.writeHead(302, { location: url.searchParams.get("to")! }).end();
      return;
    case "/loop":
      res.writeHead(302, { location: "/loop" }).end();
      return;
    case "/big-declared":
      // Declares more than the cap; the client must stop before the body.
      res.writeHead(200, { "content-length": String(10 * 1024 * 1024) });
      res.write(Buffer.alloc(1024));
      return;
    case "/big-chunked": {
      // No Content-Length: the cap is enforced while streaming.
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const chunk = Buffer.alloc(64 * 1024, 97);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
      return;
    }
    case "/slow":
      // Headers at once, then a body that never finishes.
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("a");
      return;
    default:
      res.writeHead(404).end("no");
  }
}

before(async () => {
  server = createServer(route);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
  const dir = makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\n', "predict.ts": PREDICT });
  loaded = await loadPredictor(await loadProject(dir));
});
after(() => {
  server.closeAllConnections();
  server.close();
});

async function run(file: string, downloads: DownloadOptions, signal?: AbortSignal): Promise<unknown> {
  const gen = loaded.runner.predict({ file }, { files: "remote", downloads, signal });
  let step = await gen.next();
  while (!step.done) step = await gen.next();
  return step.value;
}

const LOCAL: DownloadOptions = { allowPrivateUrls: true };
const local = (path: string) => `http://127.0.0.1:${port}${path}`;

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

function rejectsWith(pattern: RegExp, code = "INVALID_INPUT") {
  return (err: any) => {
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    return true;
  };
}

test("isPublicAddress: public unicast only", () => {
  for (const ok of ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8", "64:ff9b::808:808"]) {
    assert.equal(isPublicAddress(ok), true, ok);
  }
  for (const no of [
    "127.0.0.1", "127.1.2.3", "0.0.0.0", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1", "100.100.100.200",
    "169.254.169.254", "169.254.0.1", "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1", "198.18.0.1", "192.0.2.1",
    "::", "::1", "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::127.0.0.1", "fc00::1", "fd00:ec2::254",
    "fe80::1", "fe80::1%eth0", "ff02::1", "2001:db8::1", "2002:7f00:1::1", "64:ff9b::7f00:1", "not-an-ip", "",
  ]) {
    assert.equal(isPublicAddress(no), false, no);
  }
});

test("a 200 is streamed to a file named after the URL, and removed after the prediction", async () => {
  hits = [];
  assert.equal(await run(local("/hello.txt"), LOCAL), "hello.txt:hello");
  assert.equal(existsSync(dirname((globalThis as any).__lastFile)), false);
  assert.equal(await run(local("/noext"), LOCAL), "file.txt:plain");
  assert.deepEqual(hits, ["/hello.txt", "/noext"]);
});

test("a 404 is an input error naming the status and the origin only", async () => {
  await assert.rejects(run(local("/missing?token=s3cret"), LOCAL), (err: any) => {
    rejectsWith(/could not fetch the file at http:\/\/127\.0\.0\.1:\d+: the server answered HTTP 404/)(err);
    assert.doesNotMatch(err.message, /s3cret|missing/);
    return true;
  });
});

test("a refused connection is a generic download failure", async () => {
  const p = await closedPort();
  await assert.rejects(run(`http://127.0.0.1:${p}/x.txt`, LOCAL), (err: any) => {
    rejectsWith(/could not fetch the file at http:\/\/127\.0\.0\.1:\d+: download failed\.$/)(err);
    assert.doesNotMatch(err.message, /ECONNREFUSED/);
    return true;
  });
});

test("a body that never finishes times out", async () => {
  const t0 = Date.now();
  await assert.rejects(run(local("/slow"), { ...LOCAL, timeoutMs: 300 }), rejectsWith(/did not finish within 0\.3 s/));
  assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
});

test("canceling the prediction stops its download at once and closes the connection", async () => {
  closedEarly = 0;
  const controller = new AbortController();
  const t0 = Date.now();
  setTimeout(() => controller.abort(), 200);
  await assert.rejects(run(local("/slow"), LOCAL, controller.signal), rejectsWith(/canceled/, "CANCELED"));
  assert.ok(Date.now() - t0 < 2000, `cancel took ${Date.now() - t0} ms`);
  const end = Date.now() + 2000;
  while (closedEarly === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  assert.equal(closedEarly, 1);
});

test("files larger than max_download_bytes are refused: by Content-Length, and while streaming", async () => {
  const cap = { ...LOCAL, maxBytes: 1024 * 1024 };
  await assert.rejects(run(local("/big-declared"), cap), rejectsWith(/larger than the server's limit of 1048576 bytes/));
  await assert.rejects(run(local("/big-chunked"), cap), rejectsWith(/larger than the server's limit of 1048576 bytes/));
  const big = `data:text/plain;base64,${Buffer.alloc(2048).toString("base64")}`;
  await assert.rejects(run(big, { maxBytes: 1024 }), rejectsWith(/data: URI is larger than the server's limit of 1024 bytes/));
});

test("redirects are followed (at most 5) when allowed", async () => {
  hits = [];
  assert.equal(await run(local(`/redirect?to=${encodeURIComponent("/hello.txt")}`), LOCAL), "file.txt:hello");
  assert.deepEqual(hits, ["/redirect?to=%2Fhello.txt", "/hello.txt"]);
  hits = [];
  await assert.rejects(run(local("/loop"), LOCAL), rejectsWith(/more than 5 redirects/));
  assert.equal(hits.length, 6);
});

test("by default loopback, private and metadata addresses are refused before connecting, with one generic error", async () => {
  hits = [];
  const closed = await closedPort();
  const urls = [
    local("/hello.txt"),
    `http://localhost:${port}/hello.txt`,
    `http://2130706433:${port}/hello.txt`,
    `http://0x7f.1:${port}/hello.txt`,
    `http://0.0.0.0:${port}/hello.txt`,
    `http://[::1]:${port}/hello.txt`,
    `http://[::ffff:127.0.0.1]:${port}/hello.txt`,
    `https://127.0.0.1:${port}/hello.txt`,
    `http://127.0.0.1:${closed}/hello.txt`,
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/x",
  ];
  for (const url of urls) {
    await assert.rejects(run(url, {}), (err: any) => {
      assert.equal(err.code, "INVALID_INPUT", url);
      assert.match(err.message, /^Input "file": could not fetch the file at \S+: refused by the server's URL policy \(only http\(s\) URLs on public addresses are fetched\)\.$/, url);
      return true;
    });
  }
  assert.deepEqual(hits, [], "no request reached the server");
});

test("every redirect hop is checked: a trusted host redirecting to loopback is refused", async () => {
  hits = [];
  const to = `http://localhost:${port}/hello.txt`;
  await assert.rejects(
    run(local(`/redirect?to=${encodeURIComponent(to)}`), { trustedHosts: ["127.0.0.1"] }),
    rejectsWith(/at http:\/\/127\.0\.0\.1:\d+: refused by the server's URL policy/),
  );
  assert.deepEqual(hits, [`/redirect?to=${encodeURIComponent(to)}`]);
});
