import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { DeployPlan } from "./deploy-plan.js";
import { objectName, roleLabels, selectorLabels, type Role } from "./pod-template.js";

/**
 * Voluntary disruptions (node drains) take one pod at a time. `maxUnavailable`
 * rather than `minAvailable`, so a single replica can still be drained.
 */
export function disruptionBudget(plan: DeployPlan, role: Role): IPodDisruptionBudget {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: objectName(plan, role), labels: roleLabels(plan, role) },
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(plan, role) } },
  };
}
