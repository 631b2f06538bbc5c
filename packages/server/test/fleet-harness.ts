/**
 * Test harness for fleets: a real `redis-server` on 127.0.0.1 (own port and
 * data directory, default persistence), real `tscog serve` processes started
 * through the CLI, and an SSE reader that stops where a test wants.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, makeProject } from "@tscog/runtime/testing";
import { parseSse, type ParsedEvent } from "./helpers.js";

/** The `tscog` CLI entry. */
export const TSCOG_BIN = fileURLToPath(new URL("../../../cli/bin/tscog.js", import.meta.url));

/** True when `redis-server` can run here. */
export function hasRedisServer(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

/** A project whose predictor logs its process id, then yields `n` numbered chunks ("0 ", "1 ", ...) `delay` ms apart, after `wait` ms. */
export function makeCountingProject(): string {
  return makeProject({
    "cog.yaml": 'predict: "predict.ts:Predictor"\nconcurrency:\n  max: 4\n',
    "predict.ts": `import { BasePredictor, Input, type ConcatenateIterator, type InputsOf } from "tscog";
const inputs = { n: Input.integer({ default: 5 }), delay: Input.integer({ default: 0 }), wait: Input.integer({ default: 0 }) };
export class Predictor extends BasePredictor<typeof inputs> {
  static inputs = inputs;
  async *predict({ n, delay, wait }: InputsOf<typeof inputs>): ConcatenateIterator<string> {
    if (wait) await new Promise((r) => setTimeout(r, wait));
    console.log("pid " + process.pid);
    for (let i = 0; i < n; i++) {
      yield i + " ";
      if (delay) await new Promise((r) => setTimeout(r, delay));
    }
  }
}
`,
  });
}

/** A `redis-server` child with its own port and data directory. */
export class RedisServer {
  readonly dir = mkdtempSync(join(tmpdir(), "tscog-redis-"));
  port = 0;
  #child?: ChildProcess;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts, same port and data) the server; resolves when it accepts connections. */
  async start(): Promise<void> {
    this.port ||= await freePort();
    const child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir, "--save", "3600 1 300 100 60 10000"], { stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    let out = "";
    await new Promise<void>((resolve, reject) => {
      child.stdout!.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        if (out.includes("Ready to accept connections")) resolve();
      });
      child.on("exit", (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
    });
  }

  /** Stops the server as an operator would (SIGTERM: it saves its snapshot first). */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }

  /** Stops the server and removes its data. */
  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A running `tscog serve` process. */
export interface ServeProcess {
  child: ChildProcess;
  url: string;
  pid: number;
  stderr(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when it exited. */
  stop(): Promise<void>;
}

/** Starts `tscog serve -C dir --port 0 ...args`; resolves once it logged `ready`. */
export function startServe(dir: string, args: string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [TSCOG_BIN, "serve", "-C", dir, "--port", "0", ...args], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } });
  let stderr = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url && /\bready\b/.test(stderr)) resolve({ child, url, pid: child.pid!, stderr: () => stderr, stop });
    });
    child.once("exit", (code) => reject(new Error(`tscog serve ${args.join(" ")} exited ${code}: ${stderr}`)));
  });
}

/** Reads SSE events from `url` until `stop(event)` says so, the stream ends, or `timeoutMs` passes. */
export async function readEvents(url: string, options: { lastEventId?: string; stop?: (e: ParsedEvent, all: ParsedEvent[]) => boolean; timeoutMs?: number } = {}): Promise<ParsedEvent[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 20_000);
  const headers: Record<string, string> = { accept: "text/event-stream", ...(options.lastEventId ? { "last-event-id": options.lastEventId } : {}) };
  const events: ParsedEvent[] = [];
  try {
    const res = await fetch(url, { headers, signal: controller.signal });
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const bytes of res.body!) {
      buffer += decoder.decode(bytes as Uint8Array, { stream: true });
      const end = buffer.lastIndexOf("\n\n");
      if (end < 0) continue;
      const complete = buffer.slice(0, end + 2);
      buffer = buffer.slice(end + 2);
      for (const event of parseSse(complete)) {
        events.push(event);
        if (options.stop?.(event, events)) return events;
      }
    }
    return events;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

