import { basename } from "node:path";
import { TscogError } from "@tscog/sdk";
import type { Project } from "@tscog/runtime";
import { parseReference } from "@tscog/image";
import { parseQueueUrl, type QueueUrl } from "./queue-url.js";

/** The flags of `tscog deploy kubernetes`, as commander gives them. */
export interface KubernetesDeployFlags {
  image?: string;
  name?: string;
  namespace?: string;
  replicas?: string;
  maxReplicas?: string;
  queue?: boolean;
  queueUrl?: string;
  cpu?: string;
  memory?: string;
  gpu?: boolean;
}

/** Everything the manifests are made from, checked: the flags merged with cog.yaml. */
export interface DeployPlan {
  /** Base name of every object (DNS-1123 label, at most 40 characters so suffixes fit). */
  name: string;
  namespace?: string;
  /** The image reference as the user wrote it. */
  image: string;
  /** The reference names a digest (`@sha256:`), so every pod runs the same bytes. */
  pinned: boolean;
  /** Least replicas (the autoscaler's minimum; in queue mode, of the API). */
  replicas: number;
  /** Most replicas the autoscalers may make (API and workers alike). */
  maxReplicas: number;
  /** Requests of the container that loads the model. */
  resources: { cpu: string; memory: string; gpu: boolean };
  /** Predictions one model container runs at once (cog.yaml `concurrency.max`). */
  concurrency: number;
  /** Seconds the model may take to load before the startup probe gives up on it. */
  startupSeconds: number;
  /** Queue mode: API and worker deployments fed through Redis Streams. */
  queue?: QueueUrl;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A Kubernetes resource quantity (`500m`, `2`, `1.5Gi`, `512Mi`, `1e3`). */
const QUANTITY = /^\+?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$/;
const DEFAULT_MAX_REPLICAS = 10;
const DEFAULT_SETUP_SECONDS = 600;
/** With `server.setup_timeout: 0` (no limit) the probe still needs a bound: one hour. */
const UNLIMITED_SETUP_SECONDS = 3600;

function usage(message: string, hint?: string): TscogError {
  return new TscogError("BAD_REQUEST", message, hint ? { hint } : {});
}

function wholeNumber(flag: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min) throw usage(`--${flag} must be a whole number >= ${min}, got ${JSON.stringify(value)}.`);
  return n;
}

function quantity(flag: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (!QUANTITY.test(value)) throw usage(`--${flag} ${JSON.stringify(value)} is not a Kubernetes quantity; use e.g. ${flag === "cpu" ? "500m or 2" : "512Mi or 4Gi"}.`);
  return value;
}

/** The default object name: the project directory's name, made a DNS label. */
export function defaultDeployName(projectDir: string): string {
  const slug = basename(projectDir).toLowerCase().replace(/[^a-z0-9-]+/g, "-").slice(0, 40).replace(/^-+|-+$/g, "");
  return slug || "model";
}

function checkedName(value: string): string {
  if (value.length > 40 || !DNS_LABEL.test(value)) {
    throw usage(`--name ${JSON.stringify(value)} is not allowed: use at most 40 lower-case letters, digits and "-", starting and ending with a letter or digit.`);
  }
  return value;
}

function checkedNamespace(value: string | undefined): string | undefined {
  if (value !== undefined && (value.length > 63 || !DNS_LABEL.test(value))) {
    throw usage(`--namespace ${JSON.stringify(value)} is not a Kubernetes namespace name (at most 63 lower-case letters, digits and "-").`);
  }
  return value;
}

function checkedImage(flags: KubernetesDeployFlags, project: Project): string {
  const image = flags.image ?? project.config.image;
  if (!image) {
    throw usage(
      `there is no image to deploy: pass --image REF, or set image: in ${project.configFile}.`,
      "the cluster pulls it from a registry, e.g. --image ghcr.io/acme/model@sha256:... (tscog push REF prints the digest)",
    );
  }
  parseReference(image);
  return image;
}

/** Memory for the model's container: the predictor thread's heap limit plus 1 GiB (server, native onnxruntime memory), else 2Gi. */
function defaultMemory(project: Project): string {
  const heap = project.config.server?.worker_memory_mb;
  return heap ? `${heap + 1024}Mi` : "2Gi";
}

/** Checks the flags against each other and cog.yaml; every problem is a BAD_REQUEST naming the flag. */
export function planDeployment(flags: KubernetesDeployFlags, project: Project): DeployPlan {
  const replicas = wholeNumber("replicas", flags.replicas, 1, 1);
  const maxReplicas = wholeNumber("max-replicas", flags.maxReplicas, Math.max(DEFAULT_MAX_REPLICAS, replicas), 1);
  if (maxReplicas < replicas) throw usage(`--max-replicas (${maxReplicas}) must be at least --replicas (${replicas}).`);
  if (flags.queue && flags.queueUrl === undefined) {
    throw usage("--queue needs --queue-url redis://HOST:PORT[/DB]: the Redis that the API and the workers share.", "tscog does not run Redis for you; see docs/kubernetes.md");
  }
  const setup = project.config.server?.setup_timeout ?? DEFAULT_SETUP_SECONDS;
  const image = checkedImage(flags, project);
  return {
    name: checkedName(flags.name ?? defaultDeployName(project.dir)),
    namespace: checkedNamespace(flags.namespace),
    image,
    pinned: parseReference(image).digest !== undefined,
    replicas,
    maxReplicas,
    resources: {
      cpu: quantity("cpu", flags.cpu, "1"),
      memory: quantity("memory", flags.memory, defaultMemory(project)),
      gpu: flags.gpu ?? project.config.build?.gpu ?? false,
    },
    concurrency: project.config.concurrency?.max ?? 1,
    startupSeconds: setup === 0 ? UNLIMITED_SETUP_SECONDS : setup,
    queue: flags.queueUrl === undefined ? undefined : parseQueueUrl(flags.queueUrl),
  };
}
