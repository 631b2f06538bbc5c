/**
 * Replicate's files API on a real server: the `replicate` npm client uploads
 * Buffer and Blob inputs to `POST /v1/files` and passes `urls.get` as a `Path`
 * input, which the server reads from its own disk (no download, so the
 * outbound address policy, which refuses 127.0.0.1, never sees it). Then the
 * routes over plain HTTP: limits (413), 404s, DELETE, listing, expiry, auth,
 * and malformed multipart bodies (4xx JSON, the server carries on).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeProject, needComponent } from "@tscog/runtime/testing";
import Replicate from "replicate";
import { serve, serveOptionsFromEnv, type TscogServer } from "../src/index.js";
import { postJson, startFake, until } from "./helpers.js";

const TOKEN = "files-token";
const PREDICT = `import { BasePredictor, Input, type InputsOf } from "tscog";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
const inputs = { file: Input.path({ description: "any file" }) };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ file }: InputsOf<typeof inputs>): Promise<string> {
    const bytes = await readFile(file);
    return basename(file) + " " + bytes.length + " " + bytes.toString("hex");
  }
}
`;

let server: TscogServer;
const auth = { authorization: `Bearer ${TOKEN}` };
const BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i)); // every byte value: no text decoding survives this

before(async () => {
  server = await serve({ dir: makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\n', "predict.ts": PREDICT }), token: TOKEN });
  await server.ready;
});
after(() => server.close({ graceMs: 100 }));

test("replicate client: a Buffer and a Blob input are uploaded to /v1/files and read from disk as Path inputs", async () => {
  const replicate = new Replicate({ auth: TOKEN, baseUrl: `${server.url}/v1`, fileEncodingStrategy: "upload" });
  const fromBuffer = await replicate.run("acme/files:0123abcd", { input: { file: BYTES } });
  assert.match(String(fromBuffer), new RegExp(`^file 256 ${BYTES.toString("hex")}$`));

  const blob = new Blob([Buffer.from("hello blob")], { type: "text/plain" });
  const prediction = await replicate.predictions.create({ version: "0123abcd", input: { file: blob } });
  const done = await replicate.wait(prediction, { interval: 50 });
  assert.equal(done.status, "succeeded", String(done.error));
  assert.match(String(done.output), new RegExp(`^file\\.txt 10 ${Buffer.from("hello blob").toString("hex")}$`));
  // The input is this server's own file URL, and the file is listed.
  const url = String((done.input as { file: string }).file);
  assert.match(url, new RegExp(`^${server.url}/v1/files/[a-z2-7]{26}/content$`));
  const list = (await replicate.files.list()) as unknown as { results: { id: string; urls: { get: string } }[] };
  assert.ok(list.results.some((f) => f.urls.get === url));

  // The record, as Replicate's API shapes it.
  const id = url.split("/").at(-2)!;
  const file = (await replicate.files.get(id)) as unknown as Record<string, unknown>;
  assert.equal(file.id, id);
  assert.equal(file.content_type, "text/plain");
  assert.equal(file.size, 10);
  assert.deepEqual(Object.keys(file.checksums as object).sort(), ["md5", "sha256"]);
  assert.match(String(file.expires_at), /^\d{4}-\d\d-\d\dT/);

  // Deleted: gone for the API, and a prediction naming it fails with a clear message.
  assert.equal(await replicate.files.delete(id), true);
  const res = await fetch(`${server.url}/v1/files/${id}`, { headers: auth });
  assert.equal(res.status, 404);
  await assert.rejects(replicate.run("acme/files:0123abcd", { input: { file: url } }), /there is no file [a-z2-7]{26} on this server/);
});

test("only the server's own file URLs skip the download: another host's URL still meets the address policy", async () => {
  const upload = await uploadForm(server.url, form(BYTES, "b.bin"), auth);
  const id = ((await upload.json()) as { id: string }).id;
  const elsewhere = `http://127.0.0.2:${server.port}/v1/files/${id}/content`;
  const p = (await (await postJson(`${server.url}/predictions`, { input: { file: elsewhere } }, auth)).json()) as { status: string; error?: string };
  assert.equal(p.status, "failed");
  assert.match(p.error!, /refused by the server's URL policy/);
});

/** A form with `content` (and metadata as the replicate client sends it, a JSON blob). */
function form(bytes: Uint8Array, name: string, metadata?: unknown): FormData {
  const data = new FormData();
  data.append("content", new Blob([new Uint8Array(bytes)], { type: "application/octet-stream" }), name);
  if (metadata !== undefined) data.append("metadata", new Blob([JSON.stringify(metadata)], { type: "application/json" }));
  return data;
}

