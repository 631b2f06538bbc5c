import { Command } from "commander";
import { projectDirOption, runAction } from "../command-helpers.js";
import type { DeployKubernetesFlags } from "./deploy-action.js";

/** `tscog deploy kubernetes`: writes a kustomize directory that runs the project's image on Kubernetes. */
export function registerDeploy(program: Command): Command {
  const deploy = program.command("deploy").description("Write manifests that run the project's image somewhere else");
  deploy
    .command("kubernetes")
    .description(
      "Write a kustomize directory (Deployment, Service, PodDisruptionBudget, HorizontalPodAutoscaler; with --queue an API, " +
        "queue-fed workers and a KEDA ScaledObject) for the project's image",
    )
    .addOption(projectDirOption())
    .option("--image <ref>", "image to run, best pinned: REF@sha256:... (default: cog.yaml image)")
    .option("-o, --output <dir>", "directory to write (default: deploy/kubernetes in the project)")
    .option("--name <name>", "base name of the objects (default: the project directory's name)")
    .option("-n, --namespace <namespace>", "namespace for every object (default: kubectl's current one)")
    .option("--replicas <n>", "least replicas the autoscaler keeps (in queue mode: of the API; default 1)")
    .option("--max-replicas <n>", "most replicas the autoscalers make (default 10)")
    .option("--queue", "queue mode: API replicas plus workers fed by Redis Streams, scaled by KEDA down to zero (needs --queue-url)")
    .option("--queue-url <url>", "the Redis the API and workers share: redis://HOST:PORT[/DB] (implies --queue)")
    .option("--cpu <quantity>", "CPU request of the model's container (default 1)")
    .option("--memory <quantity>", "memory request and limit of the model's container (default: server.worker_memory_mb + 1Gi, else 2Gi)")
    .option("--gpu", "request nvidia.com/gpu: 1 (overrides build.gpu)")
    .option("--no-gpu", "request no GPU (overrides build.gpu)")
    .option("-f, --force", "write into a non-empty directory that tscog did not generate")
    .option("--debug", "show stack traces")
    .action(runAction(async (flags: DeployKubernetesFlags) => (await import("./deploy-action.js")).deployKubernetes(flags)));
  return deploy;
}
