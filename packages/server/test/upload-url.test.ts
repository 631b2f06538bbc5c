/**
 * Cog's `--upload-url` against a real HTTP receiver on 127.0.0.1: every `Path`
 * output is PUT to `<upload-url>/<name>` and the output holds the resulting
 * URL (`Location`, else the PUT URL, without its query); a receiver error or a
 * redirect to another host fails the prediction with a clear error;
 * `output_file_prefix` is ignored, as Cog ignores it.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { makeProject } from "@tscog/runtime/testing";
import { serve, serveOptionsFromEnv, type TscogServer } from "../src/index.js";
import { postJson } from "./helpers.js";

const PREDICT = `import { BasePredictor, Input, type InputsOf, type Path } from "tscog";
import { mkdtemp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
const inputs = { text: Input.string({ default: "hello" }), name: Input.string({ default: "out.txt" }) };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ text, name }: InputsOf<typeof inputs>): Promise<Path> {
    const file = join(await mkdtemp(join(tmpdir(), "tscog-upload-test-")), name);
    await writeFile(file, text);
    return file as Path;
  }
}
`;

interface Put {
  method: string;
  path: string;
  body: string;
  contentType?: string;
  predictionId?: string;
}
/** What the receiver answers: 201, 200 + Location, 500, a redirect to another host, or a same-origin redirect. */
let mode: "created" | "location" | "error" | "foreign-redirect" | "same-redirect" = "created";
let puts: Put[] = [];
let receiver: Server;
let receiverUrl = "";
let server: TscogServer;

before(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (c) => (body += c)).on("end", () => {
      puts.push({ method: req.method!, path: req.url!, body, contentType: req.headers["content-type"], predictionId: req.headers["x-prediction-id"] as string | undefined });
      const port = (receiver.address() as AddressInfo).port;
      if (mode === "created" || req.url!.startsWith("/moved/")) return void res.writeHead(201).end();
      if (mode === "location") return void res.writeHead(200, { location: `https://cdn.example/x/${req.url!.split("/").pop()}?sig=secret` }).end();
      if (mode === "error") return void res.writeHead(500, { "content-type": "text/plain" }).end("disk full");
      if (mode === "foreign-redirect") return void res.writeHead(307, { location: `http://localhost:${port}/elsewhere` }).end();
      res.writeHead(307, { location: `/moved/${req.url!.split("/").pop()}` }).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  // No trailing slash: Cog adds one.
  server = await serve({ dir: makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\n', "predict.ts": PREDICT }), uploadUrl: `${receiverUrl}/outputs` });
  await server.ready;
});
after(async () => {
  await server.close({ graceMs: 100 });
  receiver.closeAllConnections();
  receiver.close();
});

const predict = async (input: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  (await (await postJson(`${server.url}/predictions`, { input, ...extra })).json()) as { id: string; status: string; output?: unknown; error?: string };

test("a Path output is PUT to <upload-url>/<name> with its type and prediction id; the output is that URL", async () => {
  mode = "created";
  puts = [];
  const p = await predict({ text: "some bytes", name: "result file.txt" });
  assert.equal(p.status, "succeeded", p.error);
  assert.equal(p.output, `${receiverUrl}/outputs/result%20file.txt`);
  assert.deepEqual(puts, [{ method: "PUT", path: "/outputs/result%20file.txt", body: "some bytes", contentType: "text/plain", predictionId: p.id }]);
});

test("the Location header of the receiver's reply is the output, without its query", async () => {
  mode = "location";
  puts = [];
  const p = await predict({ name: "a.png" });
  assert.equal(p.status, "succeeded", p.error);
  assert.equal(p.output, "https://cdn.example/x/a.png");
  assert.equal(puts[0]?.contentType, "image/png");
});

test("a receiver error fails the prediction, naming the file, the URL and the status", async () => {
  mode = "error";
  const p = await predict({ name: "out.txt" });
  assert.equal(p.status, "failed");
  assert.match(p.error!, /Uploading the output file out\.txt to http:\/\/127\.0\.0\.1:\d+\/outputs\/out\.txt \(--upload-url\) failed: the upload server answered HTTP 500: disk full/);
  // The server stays healthy.
  mode = "created";
  assert.equal((await predict({})).status, "succeeded");
});

test("redirects are followed on the upload URL's own origin only", async () => {
  mode = "same-redirect";
  puts = [];
  const moved = await predict({ name: "m.txt", text: "again" });
  assert.equal(moved.status, "succeeded", moved.error);
  assert.equal(moved.output, `${receiverUrl}/moved/m.txt`);
  assert.deepEqual(puts.map((p) => [p.path, p.body]), [["/outputs/m.txt", "again"], ["/moved/m.txt", "again"]]);

  mode = "foreign-redirect";
  puts = [];
  const p = await predict({ name: "f.txt" });
  assert.equal(p.status, "failed");
  assert.match(p.error!, /redirected to another host \(http:\/\/localhost:\d+\)/);
  assert.equal(puts.length, 1);
});

test("output_file_prefix in a request is ignored (Cog dropped it): nothing is PUT there", async () => {
  mode = "created";
  puts = [];
  const p = await predict({ name: "o.txt" }, { output_file_prefix: `${receiverUrl}/client-chosen/` });
  assert.equal(p.status, "succeeded", p.error);
  assert.equal(p.output, `${receiverUrl}/outputs/o.txt`);
  assert.deepEqual(puts.map((x) => x.path), ["/outputs/o.txt"]);
});

test("TSCOG_UPLOAD_URL sets the upload URL; a malformed one is refused at start", async () => {
  assert.equal(serveOptionsFromEnv({ TSCOG_UPLOAD_URL: "https://storage.example/out/" }).uploadUrl, "https://storage.example/out/");
  await assert.rejects(serve({ dir: makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\n', "predict.ts": PREDICT }), uploadUrl: "ftp://x/" }), /upload URL must be an http\(s\) URL/);
});
