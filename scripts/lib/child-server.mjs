// Starts a benchmark's server in a child process (so its memory and survival
// can be measured) and waits for the URL line it prints on stdout.
import { spawn } from "node:child_process";

/**
 * Runs `node script ...args`; resolves with the URL the child prints on a
 * line of its own, and the child (killed when this process exits).
 */
export function startChildServer(script, args, options = {}) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "inherit"], env: options.env ?? process.env });
  process.on("exit", () => child.kill("SIGKILL"));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const url = /^http:\/\/\S+$/m.exec(out)?.[0];
      if (url) resolve({ url, port: Number(new URL(url).port), child, exited: () => child.exitCode !== null, stop: () => new Promise((r) => (child.on("exit", r), child.kill("SIGTERM"))) });
    });
    child.on("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
}
