/**
 * User and environment errors are never reported as bugs in tscog (exit 70):
 * each gets one paragraph and the exit code the README documents.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ERROR_CODES } from "@tscog/sdk";
import { makeProject } from "@tscog/runtime/testing";
import { reportError } from "../src/report-error.js";
import { runCli } from "./run-cli.js";

const PROJECT = {
  "cog.yaml": 'predict: "predict.ts:Predictor"\n',
  "predict.ts": `import { BasePredictor } from "tscog";
export class Predictor extends BasePredictor {
  async predict(): Promise<string> { return "ok"; }
}
`,
};

const noBugNotice = (stderr: string) => assert.doesNotMatch(stderr, /bug in tscog|^\s+at /m);

test("serve on a port in use: ADDRESS_IN_USE, exit 7, says which address and what to do", { timeout: 120_000 }, async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  t.after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const r = await runCli(["serve", "-C", makeProject(PROJECT), "--port", String(port)]);
  assert.equal(r.code, ERROR_CODES.ADDRESS_IN_USE.exit);
  assert.equal(r.code, 7);
  assert.match(r.stderr, new RegExp(`error: Cannot listen on 127\\.0\\.0\\.1:${port}: another program is already using that port\\.\\nStop that program, or choose another port with --port`));
  noBugNotice(r.stderr);
});

test("serve with an invalid port: a usage error (exit 2) naming the allowed range", async () => {
  for (const port of ["70000", "-1", "http", "5000.5"]) {
    const r = await runCli(["serve", "-C", makeProject(PROJECT), "--port", port]);
    assert.equal(r.code, 2, `${port}: ${r.stderr}`);
    assert.match(r.stderr, /--port must be a whole number from 0 to 65535/);
    noBugNotice(r.stderr);
  }
});

test("an output path that cannot be written: CANNOT_WRITE, exit 8", async () => {
  const dir = makeProject(PROJECT);
  if (process.getuid?.() === 0) {
    // Root may write in any directory, but not create files in sysfs.
    const r = await runCli(["predict", "-o", "/sys/tscog-out.txt"], { cwd: dir });
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stderr, /error: Cannot open \/sys\/tscog-out\.txt: permission denied\./);
    return;
  }
  const locked = join(dir, "locked");
  mkdirSync(locked);
  chmodSync(locked, 0o500);
  const r = await runCli(["predict", "-o", "locked/out.txt"], { cwd: dir });
  assert.equal(r.code, 8, r.stderr);
  assert.match(r.stderr, /error: -o locked\/out\.txt: no permission to write in .*locked\./);
});

test("system errors map to their codes in one place; anything else is still INTERNAL (exit 70)", () => {
  const lines: string[] = [];
  const sink = { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream;
  const inUse = Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE", syscall: "listen", address: "::", port: 80 });
  assert.equal(reportError(inUse, false, sink), 7);
  assert.match(lines.join(""), /Cannot listen on :::80: another program is already using that port/);
  const denied = Object.assign(new Error("EACCES"), { code: "EACCES", syscall: "open", path: "/etc/x" });
  assert.equal(reportError(denied, false, sink), 8);
  assert.match(lines.join(""), /Cannot open \/etc\/x: permission denied\./);
  const privileged = Object.assign(new Error("listen EACCES"), { code: "EACCES", syscall: "listen", address: "0.0.0.0", port: 80 });
  assert.equal(reportError(privileged, false, sink), 7);
  lines.length = 0;
  assert.equal(reportError(new TypeError("x is undefined"), false, sink), 70);
  assert.match(lines.join(""), /bug in tscog/);
});
