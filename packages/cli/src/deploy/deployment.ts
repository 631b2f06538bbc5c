import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { DeployPlan } from "./deploy-plan.js";
import { objectName, podTemplate, roleLabels, selectorLabels, type Role } from "./pod-template.js";

/**
 * The Deployment of one role. It names no `replicas`: the autoscaler
 * (HorizontalPodAutoscaler, or KEDA for workers) owns that number, and a
 * re-apply must not reset it. Rolling updates add a pod before removing one,
 * since a model pod takes a while to become ready.
 */
export function deployment(plan: DeployPlan, role: Role): IDeployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: objectName(plan, role), labels: roleLabels(plan, role) },
    spec: {
      selector: { matchLabels: selectorLabels(plan, role) },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: podTemplate(plan, role),
    },
  };
}
