import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { freePort } from "@tscog/runtime/testing";
import { join } from "node:path";

/** A `docker-registry serve` on 127.0.0.1 (Debian's docker-registry) with its storage in a temp dir. */
export interface TestRegistry {
  host: string;
  stop(): Promise<void>;
}


/** Starts a registry; `stop()` ends it and removes its storage. */
export async function startRegistry(): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "tscog-cli-registry-"));
  const port = await freePort();
  const config = join(dir, "config.yml");
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const child = spawn("docker-registry", ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const host = `127.0.0.1:${port}`;
  const stop = () => new Promise<void>((resolve) => {
    const done = () => { rmSync(dir, { recursive: true, force: true }); resolve(); };
    if (child.exitCode !== null) return done();
    child.once("exit", done);
    child.kill("SIGTERM");
  });
  for (let i = 0; ; i++) {
    if (await fetch(`http://${host}/v2/`).then((r) => r.ok, () => false)) return { host, stop };
    if (i > 100 || child.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
