import type { DeployPlan } from "./deploy-plan.js";
import { objectName, roleLabels } from "./pod-template.js";
import { REDIS_PASSWORD_KEY, REDIS_USERNAME_KEY } from "./queue-reference.js";

/** The Redis stream the API appends jobs to (the queue contract with the server). */
export const JOBS_STREAM = "tscog:jobs";
/** The consumer group the workers read the jobs stream with. */
export const WORKER_GROUP = "tscog-workers";

/** One KEDA trigger (`spec.triggers[]`); KEDA wants every metadata value as a string. */
export interface KedaTrigger {
  type: string;
  name?: string;
  metadata: Record<string, string>;
}

/** The part of KEDA's `ScaledObject` (keda.sh/v1alpha1) that tscog writes. */
export interface ScaledObject {
  apiVersion: "keda.sh/v1alpha1";
  kind: "ScaledObject";
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    scaleTargetRef: { apiVersion?: string; kind?: string; name: string };
    pollingInterval?: number;
    cooldownPeriod?: number;
    minReplicaCount?: number;
    maxReplicaCount?: number;
    triggers: KedaTrigger[];
  };
}

/**
 * KEDA scales the workers on the jobs stream's consumer group, down to zero:
 * `lagCount` (entries no worker has taken yet; XINFO GROUPS, Redis 7+) wakes
 * workers from zero and adds one per `concurrency.max` waiting jobs, and
 * `pendingEntriesCount` (taken, not yet acknowledged) keeps as many workers as
 * the running jobs fill, so a long prediction is not scaled away under its worker.
 */
export function scaledObject(plan: DeployPlan): ScaledObject {
  const queue = plan.queue!;
  const name = objectName(plan, "worker");
  const connection: Record<string, string> = {
    address: queue.address,
    databaseIndex: String(queue.database),
    stream: JOBS_STREAM,
    consumerGroup: WORKER_GROUP,
  };
  if (queue.tls) connection.enableTLS = "true";
  if (queue.username) connection.usernameFromEnv = REDIS_USERNAME_KEY;
  if (queue.password) connection.passwordFromEnv = REDIS_PASSWORD_KEY;
  const perWorker = String(plan.concurrency);
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name, labels: roleLabels(plan, "worker") },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
      pollingInterval: 5,
      cooldownPeriod: 300,
      minReplicaCount: 0,
      maxReplicaCount: plan.maxReplicas,
      triggers: [
        { type: "redis-streams", name: "waiting-jobs", metadata: { ...connection, lagCount: perWorker, activationLagCount: "0" } },
        { type: "redis-streams", name: "running-jobs", metadata: { ...connection, pendingEntriesCount: perWorker } },
      ],
    },
  };
}
