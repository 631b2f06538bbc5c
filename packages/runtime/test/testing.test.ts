import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { isCI, makeProject, needComponent, removeProjects } from "../src/testing.js";

test("isCI: CI set to anything but empty, 0 or false", () => {
  for (const value of ["true", "1", "yes", "TRUE", "github"]) assert.equal(isCI({ CI: value }), true, value);
  for (const value of [undefined, "", "0", "false", "False", " "]) assert.equal(isCI({ CI: value }), false, String(value));
});

test("needComponent: true when available; skips outside CI; throws under CI", (t) => {
  const saved = process.env.CI;
  t.after(() => (saved === undefined ? delete process.env.CI : (process.env.CI = saved)));
  const skipped: string[] = [];
  const ctx = { skip: (reason?: string) => void skipped.push(reason ?? "") };
  process.env.CI = "false";
  assert.equal(needComponent(ctx, true, "docker missing"), true);
  assert.deepEqual(skipped, []);
  assert.equal(needComponent(ctx, false, "docker missing"), false);
  assert.deepEqual(skipped, ["docker missing"]);
  process.env.CI = "true";
  assert.equal(needComponent(ctx, true, "docker missing"), true);
  assert.throws(() => needComponent(ctx, false, "docker missing"), /docker missing: required under CI/);
  assert.deepEqual(skipped, ["docker missing"], "no skip under CI");
});

test("makeProject writes the files; its directories are gone when the process exits", () => {
  const dir = makeProject({ "cog.yaml": "predict: x\n", "sub/dir/a.txt": "a" });
  assert.equal(readFileSync(join(dir, "sub/dir/a.txt"), "utf8"), "a");
  removeProjects();
  assert.equal(existsSync(dir), false, "removeProjects removes them at once");
  const module = pathToFileURL(join(import.meta.dirname, "..", "src", "testing.js")).href;
  const made = execFileSync(process.execPath, ["--input-type=module", "-e",
    `import { makeProject } from ${JSON.stringify(module)}; console.log(makeProject({ "a.txt": "a" })); console.log(makeProject({}));`], { encoding: "utf8" });
  const dirs = made.trim().split("\n");
  assert.equal(dirs.length, 2);
  for (const d of dirs) assert.equal(existsSync(d), false, `${d} removed at exit`);
});
