/**
 * `tscog deploy kubernetes`, end to end: the real CLI on a throwaway project,
 * its output compared with the golden files in fixtures/deploy/{single,queue}/,
 * every object checked against the Kubernetes schemas (kubernetes-models; the
 * KEDA ScaledObject against fixtures/deploy/keda-scaledobject.schema.json, from
 * KEDA's docs), the directory built with `kubectl kustomize`.
 *
 * After an intended change to the manifests, regenerate the golden files and
 * review the diff:
 *   npx tsc -b && UPDATE_GOLDEN=1 node --test packages/cli/dist/test/deploy-kubernetes.test.js
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Ajv } from "ajv";
import { parse, parseAllDocuments } from "yaml";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { makeProject, needComponent } from "@tscog/runtime/testing";
import { runCli } from "./run-cli.js";

const run = promisify(execFile);
const FIXTURES = fileURLToPath(new URL("../../test/fixtures/deploy/", import.meta.url));
const DIGEST = `sha256:${"ab".repeat(32)}`;
const PREDICT = `import { BasePredictor } from "tscog";
export class Predictor extends BasePredictor {
  async predict(): Promise<string> {
    return "hi";
  }
}
`;

/** A CPU model with no image in cog.yaml. */
const cpuProject = () => makeProject({ "cog.yaml": 'predict: "predict.ts:Predictor"\nconcurrency:\n  max: 2\n', "predict.ts": PREDICT });
/** A GPU model whose cog.yaml names its image, loads for up to 2 minutes and runs 4 predictions at once. */
const gpuProject = () =>
  makeProject({
    "cog.yaml": 'predict: "predict.ts:Predictor"\nimage: registry.example.com/acme/demo:v1\nbuild:\n  gpu: true\nconcurrency:\n  max: 4\nserver:\n  setup_timeout: 120\n  worker_memory_mb: 3072\n',
    "predict.ts": PREDICT,
  });

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: any; [k: string]: any };

const kedaCheck = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(join(FIXTURES, "keda-scaledobject.schema.json"), "utf8")));

/** Checks one object against its schema: kubernetes-models for built-in kinds, the KEDA schema for ScaledObject. */
function validateObject(object: Manifest): void {
  const where = `${object.kind} ${object.metadata?.name}`;
  const model = (() => {
    switch (`${object.apiVersion}/${object.kind}`) {
      case "apps/v1/Deployment": return new Deployment(object as never);
      case "v1/Service": return new Service(object as never);
      case "v1/ConfigMap": return new ConfigMap(object as never);
      case "v1/Secret": return new Secret(object as never);
      case "policy/v1/PodDisruptionBudget": return new PodDisruptionBudget(object as never);
      case "autoscaling/v2/HorizontalPodAutoscaler": return new HorizontalPodAutoscaler(object as never);
      default: return undefined;
    }
  })();
  if (model) {
    assert.doesNotThrow(() => model.validate(), where);
  } else {
    assert.equal(`${object.apiVersion}/${object.kind}`, "keda.sh/v1alpha1/ScaledObject", `${where}: no schema to check it against`);
    assert.ok(kedaCheck(object), `${where}: ${JSON.stringify(kedaCheck.errors)}`);
  }
}

/** The generated directory as file name → text. */
function readDir(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), "utf8")]));
}

/** Compares a generated directory with fixtures/deploy/NAME (or rewrites it under UPDATE_GOLDEN=1). */
function assertGolden(dir: string, name: string): void {
  const golden = join(FIXTURES, name);
  const actual = readDir(dir);
  if (process.env.UPDATE_GOLDEN === "1") {
    rmSync(golden, { recursive: true, force: true });
    mkdirSync(golden, { recursive: true });
    for (const [file, text] of actual) writeFileSync(join(golden, file), text);
  }
  const expected = readDir(golden);
  assert.deepEqual([...actual.keys()], [...expected.keys()], `files of ${name}`);
  for (const [file, text] of actual) assert.equal(text, expected.get(file), `${name}/${file} differs from the golden file (UPDATE_GOLDEN=1 regenerates it)`);
}

/** The objects of a generated directory, by file, and the kustomization. */
function loadDir(dir: string): { kustomization: { resources: string[]; namespace?: string }; objects: Map<string, Manifest> } {
  const kustomization = parse(readFileSync(join(dir, "kustomization.yaml"), "utf8"));
  const objects = new Map<string, Manifest>(kustomization.resources.map((f: string) => [f, parse(readFileSync(join(dir, f), "utf8"))]));
  return { kustomization, objects };
}

