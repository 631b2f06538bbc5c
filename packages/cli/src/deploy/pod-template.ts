import type { IContainer } from "kubernetes-models/v1/Container";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IPodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec";
import type { IProbe } from "kubernetes-models/v1/Probe";
import { IMAGE_PORT, IMAGE_USER } from "@tscog/image";
import type { DeployPlan } from "./deploy-plan.js";
import { queueEnv } from "./queue-reference.js";

/**
 * What a pod does: `server` is the single-process mode (HTTP API and model in
 * one container), `api` and `worker` the two halves of queue mode.
 */
export type Role = "server" | "api" | "worker";

/** The grace Kubernetes gives a pod on SIGTERM, and the part of it running predictions get to finish. */
const TERMINATION_GRACE_SECONDS = 30;
const SHUTDOWN_GRACE_SECONDS = 25;
const STARTUP_PERIOD_SECONDS = 5;
/** The API role loads no model: two minutes to read its schema and reach Redis. */
const API_STARTUP_SECONDS = 120;
/** What the API role asks for: it validates, enqueues and relays streams. */
const API_RESOURCES = { cpu: "250m", memory: "256Mi" };

/** The name of the objects of one role: `NAME`, `NAME-api`, `NAME-worker`. */
export function objectName(plan: DeployPlan, role: Role): string {
  return role === "server" ? plan.name : `${plan.name}-${role}`;
}

/** The labels that select one role's pods (Service, PodDisruptionBudget, Deployment selector). */
export function selectorLabels(plan: DeployPlan, role: Role): Record<string, string> {
  return { "app.kubernetes.io/name": plan.name, "app.kubernetes.io/component": role };
}

/** The labels every object of one role carries. */
export function roleLabels(plan: DeployPlan, role: Role): Record<string, string> {
  return { ...selectorLabels(plan, role), "app.kubernetes.io/managed-by": "tscog" };
}

function httpProbe(path: string, periodSeconds: number, failureThreshold: number, timeoutSeconds: number): IProbe {
  return { httpGet: { path, port: "http" }, periodSeconds, timeoutSeconds, failureThreshold };
}

/**
 * Probes on the server's routes. Startup waits for `/readyz` (the model has
 * loaded) as long as cog.yaml's setup timeout allows; liveness is `/livez`
 * (fails on a setup that failed or a predictor that cannot come back).
 * Readiness: `/readyz` for the API and workers; the single-process server uses
 * `/healthz`, because its `/readyz` also fails while every slot is busy, which
 * would take the only replica out of the Service instead of letting the
 * server's own queue hold the request.
 */
function probes(plan: DeployPlan, role: Role): Pick<IContainer, "startupProbe" | "readinessProbe" | "livenessProbe"> {
  const startupSeconds = role === "api" ? API_STARTUP_SECONDS : plan.startupSeconds;
  return {
    startupProbe: httpProbe("/readyz", STARTUP_PERIOD_SECONDS, Math.ceil(startupSeconds / STARTUP_PERIOD_SECONDS) + 2, 3),
    readinessProbe: httpProbe(role === "server" ? "/healthz" : "/readyz", 5, 2, 3),
    livenessProbe: httpProbe("/livez", 10, 3, 5),
  };
}

function resources(plan: DeployPlan, role: Role): IContainer["resources"] {
  const { cpu, memory } = role === "api" ? API_RESOURCES : plan.resources;
  const gpu = role !== "api" && plan.resources.gpu;
  // No CPU limit (throttling a model mid-token helps nobody); memory limit = request, so the scheduler's promise holds.
  return { requests: { cpu, memory }, limits: { memory, ...(gpu ? { "nvidia.com/gpu": 1 } : {}) } };
}

function env(plan: DeployPlan, role: Role): IEnvVar[] {
  const vars: IEnvVar[] = [
    { name: "TSCOG_LOG_FORMAT", value: "json" },
    { name: "TSCOG_SHUTDOWN_GRACE_SECONDS", value: String(SHUTDOWN_GRACE_SECONDS) },
  ];
  if (role !== "server") vars.push({ name: "TSCOG_ROLE", value: role }, ...queueEnv(plan, role));
  return vars;
}

/** The container that runs the image's entrypoint (`tscog serve`, configured by environment) for one role. */
export function serverContainer(plan: DeployPlan, role: Role): IContainer {
  return {
    name: "tscog",
    image: plan.image,
    ports: [{ name: "http", containerPort: IMAGE_PORT, protocol: "TCP" }],
    env: env(plan, role),
    resources: resources(plan, role),
    ...probes(plan, role),
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    },
    // The only place the server writes: downloaded file inputs and outputs.
    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
  };
}

/** A pod of one role: non-root as the image's user, read-only root, a writable /tmp, GPU toleration when needed. */
export function podTemplate(plan: DeployPlan, role: Role): IPodTemplateSpec {
  const gpu = role !== "api" && plan.resources.gpu;
  return {
    metadata: { labels: roleLabels(plan, role) },
    spec: {
      automountServiceAccountToken: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: IMAGE_USER.uid,
        runAsGroup: IMAGE_USER.gid,
        fsGroup: IMAGE_USER.gid,
        seccompProfile: { type: "RuntimeDefault" },
      },
      terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
      containers: [serverContainer(plan, role)],
      volumes: [{ name: "tmp", emptyDir: {} }],
      ...(gpu ? { tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] } : {}),
    },
  };
}
