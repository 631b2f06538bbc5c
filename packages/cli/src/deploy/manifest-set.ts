import type { DeployPlan } from "./deploy-plan.js";
import { autoscaler } from "./autoscaler.js";
import { deployment } from "./deployment.js";
import { disruptionBudget } from "./disruption-budget.js";
import { scaledObject } from "./keda-scaled-object.js";
import { queueHoldsSecret, queueReference } from "./queue-reference.js";
import { service } from "./service.js";

/** One file of the kustomize directory and the object it holds. */
export interface ManifestFile {
  file: string;
  object: object;
}

/** kustomize's `kustomization.yaml`, as far as tscog writes it. */
export interface Kustomization {
  apiVersion: "kustomize.config.k8s.io/v1beta1";
  kind: "Kustomization";
  namespace?: string;
  resources: string[];
}

/** The objects of a deployment, one file per object, without the kustomization. */
export function manifestObjects(plan: DeployPlan): ManifestFile[] {
  if (!plan.queue) {
    return [
      { file: "deployment.yaml", object: deployment(plan, "server") },
      { file: "service.yaml", object: service(plan, "server") },
      { file: "pdb.yaml", object: disruptionBudget(plan, "server") },
      { file: "hpa.yaml", object: autoscaler(plan, "server") },
    ];
  }
  return [
    { file: queueHoldsSecret(plan) ? "queue-secret.yaml" : "queue-config.yaml", object: queueReference(plan) },
    { file: "api-deployment.yaml", object: deployment(plan, "api") },
    { file: "api-service.yaml", object: service(plan, "api") },
    { file: "api-pdb.yaml", object: disruptionBudget(plan, "api") },
    { file: "api-hpa.yaml", object: autoscaler(plan, "api") },
    { file: "worker-deployment.yaml", object: deployment(plan, "worker") },
    { file: "worker-scaledobject.yaml", object: scaledObject(plan) },
  ];
}

/** Every file of the kustomize directory: `kustomization.yaml` listing the objects, then the objects. */
export function kubernetesManifests(plan: DeployPlan): ManifestFile[] {
  const objects = manifestObjects(plan);
  const kustomization: Kustomization = {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    ...(plan.namespace ? { namespace: plan.namespace } : {}),
    resources: objects.map((o) => o.file),
  };
  return [{ file: "kustomization.yaml", object: kustomization }, ...objects];
}
