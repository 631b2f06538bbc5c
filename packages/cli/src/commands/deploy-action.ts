import { join, relative, resolve } from "node:path";
import { loadProject } from "@tscog/runtime";
import { planDeployment, type KubernetesDeployFlags } from "../deploy/deploy-plan.js";
import { writeManifestDirectory } from "../deploy/manifest-directory.js";
import { kubernetesManifests } from "../deploy/manifest-set.js";
import { queueHoldsSecret } from "../deploy/queue-reference.js";

// The implementation of `tscog deploy kubernetes`, loaded only when it runs.

/** Flags of `tscog deploy kubernetes`. */
export interface DeployKubernetesFlags extends KubernetesDeployFlags {
  project: string;
  output?: string;
  force?: boolean;
}

/** Where the manifests go by default, inside the project. */
const DEFAULT_OUTPUT = join("deploy", "kubernetes");

/** Plans the deployment and writes its manifests; prints the directory. */
export async function deployKubernetes(flags: DeployKubernetesFlags): Promise<number> {
  const project = await loadProject(flags.project);
  const plan = planDeployment(flags, project);
  const dir = flags.output ? resolve(flags.output) : join(project.dir, DEFAULT_OUTPUT);
  const files = kubernetesManifests(plan);
  const result = await writeManifestDirectory(dir, files, { force: flags.force });
  const nearby = relative(process.cwd(), dir);
  const shown = nearby === "" ? "." : nearby.startsWith("..") ? dir : nearby;
  process.stderr.write(`wrote ${result.written.join(", ")} to ${shown}${result.removed.length ? ` (removed ${result.removed.join(", ")} from the last generation)` : ""}\n`);
  if (!plan.pinned) {
    process.stderr.write(`note: ${plan.image} is not pinned by digest, so pods may run different images; pass --image REF@sha256:... (tscog push REF prints the digest)\n`);
  }
  if (queueHoldsSecret(plan)) {
    process.stderr.write(`note: ${shown}/queue-secret.yaml holds the Redis password in plain text; keep it out of version control (docs/kubernetes.md shows how to create the Secret yourself)\n`);
  }
  process.stderr.write(`check: kubectl kustomize ${shown}    apply: kubectl apply -k ${shown}\n`);
  process.stdout.write(`${dir}\n`);
  return 0;
}