function byKind(objects: Iterable<Manifest>, kind: string, name: string): Manifest {
  const found = [...objects].find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `no ${kind} ${name}`);
  return found;
}

const container = (d: Manifest) => d.spec.template.spec.containers[0];
const envOf = (d: Manifest) => Object.fromEntries(container(d).env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

/** What every pod must have, whatever the mode: non-root, read-only root with a writable /tmp, probes on the server's routes. */
function assertHardenedPod(d: Manifest): void {
  const pod = d.spec.template.spec;
  const c = container(d);
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(pod.securityContext.runAsUser, 1000);
  assert.equal(pod.automountServiceAccountToken, false);
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
  const tmp = c.volumeMounts.find((m: any) => m.mountPath === "/tmp");
  assert.deepEqual(pod.volumes.find((v: any) => v.name === tmp.name), { name: tmp.name, emptyDir: {} });
  assert.equal(c.startupProbe.httpGet.path, "/readyz");
  assert.equal(c.livenessProbe.httpGet.path, "/livez");
  assert.ok(c.resources.requests.cpu && c.resources.requests.memory, "resource requests");
  assert.equal(d.spec.replicas, undefined, "the autoscaler owns the replica count");
}

test("deploy kubernetes: one Deployment + Service + PDB + HPA, pinned by digest, hardened, matching the golden files", async () => {
  const dir = cpuProject();
  const out = join(dir, "deploy", "kubernetes");
  const r = await runCli(["deploy", "kubernetes", "--image", `ghcr.io/acme/demo@${DIGEST}`, "--name", "demo", "--replicas", "2", "--cpu", "500m"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), out, "prints the directory; the default is deploy/kubernetes in the project");
  assert.doesNotMatch(r.stderr, /not pinned/);
  assertGolden(out, "single");

  const { kustomization, objects } = loadDir(out);
  assert.deepEqual(kustomization.resources, ["deployment.yaml", "service.yaml", "pdb.yaml", "hpa.yaml"]);
  for (const o of objects.values()) validateObject(o);
  const deployment = byKind(objects.values(), "Deployment", "demo");
  assertHardenedPod(deployment);
  assert.equal(container(deployment).image, `ghcr.io/acme/demo@${DIGEST}`);
  assert.deepEqual(container(deployment).resources, { requests: { cpu: "500m", memory: "2Gi" }, limits: { memory: "2Gi" } }, "no GPU without build.gpu");
  assert.equal(container(deployment).readinessProbe.httpGet.path, "/healthz", "a busy single server stays in the Service: its own queue holds requests");
  // setup_timeout defaults to 600 s: the startup probe waits that long (5 s × 122).
  assert.equal(container(deployment).startupProbe.periodSeconds * container(deployment).startupProbe.failureThreshold, 610);
  assert.equal(envOf(deployment).TSCOG_ROLE, undefined);
  const hpa = byKind(objects.values(), "HorizontalPodAutoscaler", "demo");
  assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas, hpa.spec.scaleTargetRef.name], [2, 10, "demo"]);
  const service = byKind(objects.values(), "Service", "demo");
  const pdb = byKind(objects.values(), "PodDisruptionBudget", "demo");
  for (const selector of [service.spec.selector, pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels]) {
    for (const [k, v] of Object.entries(selector)) assert.equal(deployment.spec.template.metadata.labels[k], v, `selector ${k} matches the pods`);
  }
});

