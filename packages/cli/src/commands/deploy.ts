import { join, relative, resolve } from "node:path";
import { Command } from "commander";
import { loadProject } from "@tscog/runtime";
import { projectDirOption, runAction } from "../command-helpers.js";
import { planDeployment, type KubernetesDeployFlags } from "../deploy/deploy-plan.js";
import { writeManifestDirectory } from "../deploy/manifest-directory.js";
import { kubernetesManifests } from "../deploy/manifest-set.js";
import { queueHoldsSecret } from "../deploy/queue-reference.js";

interface DeployKubernetesFlags extends KubernetesDeployFlags {
  project: string;
  output?: string;
  force?: boolean;
}

/** Where the manifests go by default, inside the project. */
const DEFAULT_OUTPUT = join("deploy", "kubernetes");

async function deployKubernetes(flags: DeployKubernetesFlags): Promise<number> {
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
    .action(runAction(deployKubernetes));
  return deploy;
}
