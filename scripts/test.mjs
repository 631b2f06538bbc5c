#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/test/**/*.test.js) with node's test runner.
// Usage: node scripts/test.mjs [package ...]   e.g. node scripts/test.mjs sdk runtime
import { readdirSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;
const only = process.argv.slice(2);
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith(".test.js")) files.push(p);
  }
}
for (const pkg of readdirSync(join(root, "packages")).sort()) {
  if (only.length && !only.includes(pkg)) continue;
  const dir = join(root, "packages", pkg, "dist", "test");
  if (existsSync(dir)) walk(dir);
}
if (files.length === 0) {
  console.error("no test files found: run `npx tsc -b` first");
  process.exit(1);
}
const result = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...files], { stdio: "inherit" });
process.exit(result.status ?? 1);
