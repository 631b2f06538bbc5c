/**
 * `tscog login` against a real registry with htpasswd authentication, then
 * `tscog push` with the stored credentials and cog.yaml's `image:` as REF.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, makeProject, needComponent } from "@tscog/runtime/testing";
import { runCli } from "./run-cli.js";

const run = promisify(execFile);
const has = (program: string) => run("sh", ["-c", `command -v ${program}`]).then(() => true, () => false);

/** A docker-registry on 127.0.0.1 that wants user `alice`, password `s3cret` (bcrypt htpasswd). */
async function startAuthRegistry(dir: string): Promise<{ host: string; stop(): Promise<void> }> {
  const { stdout } = await run("htpasswd", ["-Bbn", "alice", "s3cret"]);
  writeFileSync(join(dir, "htpasswd"), stdout);
  const port = await freePort();
  const config = join(dir, "config.yml");
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\nhttp:\n  addr: 127.0.0.1:${port}\nauth:\n  htpasswd:\n    realm: tscog-test\n    path: ${join(dir, "htpasswd")}\n`);
  const child = spawn("docker-registry", ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const stop = () => new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (await fetch(`http://${host}/v2/`).then((r) => r.status === 401, () => false)) return { host, stop };
    if (i > 100 || child.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("tscog login checks the password against the registry, stores it in $DOCKER_CONFIG, and push (REF from cog.yaml image:) uses it", { timeout: 300_000 }, async (t) => {
  if (!needComponent(t, (await has("docker-registry")) && (await has("htpasswd")), "docker-registry or htpasswd (apache2-utils) is not installed (scripts/ci-services.sh installs them)")) return;
  const dir = mkdtempSync(join(tmpdir(), "tscog-login-"));
  const registry = await startAuthRegistry(dir);
  t.after(async () => {
    await registry.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const env = { DOCKER_CONFIG: join(dir, "docker"), TSCOG_REGISTRY_USERNAME: "", TSCOG_REGISTRY_PASSWORD: "" };
  const configFile = join(dir, "docker", "config.json");

  const wrong = await runCli(["login", registry.host, "-u", "alice", "--password-stdin"], { input: "wrong\n", env });
  assert.equal(wrong.code, 4, wrong.stderr);
  assert.match(wrong.stderr, new RegExp(`error: ${registry.host} refused the credentials of user "alice" \\(HTTP 401\\); nothing was stored\\.`));
  assert.equal(existsSync(configFile), false);

  const noUser = await runCli(["login", registry.host, "--password-stdin"], { input: "s3cret\n", env });
  assert.equal(noUser.code, 2, "no terminal to ask for the user name on");
  assert.match(noUser.stderr, /Pass -u USER and pipe the password/);

  const ok = await runCli(["login", registry.host, "-u", "alice", "--password-stdin"], { input: "s3cret\n", env });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, new RegExp(`Login succeeded: credentials for ${registry.host} stored in ${configFile}`));
  const stored = JSON.parse(readFileSync(configFile, "utf8"));
  assert.equal(Buffer.from(stored.auths[registry.host].auth, "base64").toString(), "alice:s3cret");
  assert.equal(statSync(configFile).mode & 0o777, 0o600);

  // push with no REF: cog.yaml's image: names the target; the credentials come from the config login wrote.
  const project = makeProject({
    "cog.yaml": `predict: "predict.ts:Predictor"\nimage: ${registry.host}/me/logged-in:v1\n`,
    "predict.ts": `import { BasePredictor } from "tscog";
export class Predictor extends BasePredictor {
  async predict(): Promise<string> { return "ok"; }
}
`,
  });
  const pushed = await runCli(["push", "--progress", "quiet"], { cwd: project, env });
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.match(pushed.stderr, new RegExp(`pushed ${registry.host}/me/logged-in:v1@sha256:`));
  const manifest = await fetch(`http://${registry.host}/v2/me/logged-in/manifests/v1`, {
    headers: { authorization: `Basic ${Buffer.from("alice:s3cret").toString("base64")}`, accept: "application/vnd.oci.image.manifest.v1+json" },
  });
  assert.equal(manifest.status, 200);

  const noRef = makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\n', "predict.ts": 'import { BasePredictor } from "tscog";\nexport class Predictor extends BasePredictor { async predict(): Promise<string> { return "x"; } }\n' });
  const missing = await runCli(["push"], { cwd: noRef, env });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /tscog push needs to know where to push: give a REF .* or set image: in cog\.yaml\./);
});
