import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import type { DeployPlan } from "./deploy-plan.js";
import { objectName, roleLabels, type Role } from "./pod-template.js";

/** Average CPU use (of the request) the autoscaler aims for. */
const TARGET_CPU_PERCENT = 70;

/**
 * A HorizontalPodAutoscaler (autoscaling/v2) between `--replicas` and
 * `--max-replicas` on CPU use, the one metric every cluster has; scale-down
 * waits five minutes, since a new model pod is slow to start.
 */
export function autoscaler(plan: DeployPlan, role: Role): IHorizontalPodAutoscaler {
  const name = objectName(plan, role);
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name, labels: roleLabels(plan, role) },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
      minReplicas: plan.replicas,
      maxReplicas: plan.maxReplicas,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: TARGET_CPU_PERCENT } } }],
      behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
    },
  };
}
