/**
 * One connection to the fleet's Redis: raw commands, Lua scripts by SHA with
 * a fallback to EVAL, and an honest `up` flag. Commands fail at once while
 * Redis is unreachable (no offline queue), so HTTP routes answer 503 instead
 * of hanging, and the client reconnects in the background.
 */
import { createHash } from "node:crypto";
import { createClient, ErrorReply } from "redis";
import { TscogError } from "@tscog/sdk";

type Client = ReturnType<typeof createClient>;
/** A raw Redis reply (RESP2 shapes: strings, numbers, arrays, null). */
export type Reply = string | number | null | Reply[];

/** A Lua script and its SHA1. */
export interface LuaScript {
  source: string;
  sha: string;
}

/** Wraps Lua source with its SHA (for EVALSHA). */
export function luaScript(source: string): LuaScript {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

/** A connection to Redis that reconnects forever. */
export class RedisConnection {
  readonly url: string;
  readonly #client: Client;
  #up = false;
  #closed = false;
  readonly #onReady: Array<() => void> = [];

  constructor(url: string, options: { name?: string } = {}) {
    this.url = url;
    this.#client = createClient({
      url,
      name: options.name,
      disableOfflineQueue: true,
      socket: { connectTimeout: 2_000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 500) },
    });
    // Errors surface on the commands themselves; without a listener node-redis would throw them.
    this.#client.on("error", () => (this.#up = false));
    this.#client.on("end", () => (this.#up = false));
    this.#client.on("ready", () => {
      this.#up = true;
      for (const f of this.#onReady) f();
    });
  }

  /** Connects, retrying in the background until Redis answers; resolves at once. */
  connect(): void {
    const attempt = () => {
      if (this.#closed) return;
      this.#client.connect().catch(() => setTimeout(attempt, 500).unref());
    };
    attempt();
  }

  /** True while connected and ready. */
  get up(): boolean {
    return this.#up && this.#client.isReady;
  }

  /** Calls `f` each time the connection becomes ready (first connect and every reconnect). */
  onReady(f: () => void): void {
    this.#onReady.push(f);
  }

  /** Runs one command; rejects with NOT_READY when Redis is unreachable. */
  async call<T extends Reply = Reply>(args: Array<string | number>, timeoutMs?: number): Promise<T> {
    if (!this.up) throw unreachable(this.url);
    try {
      return (await this.#client.sendCommand(args.map(String), timeoutMs ? { timeout: timeoutMs } : undefined)) as T;
    } catch (err) {
      // Redis answered with an error: the caller's business. Anything else means Redis is out of reach.
      if (err instanceof ErrorReply) throw err;
      throw unreachable(this.url, err);
    }
  }

  /** Runs a Lua script (EVALSHA, then EVAL when Redis does not know it yet). */
  async script<T extends Reply = Reply>(script: LuaScript, keys: string[], args: Array<string | number>): Promise<T> {
    try {
      return await this.call<T>(["EVALSHA", script.sha, keys.length, ...keys, ...args]);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes("NOSCRIPT")) throw err;
      return this.call<T>(["EVAL", script.source, keys.length, ...keys, ...args]);
    }
  }

  /** Subscribes `listener` to a channel (this connection must be used for pub/sub only). */
  subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    return this.#client.subscribe(channel, listener);
  }

  /** Ends a subscription. */
  unsubscribe(channel: string): Promise<void> {
    return this.#client.unsubscribe(channel);
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#client.isOpen) await this.#client.close().catch(() => this.#client.destroy());
    else this.#client.destroy();
  }
}

/** The error every route answers with while Redis is unreachable (503). */
export function unreachable(url: string, cause?: unknown): TscogError {
  const where = url.replace(/\/\/[^@/]*@/, "//");
  return new TscogError("NOT_READY", `The prediction queue (Redis at ${where}) is unreachable; retry shortly.`, cause === undefined ? undefined : { cause });
}

/** A flat [field, value, ...] reply as an object. */
export function fieldsOf(reply: Reply): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}
