import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** The least of node:test's `TestContext` that `needComponent` uses. */
export interface SkippableTest {
  skip(message?: string): void;
}

/**
 * True when the tests run under CI: `CI` is set to anything but "", "0" or
 * "false" (CI sets `CI=true`). Every test that needs a real component reads it
 * through here.
 */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== "" && value !== "0" && value !== "false";
}

/**
 * For a test that needs a real component (Docker, a registry, Chromium, a word
 * list): true when `available`; otherwise skips the test with `reason`, or,
 * under CI (where `.ci/run` installs everything), throws so the test fails.
 *
 * @example
 * test("pushes to a real registry", async (t) => {
 *   if (!needComponent(t, await hasProgram("docker-registry"), "docker-registry is not installed")) return;
 *   ...
 * });
 */
export function needComponent(t: SkippableTest, available: boolean, reason: string): boolean {
  if (available) return true;
  if (isCI()) throw new Error(`${reason}: required under CI (scripts/ci-setup.sh installs it)`);
  t.skip(reason);
  return false;
}

const made = new Set<string>();
let hooked = false;

/** Removes every directory `makeProject` made in this process (also done automatically when the process exits). */
export function removeProjects(): void {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
}

/**
 * Test helper: writes a throwaway project (file name → contents) into a fresh
 * temp directory and returns it. The directory is removed when the test
 * process exits (call `removeProjects()` to remove them earlier).
 */
export function makeProject(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "tscog-test-"));
  made.add(dir);
  if (!hooked) {
    hooked = true;
    process.once("exit", removeProjects);
  }
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** A free TCP port on 127.0.0.1 (for a real component a test starts, e.g. a registry). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}
