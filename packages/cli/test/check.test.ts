import { test } from "node:test";
import assert from "node:assert/strict";
import { makeProject } from "@tscog/runtime/testing";
import { formatDiagnostic, parseTscOutput } from "../src/type-check/diagnostics.js";
import { runCli } from "./run-cli.js";

const COG = 'predict: "predict.ts:Predictor"\n';
const PREDICTOR = `import { BasePredictor, Input, type InputsOf } from "tscog";
const inputs = { word: Input.string({ default: "hi" }) };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async predict({ word }: InputsOf<typeof inputs>): Promise<string> {
    return word.toUpperCase();
  }
}
`;
/** The same predictor with a type error on line 9, column 7. */
const WITH_TYPE_ERROR = `${PREDICTOR}\nconst n: number = "str";\n`;

test("tscog check: a well-typed project passes; tscog and Node's types come from tscog's installation", async () => {
  const dir = makeProject({ "cog.yaml": COG, "predict.ts": `${PREDICTOR}export const env = process.env.HOME;\n` });
  const r = await runCli(["check"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /No type errors \(TypeScript \d+\.\d+\.\d+ from tscog's installation, \.tscog\/tsconfig\.check\.json\)/);
});

test("tscog check: a JavaScript predictor passes (compiled, not checked)", async () => {
  const js = 'import { BasePredictor } from "tscog";\nexport class Predictor extends BasePredictor { async predict() { return "x"; } }\n';
  const dir = makeProject({ "cog.yaml": 'predict: "predict.mjs:Predictor"\n', "predict.mjs": js });
  const r = await runCli(["check"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
});

test("tscog check: a type error is reported as predict.ts:LINE:COL message, exit 2", async () => {
  const dir = makeProject({ "cog.yaml": COG, "predict.ts": WITH_TYPE_ERROR });
  const r = await runCli(["check"], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^error: 1 type error \(TypeScript [^)]*\):$/m);
  assert.match(r.stderr, /^predict\.ts:10:7 Type 'string' is not assignable to type 'number'\. \(TS2322\)$/m);
  assert.doesNotMatch(r.stderr, /bug in tscog/);
});

test("tscog check uses the project's tsconfig.json as it is", async () => {
  // An untyped parameter: an error under the default strict options, allowed by this tsconfig.
  const loose = `${PREDICTOR}export function twice(x) { return x + x; }\n`;
  const strictDir = makeProject({ "cog.yaml": COG, "predict.ts": loose });
  const strict = await runCli(["check"], { cwd: strictDir });
  assert.equal(strict.code, 2, strict.stderr);
  assert.match(strict.stderr, /^predict\.ts:9:23 Parameter 'x' implicitly has an 'any' type\. \(TS7006\)$/m);

  const tsconfig = JSON.stringify({
    compilerOptions: { module: "ESNext", moduleResolution: "Bundler", strict: false, noEmit: true, skipLibCheck: true, paths: { tscog: [new URL("../src/index.d.ts", import.meta.url).pathname] } },
    include: ["*.ts"],
  });
  const looseDir = makeProject({ "cog.yaml": COG, "predict.ts": loose, "tsconfig.json": tsconfig });
  const r = await runCli(["check"], { cwd: looseDir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /, tsconfig\.json\)/);
});

test("tscog check runs the project's own typescript when it has one", async () => {
  const fakeTsc = `#!/usr/bin/env node
console.log("predict.ts(1,1): error TS9999: the project's compiler ran with " + process.argv.slice(2).join(" "));
process.exit(2);
`;
  const dir = makeProject({
    "cog.yaml": COG,
    "predict.ts": PREDICTOR,
    "package.json": '{ "name": "own-compiler", "private": true }\n',
    "node_modules/typescript/package.json": '{ "name": "typescript", "version": "0.0.1-fake", "bin": { "tsc": "bin/tsc" } }\n',
    "node_modules/typescript/bin/tsc": fakeTsc,
  });
  const r = await runCli(["check"], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /TypeScript 0\.0\.1-fake/);
  assert.match(r.stderr, /^predict\.ts:1:1 the project's compiler ran with -p \S+tsconfig\.check\.json --noEmit --pretty false \(TS9999\)$/m);
});

test("tscog build type-checks first and says how to skip it; --skip-type-check goes on to the build", async () => {
  // system_packages makes the build itself fail fast (exit 5) once the type check is skipped.
  const cog = `${COG}build:\n  system_packages: [curl]\n`;
  const dir = makeProject({ "cog.yaml": cog, "predict.ts": WITH_TYPE_ERROR });
  const checked = await runCli(["build", "--output", "oci:out"], { cwd: dir });
  assert.equal(checked.code, 2, checked.stderr);
  assert.match(checked.stderr, /^predict\.ts:10:7 Type 'string' is not assignable/m);
  assert.match(checked.stderr, /tscog build --skip-type-check/);

  const skipped = await runCli(["build", "--skip-type-check", "--output", "oci:out"], { cwd: dir });
  assert.equal(skipped.code, 5, skipped.stderr);
  assert.match(skipped.stderr, /system_packages/);
  assert.doesNotMatch(skipped.stderr, /type error/);
});

test("parseTscOutput: located errors with their elaboration lines, global errors, paths relative to the project", () => {
  const output = [
    "predict.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
    "lib/util.ts(10,1): error TS2345: Argument of type '{ a: string; }' is not assignable to parameter of type 'B'.",
    "  Property 'b' is missing in type '{ a: string; }' but required in type 'B'.",
    "error TS5083: Cannot read file '/p/tsconfig.base.json'.",
    "",
  ].join("\n");
  const diagnostics = parseTscOutput(output, "/p", "/p");
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    "predict.ts:3:7 Type 'string' is not assignable to type 'number'. (TS2322)",
    "lib/util.ts:10:1 Argument of type '{ a: string; }' is not assignable to parameter of type 'B'.\n  Property 'b' is missing in type '{ a: string; }' but required in type 'B'. (TS2345)",
    "Cannot read file '/p/tsconfig.base.json'. (TS5083)",
  ]);
  assert.equal(parseTscOutput("../shared/x.ts(1,2): error TS1: m", "/p/app", "/p/app")[0]!.file, "/p/shared/x.ts");
});