function uploadForm(base: string, body: FormData, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/v1/files`, { method: "POST", body, headers });
}

test("upload, get, download (bytes intact), HEAD, list, delete, then 404s", async () => {
  const fake = await startFake({}, { files: { maxFileBytes: 4096 } });
  try {
    const res = await uploadForm(fake.url, form(BYTES, "bytes.bin", { purpose: "test" }));
    assert.equal(res.status, 201);
    const file = (await res.json()) as Record<string, any>;
    assert.equal(file.name, "bytes.bin");
    assert.equal(file.size, 256);
    assert.deepEqual(file.metadata, { purpose: "test" });
    assert.equal(file.checksums.sha256, "40aff2e9d2d8922e47afd4648e6967497158785fbd1da870e7110266bf944880");
    assert.equal(file.urls.get, `${fake.url}/v1/files/${file.id}/content`);

    const content = await fetch(file.urls.get);
    assert.equal(content.status, 200);
    assert.equal(content.headers.get("content-type"), "application/octet-stream");
    assert.deepEqual(Buffer.from(await content.arrayBuffer()), BYTES);
    const head = await fetch(file.urls.get, { method: "HEAD" });
    assert.equal(head.headers.get("content-length"), "256");
    // Downloads are counted as requests once sent, and leave no stream counted as open. The server
    // records that when its side of the body ends, which can come a moment after the client has read it all.
    const metrics = await until(
      "the download's end in /metrics",
      async () => {
        const text = await (await fetch(`${fake.url}/metrics`)).text();
        return /^tscog_sse_streams_open 0$/m.test(text) ? text : undefined;
      },
      2_000,
    );
    assert.match(metrics, /^tscog_sse_streams_open 0$/m);
    assert.match(metrics, /^tscog_http_requests_total\{method="GET",route="[^"]+",status_class="2xx"\} 1$/m);

    assert.deepEqual(await (await fetch(`${fake.url}/v1/files/${file.id}`)).json(), file);
    const second = (await (await uploadForm(fake.url, form(Buffer.from("x"), "x.txt"))).json()) as { id: string };
    const list = (await (await fetch(`${fake.url}/v1/files`)).json()) as { results: { id: string }[]; next: unknown };
    assert.deepEqual(list.results.map((f) => f.id), [second.id, file.id]);
    assert.equal(list.next, null);

    assert.equal((await fetch(`${fake.url}/v1/files/${file.id}`, { method: "DELETE" })).status, 204);
    for (const [method, path] of [["GET", file.id], ["DELETE", file.id], ["GET", `${file.id}/content`], ["GET", "not-an-id"]]) {
      const gone = await fetch(`${fake.url}/v1/files/${path}`, { method });
      assert.equal(gone.status, 404, `${method} ${path}`);
      assert.equal(((await gone.json()) as { code: string }).code, "NOT_FOUND");
    }
  } finally {
    await fake.close({ graceMs: 100 });
  }
});

test("size limits: a file over the per-file limit, and files over the total, get 413 JSON and leave nothing behind", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tscog-files-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fake = await startFake({}, { files: { dir, maxFileBytes: 1000, maxTotalBytes: 1500 } });
  try {
    const big = await uploadForm(fake.url, form(Buffer.alloc(1001), "big.bin"));
    assert.equal(big.status, 413);
    assert.match(((await big.json()) as { detail: string }).detail, /larger than the server's limit of 1000 bytes per file/);
    // A much larger body is refused from its Content-Length, before it is read.
    const huge = await uploadForm(fake.url, form(Buffer.alloc(2_000_000), "huge.bin"));
    assert.equal(huge.status, 413);

    assert.equal((await uploadForm(fake.url, form(Buffer.alloc(1000), "a.bin"))).status, 201);
    const over = await uploadForm(fake.url, form(Buffer.alloc(600), "b.bin"));
    assert.equal(over.status, 413);
    assert.match(((await over.json()) as { detail: string }).detail, /total limit of 1500 bytes/);
    // Only the one stored file, its record and the origins list remain: no partial uploads.
    assert.deepEqual(readdirSync(dir).map((name) => name.replace(/^[a-z2-7]{26}/, "ID")).sort(), ["ID", "ID.json", "origins.json"]);
    assert.equal((await fetch(`${fake.url}/health-check`)).status, 200);
  } finally {
    await fake.close({ graceMs: 100 });
  }
  // A configured directory outlives the server, and a new server finds its files.
  const again = await startFake({}, { files: { dir } });
  try {
    const list = (await (await fetch(`${again.url}/v1/files`)).json()) as { results: { name: string }[] };
    assert.deepEqual(list.results.map((f) => f.name), ["a.bin"]);
  } finally {
    await again.close({ graceMs: 100 });
  }
});

test("files expire after the retention time", async () => {
  const fake = await startFake({}, { files: { retentionMs: 300 } });
  try {
    const file = (await (await uploadForm(fake.url, form(Buffer.from("soon gone"), "s.txt"))).json()) as { id: string; expires_at: string; created_at: string };
    assert.equal(Date.parse(file.expires_at) - Date.parse(file.created_at), 300);
    assert.equal((await fetch(`${fake.url}/v1/files/${file.id}`)).status, 200);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal((await fetch(`${fake.url}/v1/files/${file.id}`)).status, 404);
    assert.deepEqual(((await (await fetch(`${fake.url}/v1/files`)).json()) as { results: unknown[] }).results, []);
  } finally {
    await fake.close({ graceMs: 100 });
  }
});

test("the files routes need the token like the others", async () => {
  for (const [method, path] of [["POST", "/v1/files"], ["GET", "/v1/files"], ["GET", "/v1/files/abc/content"], ["DELETE", "/v1/files/abc"]]) {
    const res = await fetch(`${server.url}${path}`, { method, ...(method === "POST" ? { body: form(Buffer.from("x"), "x") } : {}) });
    assert.equal(res.status, 401, `${method} ${path}`);
    assert.equal(((await res.json()) as { code: string }).code, "UNAUTHORIZED");
  }
});

test("malformed uploads get 4xx JSON and the server carries on", async () => {
  const fake = await startFake({}, {});
  const raw = (body: string, type = "multipart/form-data; boundary=XX") =>
    fetch(`${fake.url}/v1/files`, { method: "POST", headers: { "content-type": type }, body });
  const part = (name: string, value: string, file = "") =>
    `--XX\r\nContent-Disposition: form-data; name="${name}"${file ? `; filename="${file}"` : ""}\r\n\r\n${value}\r\n`;
  try {
    const cases: [Promise<Response>, number, RegExp][] = [
      [postJson(`${fake.url}/v1/files`, { content: "x" }), 415, /multipart\/form-data/],
      [raw("x", "multipart/form-data"), 400, /multipart body cannot be parsed/],
      [raw(`${part("metadata", "{}")}--XX--\r\n`), 400, /no `content` part/],
      [raw(`${part("content", "abc", "a.txt")}${part("metadata", "{nope")}--XX--\r\n`), 400, /`metadata` part is not valid JSON/],
      [raw(`${part("metadata", `"${"m".repeat(70_000)}"`, "blob")}${part("content", "abc", "a.txt")}--XX--\r\n`), 400, /`metadata` part is larger than 65536 bytes/],
      [raw(`${part("content", "abc", "a.txt")}${part("other", "abc", "b.txt")}--XX--\r\n`), 400, /Unexpected file part "other"/],
      [raw(`${part("content", "abc", "a.txt")}${part("content", "abc", "b.txt")}--XX--\r\n`), 400, /more than one `content` part/],
      [raw(`${part("content", "abc", "a.txt")}${part("filename", "1")}${part("filename", "2")}${part("type", "a/b")}${part("type", "c/d")}--XX--\r\n`), 413, /too many parts/],
      [raw(`--XX\r\nContent-Disposition: form-data; name="content"; filename="a.txt"\r\n\r\nno closing boundary`), 400, /malformed|no `content`|could not/],
    ];
    for (const [pending, status, message] of cases) {
      const res = await pending;
      const body = (await res.json()) as { detail: string };
      assert.equal(res.status, status, body.detail);
      assert.match(body.detail, message);
    }
    // A field-only upload with `filename` and `type`, as Replicate's API documents them, works.
    const ok = await raw(`${part("content", "abc", "blob")}${part("filename", "named.csv")}${part("type", "text/csv")}--XX--\r\n`);
    assert.equal(ok.status, 201);
    const file = (await ok.json()) as { name: string; content_type: string };
    assert.deepEqual([file.name, file.content_type], ["named.csv", "text/csv"]);
    assert.equal((await fetch(`${fake.url}/health-check`)).status, 200);
    assert.equal(((await (await fetch(`${fake.url}/v1/files`)).json()) as { results: unknown[] }).results.length, 1);
  } finally {
    await fake.close({ graceMs: 100 });
  }
});

test("another web origin cannot upload (a multipart POST skips the CORS preflight)", async () => {
  const fake = await startFake({}, {});
  try {
    const res = await fetch(`${fake.url}/v1/files`, { method: "POST", headers: { origin: "http://evil.example" }, body: form(Buffer.from("x"), "x") });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { code: string }).code, "FORBIDDEN");
    assert.deepEqual(((await (await fetch(`${fake.url}/v1/files`)).json()) as { results: unknown[] }).results, []);
  } finally {
    await fake.close({ graceMs: 100 });
  }
});

test("a browser on an allowed origin may delete a file: the preflight allows DELETE", async () => {
  const fake = await startFake({}, { cors: { origins: ["http://app.example"] } });
  try {
    const res = await fetch(`${fake.url}/v1/files/abc`, { method: "OPTIONS", headers: { origin: "http://app.example", "access-control-request-method": "DELETE" } });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), "http://app.example");
    assert.match(res.headers.get("access-control-allow-methods") ?? "", /\bDELETE\b/);
  } finally {
    await fake.close({ graceMs: 100 });
  }
});

test("curl -F (Expect: 100-continue) uploads, and the app's fetch() takes a web Request's FormData too", async (t) => {
  const fake = await startFake({}, {});
  const dir = mkdtempSync(join(tmpdir(), "tscog-curl-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const viaFetch = await fake.app.fetch(new Request(`${fake.url}/v1/files`, { method: "POST", body: form(BYTES, "web.bin") }));
    assert.equal(viaFetch.status, 201);
    const web = (await viaFetch.json()) as { urls: { get: string } };
    assert.deepEqual(Buffer.from(await (await fetch(web.urls.get)).arrayBuffer()), BYTES);
    // The web-standard core sends the file as bytes too (no Node adapter involved).
    const download = await fake.app.fetch(new Request(web.urls.get));
    assert.equal(download.headers.get("content-length"), String(BYTES.length));
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), BYTES);

    if (!needComponent(t, existsSync("/usr/bin/curl"), "/usr/bin/curl is missing (apt-get install -y curl)")) return;
    const big = Buffer.alloc(300_000, 7);
    writeFileSync(join(dir, "big.bin"), big);
    const out = await new Promise<string>((resolve, reject) =>
      execFile("curl", ["-sS", "-F", `content=@${join(dir, "big.bin")}`, "-F", 'metadata={"a":1}', `${fake.url}/v1/files`], { timeout: 20_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    const file = JSON.parse(out) as { size: number; name: string; metadata: unknown; urls: { get: string } };
    assert.deepEqual([file.size, file.name, file.metadata], [300_000, "big.bin", { a: 1 }]);
    assert.deepEqual(Buffer.from(await (await fetch(file.urls.get)).arrayBuffer()), big);
  } finally {
    await fake.close({ graceMs: 100 });
  }
});

test("the files settings come from the environment too", () => {
  const env = { TSCOG_FILES_DIR: "/data/files", TSCOG_MAX_FILE_BYTES: "10", TSCOG_MAX_FILES_BYTES: "20", TSCOG_FILE_RETENTION: "3" };
  assert.deepEqual(serveOptionsFromEnv(env).files, { dir: "/data/files", maxFileBytes: 10, maxTotalBytes: 20, retentionMs: 3000 });
  assert.equal(serveOptionsFromEnv({}).files, undefined);
});
