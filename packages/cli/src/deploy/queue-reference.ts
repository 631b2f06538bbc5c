import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { DeployPlan } from "./deploy-plan.js";
import type { Role } from "./pod-template.js";

/** The env var (and key) holding the Redis URL, which the server reads. */
export const QUEUE_URL_KEY = "TSCOG_QUEUE_URL";
/** The env var KEDA reads the Redis user name from (`usernameFromEnv`) on the worker. */
export const REDIS_USERNAME_KEY = "TSCOG_REDIS_USERNAME";
/** The env var KEDA reads the Redis password from (`passwordFromEnv`) on the worker. */
export const REDIS_PASSWORD_KEY = "TSCOG_REDIS_PASSWORD";

/** The name of the ConfigMap or Secret that holds the Redis reference. */
export function queueReferenceName(plan: DeployPlan): string {
  return `${plan.name}-queue`;
}

/** A URL with a password goes in a Secret; one without in a ConfigMap. */
export function queueHoldsSecret(plan: DeployPlan): boolean {
  return Boolean(plan.queue?.password || plan.queue?.username);
}

/**
 * The Redis reference that API and worker pods read `TSCOG_QUEUE_URL` from:
 * a ConfigMap, or a Secret (with the user name and password apart, for KEDA)
 * when the URL carries credentials.
 */
export function queueReference(plan: DeployPlan): IConfigMap | ISecret {
  const queue = plan.queue!;
  const metadata = { name: queueReferenceName(plan), labels: { "app.kubernetes.io/name": plan.name, "app.kubernetes.io/component": "queue", "app.kubernetes.io/managed-by": "tscog" } };
  if (!queueHoldsSecret(plan)) return { apiVersion: "v1", kind: "ConfigMap", metadata, data: { [QUEUE_URL_KEY]: queue.url } };
  const stringData: Record<string, string> = { [QUEUE_URL_KEY]: queue.url };
  if (queue.username) stringData[REDIS_USERNAME_KEY] = queue.username;
  if (queue.password) stringData[REDIS_PASSWORD_KEY] = queue.password;
  return { apiVersion: "v1", kind: "Secret", metadata, type: "Opaque", stringData };
}

/** The env vars of a queue-mode pod that come from the Redis reference. */
export function queueEnv(plan: DeployPlan, role: Role): IEnvVar[] {
  const name = queueReferenceName(plan);
  const secret = queueHoldsSecret(plan);
  const from = (key: string): IEnvVar => ({ name: key, valueFrom: secret ? { secretKeyRef: { name, key } } : { configMapKeyRef: { name, key } } });
  const vars = [from(QUEUE_URL_KEY)];
  // KEDA resolves passwordFromEnv/usernameFromEnv from the scale target's container: the worker.
  if (role === "worker" && plan.queue?.username) vars.push(from(REDIS_USERNAME_KEY));
  if (role === "worker" && plan.queue?.password) vars.push(from(REDIS_PASSWORD_KEY));
  return vars;
}
