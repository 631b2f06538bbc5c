import { test } from "node:test";
import assert from "node:assert/strict";
import { routeLabel } from "../src/observability/route-label.js";

test("route labels keep known segments and turn ids into named parameters, for every API family", () => {
  const cases: Record<string, string> = {
    "/": "/",
    "/v1/predictions/abc123/cancel": "/v1/predictions/:id/cancel",
    "/predictions/xyz": "/predictions/:id",
    "/v1/models/acme/llm/predictions": "/v1/models/:owner/:name/predictions",
    "/v1/chat/completions": "/v1/chat/completions",
    "/v1/files": "/v1/files",
    "/v1/files/3q2xk7/content": "/v1/files/:id/content",
    "/v1/files/3q2xk7/": "/v1/files/:id",
    "/no/such/route": "/:param/:param/:param",
    "/a/b/c/d/e/f/g/h/i": "/(other)",
  };
  for (const [path, label] of Object.entries(cases)) assert.equal(routeLabel(path), label, path);
});
