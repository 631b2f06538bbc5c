/**
 * `tscog build` flags from Cog: --no-cache, --secret, --openapi-schema, and
 * cog.yaml's `image:` as the name when -t is not given. Builds write OCI
 * layouts (no Docker needed).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { makeProject } from "@tscog/runtime/testing";
import { runCli } from "./run-cli.js";

const PREDICT = `import { BasePredictor, Input, type InputsOf } from "tscog";
const inputs = { word: Input.string({ default: "hi" }) };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ word }: InputsOf<typeof inputs>): Promise<string> { return word; }
}
`;

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "tscog-build-flags-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every blob of an OCI layout, layers gunzipped. */
function layoutBlobs(dir: string): Buffer[] {
  const blobs = join(dir, "blobs", "sha256");
  return readdirSync(blobs).map((name) => {
    const bytes = readFileSync(join(blobs, name));
    return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  });
}

test("build uses cog.yaml image: when -t is not given; --openapi-schema writes the schema", { timeout: 300_000 }, async (t) => {
  const dir = makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\nimage: registry.example.com/me/model:v7\n', "predict.ts": PREDICT });
  const out = tempDir(t);
  const r = await runCli(["build", "--output", `oci:${join(out, "layout")}`, "--progress", "quiet", "--openapi-schema", join(out, "schema.json")], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const index = JSON.parse(readFileSync(join(out, "layout", "index.json"), "utf8"));
  assert.equal(index.manifests[0].annotations["org.opencontainers.image.ref.name"], "v7");
  const schema = JSON.parse(readFileSync(join(out, "schema.json"), "utf8"));
  assert.equal(schema.components.schemas.Input.properties.word.default, "hi");
  assert.match(r.stderr, /Written the OpenAPI schema to .*schema\.json/);

  const bad = await runCli(["build", "--output", `oci:${join(out, "x")}`, "--openapi-schema", join(out, "missing", "schema.json")], { cwd: dir });
  assert.equal(bad.code, 8, bad.stderr);
  assert.match(bad.stderr, /--openapi-schema .*missing\/schema\.json: the directory .*missing does not exist/);

  const badName = makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\nimage: "Not An Image!"\n', "predict.ts": PREDICT });
  const named = await runCli(["build", "--output", `oci:${join(out, "y")}`], { cwd: badName });
  assert.equal(named.code, 2, named.stderr);
  assert.match(named.stderr, /cog\.yaml: image: "Not An Image!" is not an image reference/);
});

test("build --no-cache builds every layer again; without it they come from the cache", { timeout: 600_000 }, async (t) => {
  const dir = makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\n', "predict.ts": PREDICT });
  const out = tempDir(t);
  // A cache of its own, so the counts do not depend on other builds.
  const env = { TSCOG_CACHE_DIR: join(out, "cache") };
  const build = (...extra: string[]) => runCli(["build", "--output", `oci:${join(out, `l${Math.random()}`)}`, "--progress", "plain", ...extra], { cwd: dir, env });
  const first = await build();
  assert.equal(first.code, 0, first.stderr);
  const cached = await build();
  assert.equal(cached.code, 0, cached.stderr);
  const layerLines = (s: string) => s.split("\n").filter((l) => /^\[\d+\/\d+\]/.test(l));
  assert.ok(layerLines(cached.stderr).length >= 3);
  assert.ok(layerLines(cached.stderr).every((l) => / cached /.test(l)), cached.stderr);
  const fresh = await build("--no-cache");
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.ok(layerLines(fresh.stderr).every((l) => / built /.test(l) && !/ cached /.test(l)), fresh.stderr);
  assert.equal(fresh.stdout, cached.stdout, "same digest: --no-cache rebuilds, it does not change the image");
});

test("build --secret: readable during the build at $TSCOG_BUILD_SECRETS/<id>, absent from every layer and the config", { timeout: 300_000 }, async (t) => {
  const secret = "hf_SECRET_value_0123456789";
  const out = tempDir(t);
  const seen = join(out, "seen.txt");
  const dir = makeProject({
    "cog.yaml": 'predict: "predict.ts:Predictor"\n',
    // The secret sits in the project directory, where every other file is copied into the image.
    "hf_token.txt": `${secret}\n`,
    "predict.ts": `import { BasePredictor, Input, type InputsOf } from "tscog";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
// Runs when tscog imports the predictor to read its schema, during the build.
const dir = process.env.TSCOG_BUILD_SECRETS;
if (dir && process.env.SEEN_FILE) writeFileSync(process.env.SEEN_FILE, readFileSync(join(dir, "hf")));
const leak = dir && process.env.LEAK ? readFileSync(join(dir, "hf"), "utf8").trim() : "none";
const inputs = { word: Input.string({ default: leak }) };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ word }: InputsOf<typeof inputs>): Promise<string> { return word; }
}
`,
  });
  const layout = join(out, "layout");
  const r = await runCli(["build", "--output", `oci:${layout}`, "--progress", "quiet", "--secret", "id=hf,src=hf_token.txt"], { cwd: dir, env: { SEEN_FILE: seen } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(seen, "utf8"), `${secret}\n`, "the build could read the secret");
  const blobs = layoutBlobs(layout);
  assert.ok(blobs.length >= 4);
  for (const blob of blobs) {
    assert.equal(blob.includes(secret), false, "the secret's value is in no layer, config or manifest");
    assert.equal(blob.includes("hf_token.txt"), false, "the secret's file is not copied");
  }

  // A predictor that would bake the secret into its schema fails the build, naming where.
  const leaked = await runCli(["build", "--output", `oci:${join(out, "leak")}`, "--progress", "quiet", "--secret", "id=hf,src=hf_token.txt"], { cwd: dir, env: { LEAK: "1" } });
  assert.equal(leaked.code, 5, leaked.stderr);
  assert.match(leaked.stderr, /error: the build secret "hf" would be written into the image: its value is in /);
  assert.doesNotMatch(leaked.stderr, new RegExp(secret));

  const bad = await runCli(["build", "--secret", "hf"], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--secret "hf": "hf" is not key=value\. Expected id=NAME,src=PATH/);
});
