import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveDevice, type DeviceProbe } from "../src/index.js";
import { TscogError } from "@tscog/sdk";
import { existsSync } from "node:fs";
import { systemProbe } from "../src/execution-provider.js";

function probe(opts: { env?: Record<string, string>; provider?: boolean; driver?: boolean }): DeviceProbe {
  return {
    env: opts.env ?? {},
    cores: () => 4,
    cudaProvider: () => (opts.provider ? { found: "/x/libonnxruntime_providers_cuda.so" } : { missing: "/x/libonnxruntime_providers_cuda.so" }),
    cudaDriver: () => (opts.driver ? "/usr/lib/x86_64-linux-gnu/libcuda.so.1" : undefined),
  };
}

test("CPU by default, with threads from the core count", () => {
  assert.deepEqual(resolveDevice({}, probe({})), { device: "cpu", executionProviders: ["cpu"], intraOpThreads: 4 });
});

test("TSCOG_THREADS and intraOpThreads set the thread count", () => {
  assert.equal(resolveDevice({}, probe({ env: { TSCOG_THREADS: "3" } })).intraOpThreads, 3);
  assert.equal(resolveDevice({ intraOpThreads: 1 }, probe({ env: { TSCOG_THREADS: "3" } })).intraOpThreads, 1);
});

test("gpu: true (TSCOG_GPU) selects CUDA then CPU when provider and driver are present", () => {
  const r = resolveDevice({}, probe({ env: { TSCOG_GPU: "true" }, provider: true, driver: true }));
  assert.deepEqual(r.executionProviders, ["cuda", "cpu"]);
  assert.equal(r.device, "cuda");
});

test("TSCOG_DEVICE overrides TSCOG_GPU both ways", () => {
  assert.equal(resolveDevice({}, probe({ env: { TSCOG_GPU: "1", TSCOG_DEVICE: "cpu" } })).device, "cpu");
  assert.equal(resolveDevice({}, probe({ env: { TSCOG_DEVICE: "cuda" }, provider: true, driver: true })).device, "cuda");
  assert.throws(() => resolveDevice({}, probe({ env: { TSCOG_DEVICE: "tpu" } })), /TSCOG_DEVICE must be "cpu" or "cuda"/);
});

test("an explicit device wins over the environment", () => {
  assert.equal(resolveDevice({ device: "cpu" }, probe({ env: { TSCOG_DEVICE: "cuda" } })).device, "cpu");
});

test("CUDA without onnxruntime's CUDA provider fails and says so", () => {
  assert.throws(
    () => resolveDevice({ device: "cuda" }, probe({ driver: true })),
    (err: unknown) => err instanceof TscogError && err.code === "MODEL_LOAD" && /CUDA execution provider is not installed/.test(err.message) && /libonnxruntime_providers_cuda\.so/.test(err.message),
  );
});

test("CUDA without the NVIDIA driver fails and says so", () => {
  assert.throws(
    () => resolveDevice({ device: "cuda" }, probe({ provider: true })),
    (err: unknown) => err instanceof TscogError && /NVIDIA driver is missing/.test(err.message) && /TSCOG_CPU_FALLBACK/.test(err.hint ?? ""),
  );
});

test("opting into CPU fallback runs on CPU with a warning", () => {
  const r = resolveDevice({ device: "cuda", cpuFallback: true }, probe({ provider: true }));
  assert.equal(r.device, "cpu");
  assert.match(r.warning ?? "", /NVIDIA driver/);
  const env = resolveDevice({}, probe({ env: { TSCOG_GPU: "1", TSCOG_CPU_FALLBACK: "1" } }));
  assert.equal(env.device, "cpu");
  assert.match(env.warning ?? "", /CUDA execution provider/);
});

test("with the real probe, CUDA is chosen exactly when onnxruntime's CUDA provider and the driver are both present", () => {
  const probe = systemProbe();
  const provider = probe.cudaProvider();
  const providerFile = "found" in provider ? provider.found : provider.missing;
  assert.match(providerFile, /libonnxruntime_providers_cuda\.so$/);
  assert.equal("found" in provider, existsSync(providerFile));
  const driver = probe.cudaDriver();
  if (driver) assert.ok(existsSync(driver));
  assert.equal(resolveDevice({ device: "cpu" }).device, "cpu");
  if ("found" in provider && driver) {
    assert.deepEqual(resolveDevice({ device: "cuda" }).executionProviders, ["cuda", "cpu"]);
  } else {
    const missing = "missing" in provider ? /CUDA execution provider is not installed/ : /NVIDIA driver is missing/;
    assert.throws(() => resolveDevice({ device: "cuda" }), (err: unknown) => err instanceof TscogError && err.code === "MODEL_LOAD" && missing.test(err.message));
    assert.equal(resolveDevice({ device: "cuda", cpuFallback: true }).device, "cpu");
  }
});
