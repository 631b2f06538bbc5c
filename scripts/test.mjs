#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/test/**/*.test.js) with node's test runner.
// Usage: node scripts/test.mjs [--coverage] [package ...]   e.g. node scripts/test.mjs sdk runtime
//   --coverage  also measures line and branch coverage with c8 (V8 coverage of every node process
//               the tests start, mapped to packages/*/src), writes coverage/lcov.info and prints
//               a table per package. (Node 20's --experimental-test-coverage fails on our source maps.)
import { readdirSync, existsSync, statSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const coverage = args.includes("--coverage");
const only = args.filter((a) => !a.startsWith("--"));
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

const options = ["--test", "--test-concurrency=2"];
if (!coverage) {
  const result = spawnSync(process.execPath, [...options, ...files], { stdio: "inherit" });
  process.exit(result.status ?? 1);
}
// c8 collects V8 coverage from every node process the tests start (test files, CLIs, servers,
// workers), maps it through the source maps to packages/*/src/*.ts and writes coverage/.
const dir = join(root, "coverage");
rmSync(dir, { recursive: true, force: true });
const c8 = join(root, "node_modules", "c8", "bin", "c8.js");
const result = spawnSync(process.execPath, [
  c8, "--reporter=lcovonly", "--reporter=json-summary", `--report-dir=${dir}`, `--temp-directory=${join(dir, "tmp")}`,
  "--all", "--include=packages/*/dist/src/**", "--exclude-after-remap=false",
  process.execPath, ...options, ...files,
], { stdio: "inherit", cwd: root });
printCoverage(JSON.parse(readFileSync(join(dir, "coverage-summary.json"), "utf8")));
process.exit(result.status ?? 1);

/** Sums c8's line and branch counts per package (files under packages/<pkg>/src). */
function printCoverage(summary) {
  const totals = new Map();
  for (const [file, s] of Object.entries(summary)) {
    const m = /packages\/([^/]+)\/(?:dist\/)?src\//.exec(relative(root, file));
    if (!m || (only.length && !only.includes(m[1]))) continue;
    const t = totals.get(m[1]) ?? { lines: 0, linesHit: 0, branches: 0, branchesHit: 0 };
    t.lines += s.lines.total;
    t.linesHit += s.lines.covered;
    t.branches += s.branches.total;
    t.branchesHit += s.branches.covered;
    totals.set(m[1], t);
  }
  const pct = (hit, found) => (found ? `${((100 * hit) / found).toFixed(1)}%` : "-").padStart(7);
  console.log("\ncoverage per package (lines, branches of packages/<pkg>/src):");
  for (const [name, t] of [...totals].sort()) {
    console.log(`  ${name.padEnd(8)} lines ${pct(t.linesHit, t.lines)} (${t.linesHit}/${t.lines})  branches ${pct(t.branchesHit, t.branches)} (${t.branchesHit}/${t.branches})`);
  }
  console.log(`  details: ${relative(root, join(dir, "lcov.info"))}`);
}
