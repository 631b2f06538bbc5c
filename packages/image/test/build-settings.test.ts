import { test } from "node:test";
import assert from "node:assert/strict";
import { checkBuildSettings } from "../src/index.js";

test("settings a daemonless build cannot honour are errors naming the field, not silently ignored", () => {
  assert.throws(() => checkBuildSettings({ system_packages: ["ffmpeg"] }), (e: any) => e.code === "BUILD_FAILED" && e.field === "build.system_packages" && /build.base_image/.test(e.hint));
  assert.throws(() => checkBuildSettings({ run: ["echo hi"] }), (e: any) => e.field === "build.run");
  assert.throws(() => checkBuildSettings({ node_version: "22" }, "20.20.2"), (e: any) => e.field === "build.node_version" && /Node that runs tscog \(20\.20\.2\)/.test(e.message));
});

test("matching or unconstrained settings pass", () => {
  checkBuildSettings(undefined);
  checkBuildSettings({ node_version: "20" }, "20.20.2");
  checkBuildSettings({ node_version: "20.20.2" }, "20.20.2");
  checkBuildSettings({ node_version: "22", base_image: "node:22-bookworm-slim", system_packages: [] });
});