test("deploy kubernetes --queue: API and GPU workers on Redis Streams, KEDA on the consumer group down to zero, matching the golden files", async () => {
  const dir = gpuProject();
  const out = join(dir, "k8s");
  const r = await runCli(["deploy", "kubernetes", "-C", dir, "-o", out, "--name", "demo", "-n", "models", "--queue", "--queue-url", "redis://redis.data.svc:6379/2"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /registry\.example\.com\/acme\/demo:v1 is not pinned by digest/, "the image comes from cog.yaml; the user is told it is not pinned");
  assertGolden(out, "queue");

  const { kustomization, objects } = loadDir(out);
  assert.equal(kustomization.namespace, "models");
  for (const o of objects.values()) validateObject(o);
  const api = byKind(objects.values(), "Deployment", "demo-api");
  const worker = byKind(objects.values(), "Deployment", "demo-worker");
  for (const d of [api, worker]) {
    assertHardenedPod(d);
    assert.equal(container(d).image, "registry.example.com/acme/demo:v1");
    assert.equal(container(d).readinessProbe.httpGet.path, "/readyz");
    assert.deepEqual(envOf(d).TSCOG_QUEUE_URL, { configMapKeyRef: { name: "demo-queue", key: "TSCOG_QUEUE_URL" } });
  }
  assert.equal(envOf(api).TSCOG_ROLE, "api");
  assert.equal(envOf(worker).TSCOG_ROLE, "worker");
  assert.equal(container(worker).resources.limits["nvidia.com/gpu"], 1, "build.gpu: the worker asks for a GPU");
  assert.equal(container(worker).resources.limits.memory, "4096Mi", "worker_memory_mb + 1 GiB");
  assert.equal(container(api).resources.limits["nvidia.com/gpu"], undefined, "the API loads no model");
  assert.equal(container(worker).startupProbe.periodSeconds * (container(worker).startupProbe.failureThreshold - 2), 120, "setup_timeout: 120");
  assert.equal(byKind(objects.values(), "ConfigMap", "demo-queue").data.TSCOG_QUEUE_URL, "redis://redis.data.svc:6379/2");
  byKind(objects.values(), "Service", "demo-api");
  assert.equal(byKind(objects.values(), "HorizontalPodAutoscaler", "demo-api").spec.scaleTargetRef.name, "demo-api");

  const scaled = byKind(objects.values(), "ScaledObject", "demo-worker");
  assert.equal(scaled.spec.minReplicaCount, 0);
  assert.equal(scaled.spec.scaleTargetRef.name, "demo-worker");
  for (const trigger of scaled.spec.triggers) {
    assert.equal(trigger.type, "redis-streams");
    assert.deepEqual([trigger.metadata.stream, trigger.metadata.consumerGroup, trigger.metadata.address, trigger.metadata.databaseIndex], ["tscog:jobs", "tscog-workers", "redis.data.svc:6379", "2"]);
  }
  assert.deepEqual(scaled.spec.triggers.map((t: any) => t.metadata.lagCount ?? t.metadata.pendingEntriesCount), ["4", "4"], "one worker per concurrency.max jobs");
  assert.equal(objects.size, 7, "no Redis server, no HPA for the workers (KEDA makes its own)");
});

test("deploy kubernetes: kubectl kustomize builds both directories, and what it emits passes the schemas", async (t) => {
  const kubectl = await run("kubectl", ["version", "--client"]).then(() => true, () => false);
  if (!needComponent(t, kubectl, "kubectl is not installed")) return;
  for (const [args, project, namespace] of [
    [["--image", `ghcr.io/acme/demo@${DIGEST}`], cpuProject(), undefined],
    [["--queue-url", "rediss://:s3cret@redis.example.com:6380", "-n", "models"], gpuProject(), "models"],
  ] as const) {
    const out = join(project, "out");
    const r = await runCli(["deploy", "kubernetes", "-C", project, "-o", out, ...args]);
    assert.equal(r.code, 0, r.stderr);
    const built = await run("kubectl", ["kustomize", out], { maxBuffer: 16 << 20 });
    const docs = parseAllDocuments(built.stdout).map((d) => d.toJS() as Manifest);
    assert.equal(docs.length, loadDir(out).objects.size);
    for (const o of docs) {
      validateObject(o);
      assert.equal(o.metadata.namespace, namespace);
    }
  }
});

test("deploy kubernetes: a Redis URL with a password goes in a Secret that the workers hand to KEDA", async () => {
  const dir = gpuProject();
  const r = await runCli(["deploy", "kubernetes", "-C", dir, "--queue-url", "rediss://worker:s3cret@redis.example.com:6380"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /queue-secret\.yaml holds the Redis password/);
  const { objects } = loadDir(join(dir, "deploy", "kubernetes"));
  assert.ok(!objects.has("queue-config.yaml"));
  for (const o of objects.values()) validateObject(o);
  const secret = [...objects.values()].find((o) => o.kind === "Secret")!;
  const name = secret.metadata.name;
  assert.match(name, /-queue$/);
  assert.deepEqual(secret.stringData, { TSCOG_QUEUE_URL: "rediss://worker:s3cret@redis.example.com:6380", TSCOG_REDIS_USERNAME: "worker", TSCOG_REDIS_PASSWORD: "s3cret" });
  const worker = [...objects.values()].find((o) => o.kind === "Deployment" && o.metadata.name.endsWith("-worker"))!;
  assert.deepEqual(envOf(worker).TSCOG_REDIS_PASSWORD, { secretKeyRef: { name, key: "TSCOG_REDIS_PASSWORD" } });
  const trigger = [...objects.values()].find((o) => o.kind === "ScaledObject")!.spec.triggers[0].metadata;
  assert.deepEqual([trigger.address, trigger.databaseIndex, trigger.enableTLS, trigger.passwordFromEnv, trigger.usernameFromEnv], ["redis.example.com:6380", "0", "true", "TSCOG_REDIS_PASSWORD", "TSCOG_REDIS_USERNAME"]);
  assert.ok(!JSON.stringify([...objects.values()].filter((o) => o.kind !== "Secret")).includes("s3cret"), "the password is only in the Secret");
});

test("deploy kubernetes: regenerating replaces tscog's files and keeps the ones someone added", async () => {
  const dir = gpuProject();
  const out = join(dir, "deploy", "kubernetes");
  assert.equal((await runCli(["deploy", "kubernetes", "-C", dir])).code, 0);
  writeFileSync(join(out, "NOTES.md"), "mine\n");
  const r = await runCli(["deploy", "kubernetes", "-C", dir, "--queue-url", "redis://redis:6379"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /removed deployment\.yaml, hpa\.yaml, pdb\.yaml, service\.yaml from the last generation/);
  assert.deepEqual(readdirSync(out).sort(), ["NOTES.md", "api-deployment.yaml", "api-hpa.yaml", "api-pdb.yaml", "api-service.yaml", "kustomization.yaml", "queue-config.yaml", "worker-deployment.yaml", "worker-scaledobject.yaml"]);
});

test("deploy kubernetes: usage errors exit 2 with one paragraph naming the problem, no stack trace, nothing written", async () => {
  const dir = gpuProject();
  const cases: [string[], RegExp][] = [
    [["--replicas", "0"], /--replicas must be a whole number >= 1, got "0"/],
    [["--replicas", "two"], /--replicas must be a whole number >= 1, got "two"/],
    [["--replicas", "3", "--max-replicas", "2"], /--max-replicas \(2\) must be at least --replicas \(3\)/],
    [["--queue"], /--queue needs --queue-url/],
    [["--queue-url", "http://redis:6379"], /--queue-url "http:\/\/redis:6379" has the scheme "http"/],
    [["--queue-url", "redis://redis:6379/jobs"], /names the database "jobs"/],
    [["--memory", "lots"], /--memory "lots" is not a Kubernetes quantity/],
    [["--name", "Demo_Model"], /--name "Demo_Model" is not allowed/],
    [["--image", "Not An Image"], /malformed image reference "Not An Image"/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(["deploy", "kubernetes", "-C", dir, ...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /^error: /);
    assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
  }
  assert.ok(!existsSync(join(dir, "deploy")), "nothing was written");

  const noImage = await runCli(["deploy", "kubernetes", "-C", cpuProject()]);
  assert.equal(noImage.code, 2, noImage.stderr);
  assert.match(noImage.stderr, /there is no image to deploy: pass --image REF, or set image: in .*cog\.yaml/);
  assert.doesNotMatch(noImage.stderr, /^\s+at /m);
});

test("deploy kubernetes: refuses a non-empty directory it did not generate, unless --force", async () => {
  const dir = gpuProject();
  const out = join(dir, "manifests");
  mkdirSync(out);
  writeFileSync(join(out, "kustomization.yaml"), "resources: [mine.yaml]\n");
  const refused = await runCli(["deploy", "kubernetes", "-C", dir, "-o", out]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /manifests is not empty and was not generated by tscog/);
  assert.match(refused.stderr, /--force/);
  assert.doesNotMatch(refused.stderr, /^\s+at /m);
  assert.equal(readFileSync(join(out, "kustomization.yaml"), "utf8"), "resources: [mine.yaml]\n", "left alone");

  const forced = await runCli(["deploy", "kubernetes", "-C", dir, "-o", out, "--force"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.deepEqual(loadDir(out).kustomization.resources, ["deployment.yaml", "service.yaml", "pdb.yaml", "hpa.yaml"]);

  writeFileSync(join(dir, "a-file"), "x");
  const notDir = await runCli(["deploy", "kubernetes", "-C", dir, "-o", join(dir, "a-file")]);
  assert.equal(notDir.code, 2, notDir.stderr);
  assert.match(notDir.stderr, /exists and is not a directory/);
});
