/**
 * The fleet's Redis names and settings. Every key of one prediction carries
 * the hash tag `{<id>}`, so a prediction lives on one Redis Cluster slot.
 */

/** The jobs stream workers read from. */
export const JOBS_STREAM = "tscog:jobs";
/** The consumer group of the workers. */
export const WORKER_GROUP = "tscog-workers";
/** Where jobs delivered too many times go. */
export const DEAD_LETTER_STREAM = "tscog:jobs:dead";
/** Cancel requests: the message is a prediction id; the worker running it stops it. */
export const CANCEL_CHANNEL = "tscog:cancel";
/** Prediction ids by creation time (for listing), trimmed by age. */
export const INDEX_KEY = "tscog:predictions";

/** The Redis keys of one prediction. */
export interface PredictionKeys {
  /** Hash: the job (input, webhook, dialect), status, owner, result. */
  meta: string;
  /** Stream: start, event batches, markers, done; what every API replica replays. */
  events: string;
  /** Pub/sub channel: "the events stream grew". */
  notify: string;
}

/** The keys of prediction `id`. */
export function predictionKeys(id: string): PredictionKeys {
  const tag = `tscog:{${id}}`;
  return { meta: `${tag}:meta`, events: `${tag}:events`, notify: `${tag}:notify` };
}

/** The fleet's tunables (environment variables in brackets). */
export interface FleetSettings {
  /** Redis URL, `redis://HOST:PORT[/DB]` (`TSCOG_QUEUE_URL`). */
  url: string;
  /** `api`, `worker` or `all` (`TSCOG_ROLE`). Default `all`. */
  role: FleetRole;
  /** A job whose worker has not heartbeated for this long is taken by another worker, ms (`TSCOG_QUEUE_RECLAIM_MS`). Default 30 s. */
  reclaimMs: number;
  /** Deliveries after which a job goes to the dead-letter stream (`TSCOG_QUEUE_MAX_DELIVERIES`). Default 3. */
  maxDeliveries: number;
  /** Restart a reclaimed prediction that had streamed output (after a marker) instead of failing it (`TSCOG_QUEUE_RESTART_LOST`). Default false. */
  restartLost: boolean;
  /** Expiry of a finished prediction's keys, ms (`TSCOG_QUEUE_FINISHED_TTL`, seconds). Default 1 hour. */
  finishedTtlMs: number;
  /** Expiry of a waiting or running prediction's keys, refreshed on every write, ms (`TSCOG_QUEUE_ACTIVE_TTL`, seconds). Default 24 hours. */
  activeTtlMs: number;
}

/** Which parts of the server a process runs. */
export type FleetRole = "api" | "worker" | "all";

/** The roles, for flag and environment checks. */
export const FLEET_ROLES: readonly FleetRole[] = ["api", "worker", "all"];

/** Settings with defaults filled in. */
export function fleetSettings(options: Partial<FleetSettings> & { url: string }): FleetSettings {
  return {
    url: options.url,
    role: options.role ?? "all",
    reclaimMs: options.reclaimMs ?? 30_000,
    maxDeliveries: options.maxDeliveries ?? 3,
    restartLost: options.restartLost ?? false,
    finishedTtlMs: options.finishedTtlMs ?? 3_600_000,
    activeTtlMs: options.activeTtlMs ?? 86_400_000,
  };
}

/** Checks a queue URL (`redis://` or `rediss://`). */
export function checkQueueUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== "redis:" && url.protocol !== "rediss:") || !/^\/?\d*$/.test(url.pathname)) {
    throw new Error(`the queue URL must look like redis://HOST:PORT[/DB], got ${JSON.stringify(value)}`);
  }
  return value;
}
