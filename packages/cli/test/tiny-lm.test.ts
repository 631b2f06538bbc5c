import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { needComponent } from "@tscog/runtime/testing";
import { runCli } from "./run-cli.js";

const TINY_LM = fileURLToPath(new URL("../../../../templates/tiny-lm", import.meta.url));
const WORDS = "/usr/share/dict/american-english";

test("the README's main command: tscog predict runs the built-in model and streams English", async (t) => {
  if (!needComponent(t, existsSync(WORDS), "Debian's wamerican is not installed (scripts/ci-setup.sh installs it)")) return;
  const chunks: string[] = [];
  const r = await runCli(["predict", "-i", "prompt=The state of the nation", "-i", "seed=7", "-i", "max_new_tokens=60"], {
    cwd: TINY_LM,
    onStdout: (d) => chunks.push(d),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(chunks.length > 1, "output arrived in several pieces");
  const dictionary = new Set(readFileSync(WORDS, "utf8").split("\n").map((w) => w.toLowerCase()));
  const words = r.stdout.toLowerCase().match(/[a-z]+(?:'[a-z]+)?/g) ?? [];
  assert.ok(words.length >= 20, `generated ${words.length} words: ${r.stdout}`);
  const known = words.filter((w) => dictionary.has(w)).length / words.length;
  assert.ok(known >= 0.8, `${(known * 100).toFixed(0)}% dictionary words: ${r.stdout}`);
});

test("the built-in model: same seed gives the same text, --json lists the chunks, stop sequences end it", async () => {
  const args = ["predict", "-i", "prompt=The state of the nation", "-i", "seed=3", "-i", "max_new_tokens=30"];
  const [a, b] = await Promise.all([runCli(args, { cwd: TINY_LM }), runCli([...args, "--json", "{}"], { cwd: TINY_LM })]);
  assert.equal(a.code, 0, a.stderr);
  const prediction = JSON.parse(b.stdout);
  assert.equal(prediction.output.join("") + "\n", a.stdout);
  const stopped = await runCli([...args, "-i", "stop=,"], { cwd: TINY_LM });
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.ok(!stopped.stdout.includes(","), stopped.stdout);
  assert.ok(a.stdout.startsWith(stopped.stdout.trimEnd()), `${stopped.stdout} is a prefix of ${a.stdout}`);
});
