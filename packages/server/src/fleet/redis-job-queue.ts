/**
 * The jobs stream and its consumer group: API replicas enqueue prediction
 * ids; workers read as many as they have free slots, heartbeat the ones they
 * run (re-claiming them resets their idle time), take over jobs idle past the
 * reclaim time (`XAUTOCLAIM`), and acknowledge and delete finished ones.
 */
import { DEAD_LETTER_STREAM, JOBS_STREAM, WORKER_GROUP } from "./fleet-keys.js";
import type { RedisConnection, Reply } from "./redis-connection.js";

/** A delivered job: its stream entry and the prediction it names. */
export interface DeliveredJob {
  entryId: string;
  predictionId: string;
}

/** Creates the consumer group (and the stream) unless it exists. */
export async function ensureWorkerGroup(conn: RedisConnection): Promise<void> {
  try {
    await conn.call(["XGROUP", "CREATE", JOBS_STREAM, WORKER_GROUP, "0", "MKSTREAM"]);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.includes("BUSYGROUP")) throw err;
  }
}

/** Adds a job for prediction `id`. */
export async function enqueueJob(conn: RedisConnection, id: string): Promise<void> {
  await conn.call(["XADD", JOBS_STREAM, "*", "id", id]);
}

/** Jobs waiting for a worker (the group's lag; what KEDA scales on). */
export async function queuedJobs(conn: RedisConnection): Promise<number> {
  const info = (await conn.call<Reply[]>(["XINFO", "GROUPS", JOBS_STREAM])) as Reply[][];
  for (const group of info) {
    const at = group.indexOf("name");
    if (group[at + 1] !== WORKER_GROUP) continue;
    const lag = group[group.indexOf("lag") + 1];
    return typeof lag === "number" ? lag : 0;
  }
  return 0;
}

/** One worker's view of the jobs stream. */
export class RedisJobQueue {
  /** `reader` runs the blocking reads; `main` everything else. */
  constructor(private readonly options: { main: RedisConnection; reader: RedisConnection; consumer: string }) {}

  /** Up to `count` new jobs, waiting up to `blockMs` for the first. */
  async read(count: number, blockMs: number): Promise<DeliveredJob[]> {
    const args = ["XREADGROUP", "GROUP", WORKER_GROUP, this.options.consumer, "COUNT", count, "BLOCK", blockMs, "STREAMS", JOBS_STREAM, ">"];
    let reply: Reply;
    try {
      reply = await this.options.reader.call(args);
    } catch (err) {
      // Redis came back empty (no persistence): the group is made again.
      if (!(err instanceof Error) || !err.message.includes("NOGROUP")) throw err;
      await ensureWorkerGroup(this.options.main);
      return [];
    }
    if (!Array.isArray(reply) || reply.length === 0) return [];
    return jobsOf((reply[0] as Reply[])[1] as Reply[]);
  }

  /** Up to `count` jobs other workers left idle for `idleMs`, now this worker's. */
  async reclaim(count: number, idleMs: number): Promise<DeliveredJob[]> {
    const reply = await this.options.main.call<Reply[]>(["XAUTOCLAIM", JOBS_STREAM, WORKER_GROUP, this.options.consumer, idleMs, "0-0", "COUNT", count]);
    return jobsOf(reply[1] as Reply[]);
  }

  /** Resets the idle time of jobs this worker still runs. */
  async heartbeat(entryIds: string[]): Promise<void> {
    if (entryIds.length === 0) return;
    await this.options.main.call(["XCLAIM", JOBS_STREAM, WORKER_GROUP, this.options.consumer, 0, ...entryIds, "JUSTID"]);
  }

  /** Acknowledges and deletes a finished job. */
  async done(entryId: string): Promise<void> {
    await this.options.main.call(["XACK", JOBS_STREAM, WORKER_GROUP, entryId]);
    await this.options.main.call(["XDEL", JOBS_STREAM, entryId]);
  }

  /** Moves a job that was delivered too often to the dead-letter stream. */
  async deadLetter(job: DeliveredJob, reason: string): Promise<void> {
    await this.options.main.call(["XADD", DEAD_LETTER_STREAM, "MAXLEN", "~", 10_000, "*", "id", job.predictionId, "reason", reason, "consumer", this.options.consumer]);
    await this.done(job.entryId);
  }
}

/** Stream entries `[id, [field, value, ...]]` as jobs; deleted entries (nil fields) are skipped. */
function jobsOf(entries: Reply[] | null): DeliveredJob[] {
  const jobs: DeliveredJob[] = [];
  for (const entry of (entries ?? []) as Array<[string, Reply[] | null]>) {
    const fields = entry[1];
    if (!Array.isArray(fields)) continue;
    const at = fields.indexOf("id");
    if (at >= 0) jobs.push({ entryId: entry[0], predictionId: String(fields[at + 1]) });
  }
  return jobs;
}
