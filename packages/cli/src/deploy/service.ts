import type { IService } from "kubernetes-models/v1/Service";
import type { DeployPlan } from "./deploy-plan.js";
import { objectName, roleLabels, selectorLabels, type Role } from "./pod-template.js";

/** A ClusterIP Service on port 80 in front of the pods that answer HTTP (the server, or the API in queue mode). */
export function service(plan: DeployPlan, role: Role): IService {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: objectName(plan, role), labels: roleLabels(plan, role) },
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(plan, role),
      ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
    },
  };
}
