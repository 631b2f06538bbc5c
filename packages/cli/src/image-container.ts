import { execa } from "execa";
import { TscogError } from "@tscog/sdk";

/** A built image running in the local Docker engine, reachable on loopback. */
export interface RunningContainer {
  id: string;
  url: string;
  /** Removes the container (idempotent). */
  stop(): Promise<void>;
}

async function docker(args: string[]): Promise<string> {
  try {
    const r = await execa("docker", args);
    return r.stdout.trim();
  } catch (err: any) {
    const why = err?.code === "ENOENT" ? "the docker command is not installed" : (err?.stderr || err?.shortMessage || String(err)).trim();
    if (/port is already allocated|address already in use/i.test(why)) {
      throw new TscogError("ADDRESS_IN_USE", `Docker cannot publish the port: another program is already using it (${why.split("\n").pop()}).`, {
        cause: err, hint: "Stop that program, or choose another port with --port (--port 0 picks a free one).",
      });
    }
    throw new TscogError("REGISTRY", `docker ${args[0]} failed: ${why}`, { cause: err });
  }
}

/**
 * Starts `ref` with its port 5000 published on `host` (127.0.0.1) and `port`
 * (or one Docker picks) and waits until its health check says READY. On failure the container
 * is removed and its logs are part of the error.
 */
export async function startImage(
  ref: string,
  options: { host?: string; port?: number; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunningContainer> {
  const host = options.host ?? "127.0.0.1";
  const envArgs = Object.entries(options.env ?? {}).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  // Without a port, Docker picks a free one (no race with a probe of our own).
  const id = await docker(["run", "-d", "-p", `${host}:${options.port || ""}:5000`, ...envArgs, ref]);
  const port = Number((await docker(["port", id, "5000/tcp"])).split("\n")[0]!.split(":").pop());
  let stopped = false;
  const container: RunningContainer = {
    id,
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await execa("docker", ["rm", "-f", id], { reject: false });
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  // fetch's sockets and AbortSignal.timeout do not keep the process alive on their own.
  const keepAlive = setInterval(() => {}, 60_000);
  try {
    while (true) {
      const status = await fetch(`${container.url}/health-check`, { signal: AbortSignal.timeout(2000) })
        .then((r) => r.json() as Promise<{ status: string; setup?: { logs?: string } }>)
        .catch(() => undefined);
      if (status?.status === "READY") return container;
      if (status?.status === "SETUP_FAILED" || status?.status === "DEFUNCT") {
        throw new TscogError("SETUP_FAILED", `The container of ${ref} reports ${status.status}:\n${status.setup?.logs ?? ""}`);
      }
      const running = await execa("docker", ["inspect", "-f", "{{.State.Running}}", id], { reject: false });
      if (running.stdout.trim() !== "true") {
        throw new TscogError("SETUP_FAILED", `The container of ${ref} exited before it was ready.`);
      }
      if (Date.now() > deadline) throw new TscogError("NOT_READY", `The container of ${ref} was not READY within ${(options.timeoutMs ?? 120_000) / 1000} s.`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    const logs = await execa("docker", ["logs", id], { reject: false, all: true });
    await container.stop();
    if (err instanceof TscogError && logs.all) {
      throw new TscogError(err.code, `${err.message}\nContainer output:\n${logs.all.trim()}`, { cause: err });
    }
    throw err;
  } finally {
    clearInterval(keepAlive);
  }
}
