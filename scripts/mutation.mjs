#!/usr/bin/env node
// Mutation testing of the core modules with Stryker (see stryker.config.mjs).
// Usage: node scripts/mutation.mjs [target ...]   (no target: all of them)
//   e.g. node scripts/mutation.mjs sdk-validation image-layer
// Reports: reports/mutation/<target>.json; the score per target is printed at the end.
// Slow (every mutant re-runs the target's tests): not part of CI.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Stryker } from "@stryker-mutator/core";
import base, { targets } from "../stryker.config.mjs";

const root = new URL("..", import.meta.url).pathname;
process.chdir(root);
const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(targets);
for (const name of names) if (!targets[name]) throw new Error(`unknown target ${name}; known: ${Object.keys(targets).join(", ")}`);

const scores = [];
for (const name of names) {
  const target = targets[name];
  try {
    execFileSync("npx", ["tsc", "-b", target.build], { stdio: "inherit" });
  } catch {
    // tsc still emits what it can; a package mid-edit elsewhere should not stop a run of another.
    console.warn(`mutation: \`tsc -b ${target.build}\` reported errors; mutating the JS it emitted`);
  }
  const file = `reports/mutation/${name}.json`;
  const stryker = new Stryker({ ...base, mutate: target.mutate, commandRunner: { command: target.command }, jsonReporter: { fileName: file } });
  await stryker.runMutationTest();
  const report = JSON.parse(readFileSync(file, "utf8"));
  for (const [path, f] of Object.entries(report.files)) {
    const count = (s) => f.mutants.filter((m) => s.includes(m.status)).length;
    const killed = count(["Killed", "Timeout"]);
    const survived = count(["Survived", "NoCoverage"]);
    scores.push({ target: name, file: path, killed, survived, score: killed / Math.max(1, killed + survived) });
  }
}
console.log("\nmutation score (killed + timeout) / (killed + timeout + survived + no coverage):");
for (const s of scores) console.log(`  ${s.target.padEnd(20)} ${s.file.padEnd(55)} ${s.killed}/${s.killed + s.survived}  ${(100 * s.score).toFixed(1)}%`);
