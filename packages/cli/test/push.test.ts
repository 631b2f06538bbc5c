import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { makeProject, needComponent } from "@tscog/runtime/testing";
import { runCli } from "./run-cli.js";
import { startRegistry } from "./registry.js";

const run = promisify(execFile);
const has = (program: string) => run("sh", ["-c", `command -v ${program}`]).then(() => true, () => false);
const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

test("tscog push: builds and pushes to a real registry, prints the digest; a second push uploads nothing", { timeout: 300_000 }, async (t) => {
  if (!needComponent(t, await has("docker-registry"), "docker-registry is not installed (scripts/ci-services.sh installs it)")) return;
  const registry = await startRegistry();
  t.after(() => registry.stop());
  const dir = makeProject({
    "cog.yaml": 'predict: "predict.ts:Predictor"\n',
    "predict.ts": `import { BasePredictor, Input, type InputsOf } from "tscog";
const inputs = { word: Input.string({ description: "what to echo" }) };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ word }: InputsOf<typeof inputs>): Promise<string> {
    return word;
  }
}
`,
  });
  const ref = `${registry.host}/tscog/pushed:v1`;
  const pushed = await runCli(["push", ref, "--progress", "plain"], { cwd: dir });
  assert.equal(pushed.code, 0, pushed.stderr);
  const digest = pushed.stdout.trim();
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  assert.match(pushed.stderr, new RegExp(`pushed ${registry.host}/tscog/pushed:v1@${digest}: \\d+ blobs uploaded`));

  // What the registry holds: the manifest under the tag has that digest; its blobs are intact.
  const get = (path: string, accept = "application/vnd.oci.image.manifest.v1+json") => fetch(`http://${registry.host}/v2/tscog/pushed/${path}`, { headers: { accept } });
  const manifestBytes = Buffer.from(await (await get("manifests/v1")).arrayBuffer());
  assert.equal(sha256(manifestBytes), digest);
  const manifest = JSON.parse(manifestBytes.toString()) as { config: { digest: string }; layers: { digest: string }[] };
  const config = JSON.parse(Buffer.from(await (await get(`blobs/${manifest.config.digest}`)).arrayBuffer()).toString()) as {
    config: { Labels: Record<string, string>; User: string }; rootfs: { diff_ids: string[] };
  };
  assert.equal(config.config.User, "1000:1000");
  const openapi = JSON.parse(config.config.Labels["run.cog.openapi_schema"]!);
  assert.equal(openapi.components.schemas.Input.properties.word.description, "what to echo");
  const code = Buffer.from(await (await get(`blobs/${manifest.layers.at(-1)!.digest}`)).arrayBuffer());
  assert.equal(sha256(code), manifest.layers.at(-1)!.digest);
  assert.equal(sha256(gunzipSync(code)), config.rootfs.diff_ids.at(-1));

  const again = await runCli(["push", ref, "--progress", "quiet"], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /: 0 blobs uploaded \(0 B\), \d+ already there/);
  assert.equal(again.stdout.trim(), digest, "same project, same digest");

  const bad = await runCli(["push", "Not A Reference!", "--progress", "quiet"], { cwd: dir });
  assert.equal(bad.code, 2, bad.stderr);
  assert.doesNotMatch(bad.stderr, /^\s+at /m, "no stack trace");
});
