/**
 * The terminal webhook of a prediction that ended without running on a
 * worker (canceled while waiting, `worker lost`, dead-lettered): the worker
 * that comes across its job rebuilds it from Redis and sends `completed`.
 */
import { WebhookSender, type WebhookOptions } from "../predictions/webhook-sender.js";
import type { Prediction } from "../predictions/prediction.js";
import { predictionKeys } from "./fleet-keys.js";
import { applyEntry, decodeEntry, mirrorFromMeta, type FleetJob } from "./prediction-codec.js";
import { fieldsOf, type RedisConnection, type Reply } from "./redis-connection.js";

/** Sends prediction `id`'s `completed` webhook when it has one and has ended; resolves once sent (or given up). */
export async function sendSettledWebhook(options: {
  conn: RedisConnection;
  id: string;
  webhook: WebhookOptions;
  serializer: (job: FleetJob) => ((p: Prediction) => unknown) | undefined;
}): Promise<void> {
  const keys = predictionKeys(options.id);
  const meta = fieldsOf(await options.conn.call(["HGETALL", keys.meta]));
  if (meta.job === undefined) return;
  const job = JSON.parse(meta.job) as FleetJob;
  if (!job.webhook) return;
  const prediction = mirrorFromMeta(options.id, meta);
  const entries = (await options.conn.call(["XRANGE", keys.events, "-", "+"])) as Array<[string, Reply]>;
  for (const [, fields] of entries) {
    const entry = decodeEntry(fieldsOf(fields));
    if (entry) applyEntry(prediction, entry);
  }
  if (!prediction.isTerminal()) return;
  const serialize = options.serializer(job) ?? ((p: Prediction) => p.toJSON());
  const sender = new WebhookSender(prediction, job.webhook, serialize, options.webhook);
  sender.notify("completed");
  await sender.flushed();
}
